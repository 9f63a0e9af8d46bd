"""The demo answers CSAT and NPS surveys, so the results page and the screen pop show something, and e-mails nobody."""

from __future__ import annotations

import pytest
from django.core import mail

from kliyan.core.demo import load_demo
from kliyan.feedback.choices import InvitationStatus
from kliyan.feedback.models import NpsCampaign, SurveyInvitation, SurveyResponse

pytestmark = pytest.mark.django_db


def test_the_demo_has_answered_csat_and_nps_surveys_and_sends_no_mail(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        summary = load_demo(people=20, companies=3, seed=7)
    kinds = set(SurveyResponse.objects.values_list("kind", flat=True))
    assert kinds == {"csat", "nps"} and summary.surveys == SurveyResponse.objects.count()
    assert SurveyResponse.objects.exclude(comment="").exists()
    assert NpsCampaign.objects.get().status == "done"
    assert not SurveyInvitation.objects.filter(channel="email", status=InvitationStatus.QUEUED).exists()
    assert mail.outbox == []
