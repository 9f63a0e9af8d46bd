"""The hand-off to the messaging outbox (issue 5): what is queued per channel, claimed once, marked sent or failed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kliyan.feedback import outbox
from kliyan.feedback.choices import InvitationStatus
from kliyan.feedback.models import SurveyInvitation

pytestmark = pytest.mark.django_db


def test_invitations_to_send_are_the_queued_due_ones_of_that_channel_oldest_first(survey) -> None:
    sms_old, sms_new, mail, link = (survey("csat") for _ in range(4))
    SurveyInvitation.objects.filter(pk__in=[sms_old.pk, sms_new.pk]).update(channel="sms")
    SurveyInvitation.objects.filter(pk=link.pk).update(channel="link")
    SurveyInvitation.objects.filter(pk=sms_old.pk).update(next_attempt_at=timezone.now() - dt.timedelta(hours=1))
    answered = survey("csat", 4)
    SurveyInvitation.objects.filter(pk=answered.pk).update(channel="sms")
    later = survey("csat")
    SurveyInvitation.objects.filter(pk=later.pk).update(channel="sms", next_attempt_at=timezone.now() + dt.timedelta(hours=1))
    assert [i.pk for i in outbox.invitations_to_send(channel="sms")] == [sms_old.pk, sms_new.pk]
    SurveyInvitation.objects.filter(pk=sms_new.pk).update(expires_at=timezone.now())  # a dead link is not sent
    assert [i.pk for i in outbox.invitations_to_send(channel="sms")] == [sms_old.pk]
    assert outbox.claim(sms_new.pk) is False
    assert [i.pk for i in outbox.invitations_to_send(channel="email")] == [mail.pk]
    assert [i.pk for i in outbox.invitations_to_send(channel="link")] == [link.pk]  # for completeness: staff hand these over


def test_a_claim_is_taken_once_and_lapses_if_the_sender_dies(survey) -> None:
    invitation = survey("nps")
    assert outbox.claim(invitation.pk) is True
    assert outbox.claim(invitation.pk) is False
    assert outbox.invitations_to_send(channel="email") == []
    later = timezone.now() + dt.timedelta(seconds=outbox.CLAIM_SECONDS + 1)
    assert outbox.claim(invitation.pk, now=later) is True
    invitation.refresh_from_db()
    assert invitation.send_attempts == 2


def test_mark_sent_and_mark_failed(survey) -> None:
    sent, failing = survey("nps"), survey("nps")
    outbox.claim(sent.pk)
    outbox.mark_sent(sent.pk)
    sent.refresh_from_db()
    assert (sent.status, sent.next_attempt_at) == (InvitationStatus.SENT, None) and sent.sent_at is not None
    outbox.claim(failing.pk)
    outbox.mark_failed(failing.pk, "provider said 503")
    failing.refresh_from_db()
    assert failing.status == InvitationStatus.QUEUED and failing.send_error == "provider said 503"
    SurveyInvitation.objects.filter(pk=failing.pk).update(send_attempts=outbox.MAX_ATTEMPTS)
    outbox.mark_failed(failing.pk, "provider said 503")
    failing.refresh_from_db()
    assert failing.status == InvitationStatus.FAILED and failing.next_attempt_at is None


def test_an_invitation_opened_meanwhile_keeps_its_status_when_marked_sent(survey, client) -> None:
    invitation = survey("csat")
    outbox.claim(invitation.pk)
    client.get(outbox.survey_path(invitation))
    outbox.mark_sent(invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED and invitation.sent_at is not None


def test_the_public_link_uses_the_configured_address_else_the_first_allowed_host(settings, survey) -> None:
    invitation = survey("csat")
    assert outbox.survey_url(invitation).startswith("https://crm.shop.example/s/")
    settings.KLIYAN_PUBLIC_URL, settings.ALLOWED_HOSTS, settings.HTTPS = "", ["shop.example.org", "127.0.0.1"], True
    assert outbox.survey_url(invitation).startswith("https://shop.example.org/s/")
    assert outbox.survey_url(invitation).endswith("/") and len(outbox.survey_url(invitation).split("/s/")[1]) == 44
