"""Survey invitations reach a real SMTP server (aiosmtpd): in the customer's language, with their link, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kliyan.contacts.services import contact_create
from kliyan.feedback import mailer, outbox
from kliyan.feedback.choices import InvitationStatus
from kliyan.feedback.models import SurveyInvitation
from kliyan.feedback.tasks import send_due_survey_emails, send_survey_email
from kliyan.service import services

pytestmark = pytest.mark.django_db


def test_a_csat_invitation_is_delivered_in_romanian_with_its_link(smtp, ticket, resolve, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation = resolve(ticket)
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["stefan.popescu@example.ro"]
    assert message["From"] == "Shop <hello@shop.example>" and message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert outbox.survey_url(invitation) in body
    assert outbox.survey_url(invitation).startswith("https://crm.shop.example/s/")
    assert ticket.reference in body and "Ștefan" in body
    assert ticket.reference not in message["Subject"]  # a reply to the survey must not reopen the ticket
    invitation.refresh_from_db()
    assert (invitation.status, invitation.send_attempts, invitation.send_error) == (InvitationStatus.SENT, 1, "")


def test_sending_twice_sends_once(smtp, invitation) -> None:
    assert send_survey_email.enqueue(invitation.pk).return_value is True
    assert send_survey_email.enqueue(invitation.pk).return_value is False
    assert send_due_survey_emails.enqueue().return_value == 0
    assert len(smtp.messages) == 1


def test_a_refusing_server_is_retried_later_and_given_up_after_the_last_attempt(smtp, invitation) -> None:
    smtp.refuse = True
    assert mailer.send_one(invitation.pk) is False
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.QUEUED and "451" in invitation.send_error
    assert invitation.next_attempt_at > timezone.now() + dt.timedelta(minutes=4)
    for _attempt in range(outbox.MAX_ATTEMPTS - 1):
        SurveyInvitation.objects.filter(pk=invitation.pk).update(next_attempt_at=timezone.now())
        mailer.send_one(invitation.pk)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.send_attempts, invitation.next_attempt_at) == (InvitationStatus.FAILED, outbox.MAX_ATTEMPTS, None)
    assert smtp.messages == []


def test_an_unreachable_server_is_a_retry_not_a_crash(settings, invitation) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    assert mailer.send_one(invitation.pk) is False
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.QUEUED and invitation.send_error


def test_the_sweep_sends_every_due_email_invitation_over_one_connection(smtp, agent, resolve) -> None:
    made = []
    for n in range(3):
        person = contact_create(actor=agent, data={"first_name": f"P{n}", "emails": [{"email": f"p{n}@example.org"}], "language": "fr"})
        made.append(resolve(services.ticket_create(actor=agent, data={"contact": person.pk, "subject": f"s{n}"})))
    no_email = contact_create(actor=agent, data={"first_name": "Nomail", "phones": [{"number": "+40 721 000 009"}]})
    sms = resolve(services.ticket_create(actor=agent, data={"contact": no_email.pk, "subject": "x"}))
    assert send_due_survey_emails.enqueue().return_value == 3
    assert sorted(r[0] for r, _m in smtp.messages) == ["p0@example.org", "p1@example.org", "p2@example.org"]
    sms.refresh_from_db()
    assert sms.status == InvitationStatus.QUEUED  # waits for the SMS outbox (issue 5)
    assert SurveyInvitation.objects.filter(pk__in=[m.pk for m in made], status=InvitationStatus.SENT).count() == 3


def test_an_invitation_opened_before_its_email_left_is_not_emailed(smtp, invitation) -> None:
    from kliyan.feedback.services import invitation_opened

    invitation_opened(invitation)
    assert mailer.send_one(invitation.pk) is False
    assert smtp.messages == []
