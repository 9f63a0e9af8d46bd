"""Survey invitations due on SMS or WhatsApp go out through the messaging outbox, once, in the contact's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from kliyan.channels.tests.fakes import fake_provider
from kliyan.contacts.services import contact_create
from kliyan.feedback.choices import InvitationStatus
from kliyan.feedback.tasks import send_due_survey_texts
from kliyan.marketing.choices import MessageStatus, Purpose
from kliyan.marketing.models import Message
from kliyan.service.services import ticket_create

pytestmark = pytest.mark.django_db


def test_a_csat_invitation_by_sms_is_sent_once_through_the_outbox_in_the_contacts_language(agent: Any, resolve: Any) -> None:
    ana = contact_create(actor=agent, data={
        "first_name": "Ana", "last_name": "Ionescu", "language": "ro", "preferred_channel": "sms",
        "phones": [{"number": "+40 744 123 456"}],
    })
    ticket = ticket_create(actor=agent, data={"contact": ana.pk, "subject": "Colet întârziat", "channel": "phone"})
    invitation = resolve(ticket)
    assert (invitation.channel, invitation.status) == ("sms", InvitationStatus.QUEUED)

    with fake_provider() as gateway, override_settings(
        KLIYAN_SMS_PROVIDER="http", KLIYAN_SMS_GATEWAY_URL=gateway.url + "/send", KLIYAN_SMS_GATEWAY_TOKEN="tok-1",
    ):
        gateway.answer((200, {"id": "gw-1"}))
        assert send_due_survey_texts.enqueue().return_value == 1  # tasks run at once in the tests
        assert send_due_survey_texts.enqueue().return_value == 0  # a second sweep finds nothing due

    [request] = gateway.requests
    text = request.json["text"]
    assert request.json["to"] == "+40744123456"
    assert ticket.reference in text and f"https://crm.shop.example/s/" in text
    assert "întrebare" in text  # Romanian, the contact's language
    message = Message.objects.get()
    assert (message.idempotency_key, message.purpose, message.status, message.provider_id) == (
        f"survey:{invitation.pk}", Purpose.TRANSACTIONAL, MessageStatus.SENT, "gw-1")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT and invitation.sent_at is not None


def test_without_a_phone_any_more_the_message_is_kept_as_not_sent_with_its_reason(agent: Any, resolve: Any) -> None:
    rose = contact_create(actor=agent, data={
        "first_name": "Rose", "last_name": "Pierre", "preferred_channel": "whatsapp", "phones": [{"number": "+509 3712 3456"}],
    })
    invitation = resolve(ticket_create(actor=agent, data={"contact": rose.pk, "subject": "Livrezon", "channel": "phone"}))
    rose.phonenumbers.all().delete()
    type(rose).objects.filter(pk=rose.pk).update(primary_phone="")

    assert send_due_survey_texts.enqueue().return_value == 1
    message = Message.objects.get()
    assert (message.channel, message.status) == ("whatsapp", MessageStatus.NOT_SENT)
    assert message.reason  # says why: no WhatsApp number
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT  # handed over; the message tells the rest
