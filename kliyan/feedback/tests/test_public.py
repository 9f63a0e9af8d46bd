"""The public survey page: no login, the customer's language, big buttons, one answer, expiry, nothing else revealed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kliyan.core.models import AuditEntry
from kliyan.feedback import outbox
from kliyan.feedback.choices import InvitationStatus
from kliyan.feedback.models import SurveyInvitation, SurveyResponse

pytestmark = pytest.mark.django_db


def path_of(invitation: SurveyInvitation) -> str:
    return outbox.survey_path(invitation)


def test_opening_the_link_shows_the_form_in_the_customers_language_and_marks_it_opened(client, invitation) -> None:
    response = client.get(path_of(invitation))
    assert response.status_code == 200 and response["Content-Language"] == "ro"
    page = response.content.decode()
    assert '<html lang="ro">' in page
    assert page.count('type="radio" name="score"') == 5 and page.count('class="score__face"') == 5
    assert 'name="csrfmiddlewaretoken"' in page and "<script" not in page
    assert response["Referrer-Policy"] == "same-origin" and "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    invitation.refresh_from_db()
    first_opened = invitation.opened_at
    assert invitation.status == InvitationStatus.OPENED and first_opened is not None
    client.get(path_of(invitation))
    invitation.refresh_from_db()
    assert invitation.opened_at == first_opened


def test_the_language_switcher_changes_the_page_not_the_invitation(client, invitation) -> None:
    page = client.get(path_of(invitation)).content.decode()
    assert f'href="{path_of(invitation)}?lang=fr"' in page
    response = client.get(path_of(invitation) + "?lang=fr")
    assert response["Content-Language"] == "fr" and '<html lang="fr">' in response.content.decode()
    assert client.get(path_of(invitation) + "?lang=xx")["Content-Language"] == "ro"
    invitation.refresh_from_db()
    assert invitation.language == "ro"


def test_an_nps_survey_offers_eleven_scores_from_0_to_10(client, contact) -> None:
    from kliyan.feedback.services import new_invitation

    made = new_invitation(kind="nps", contact_id=contact.pk, language="en", channel="email", now=timezone.now())
    made.save()
    page = client.get(path_of(made)).content.decode()
    assert page.count('type="radio" name="score"') == 11 and 'value="0"' in page and 'value="10"' in page
    assert "recommend" in page


def test_answering_records_the_score_once_and_a_second_answer_changes_nothing(client, invitation) -> None:
    response = client.post(path_of(invitation), {"score": "4", "comment": "  Rapid și politicos.  "})
    assert response.status_code == 302 and response["Location"] == f"{path_of(invitation)}?lang=ro&done=1"
    assert 'data-state="thanks"' in client.get(response["Location"]).content.decode()
    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment, answer.kind, answer.contact_id, answer.language) == (
        4, "Rapid și politicos.", "csat", invitation.contact_id, "ro",
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED and invitation.answered_at == answer.answered_at
    audits = AuditEntry.objects.filter(object_type="feedback.surveyresponse").count()
    again = client.post(path_of(invitation), {"score": "1", "comment": "changed my mind"})
    assert again.status_code == 200 and 'data-state="already"' in again.content.decode()
    assert SurveyResponse.objects.get().score == 4 and SurveyResponse.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="feedback.surveyresponse").count() == audits == 1
    assert 'data-state="already"' in client.get(path_of(invitation)).content.decode()


@pytest.mark.parametrize(("data", "field"), [
    ({"score": "", "comment": "x"}, "score"),
    ({"score": "6"}, "score"),
    ({"score": "0"}, "score"),
    ({"score": "four"}, "score"),
    ({"score": "3", "comment": "x" * 2001}, "comment"),
])
def test_a_bad_answer_is_named_and_nothing_is_stored(client, invitation, data, field) -> None:
    response = client.post(path_of(invitation), data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.content.decode()
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status != InvitationStatus.ANSWERED


def test_an_expired_link_says_so_and_takes_no_answer(client, invitation) -> None:
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = client.get(path_of(invitation))
    assert response.status_code == 410 and 'data-state="expired"' in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.EXPIRED and invitation.expired_at is not None
    posted = client.post(path_of(invitation), {"score": "5"})
    assert posted.status_code == 410 and not SurveyResponse.objects.exists()


def test_an_unknown_or_malformed_token_is_a_plain_404(client, invitation) -> None:
    real = path_of(invitation)
    for path in ("/s/" + "A" * 43 + "/", "/s/short/", real[:-2] + "/", "/s/" + "A" * 200 + "/"):
        assert client.get(path).status_code == 404
        assert client.post(path, {"score": "5"}).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_the_page_reveals_nothing_about_the_customer_or_other_surveys(client, invitation, agent) -> None:
    page = client.get(path_of(invitation)).content.decode()
    assert "Popescu" not in page and "stefan.popescu@example.ro" not in page and "Livrare" not in page
    assert agent.username not in page and "/contacts/" not in page and "/service/" not in page
    assert invitation.ticket.reference in page  # the customer's own reference, nothing more


def test_the_form_needs_the_csrf_token(invitation) -> None:
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(path_of(invitation), {"score": "5"}).status_code == 403
    page = browser.get(path_of(invitation))
    token = page.cookies["csrftoken"].value
    answered = browser.post(path_of(invitation), {"score": "5", "csrfmiddlewaretoken": token})
    assert answered.status_code == 302 and SurveyResponse.objects.get().score == 5


def test_staff_need_no_special_role_and_anonymous_needs_no_login(client_as, users, invitation) -> None:
    for role, user in users.items():
        assert client_as(user).get(path_of(invitation)).status_code == 200, role


def test_the_expiry_sweep_marks_old_unanswered_invitations(invitation, contact) -> None:
    from kliyan.feedback.tasks import expire_survey_invitations

    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert expire_survey_invitations.enqueue().return_value == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.EXPIRED
    assert expire_survey_invitations.enqueue().return_value == 0
