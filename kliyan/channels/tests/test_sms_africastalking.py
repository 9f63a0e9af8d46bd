"""Africa's Talking: SMS sent through /version1/messaging, incoming SMS and delivery reports (secret in the URL)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from kliyan.channels.senders import Outgoing, ProviderError, sender_for
from kliyan.contacts.models import Contact
from kliyan.interactions.models import Interaction
from kliyan.marketing.models import Message

pytestmark = pytest.mark.django_db

SECRET = "at-callback-secret-1234"


def _settings(url: str) -> override_settings:
    return override_settings(
        KLIYAN_SMS_PROVIDER="africastalking", KLIYAN_AFRICASTALKING_USERNAME="kliyan", KLIYAN_AFRICASTALKING_API_KEY="atsk_123",
        KLIYAN_AFRICASTALKING_SENDER_ID="KLIYAN", KLIYAN_AFRICASTALKING_BASE_URL=url,
    )


def _answer(code: int, status: str, message_id: str = "None") -> tuple[int, dict[str, Any]]:
    recipient = {"statusCode": code, "number": "+265888123456", "status": status, "cost": "MWK 20.0000", "messageId": message_id}
    return 201, {"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: MWK 20.0000", "Recipients": [recipient]}}


def _send(url: str, *messages: Outgoing) -> list[Any]:
    with _settings(url):
        return list(sender_for("sms").send_many(messages))


MESSAGE = Outgoing(message_id=11, channel="sms", recipient="+265888123456", body="Moni! Mwalandira 10% pa oda yanu.")


def test_an_sms_is_posted_with_the_api_key_header_and_the_message_id_comes_back(provider) -> None:
    provider.answer(_answer(101, "Success", "ATXid_abc123"))
    assert _send(provider.url, MESSAGE) == [(11, "ATXid_abc123")]
    [request] = provider.requests
    assert request.path == "/version1/messaging"
    assert (request.headers["apikey"], request.headers["accept"]) == ("atsk_123", "application/json")
    assert request.form == {"username": "kliyan", "to": "+265888123456", "message": MESSAGE.body, "from": "KLIYAN"}


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        (_answer(403, "InvalidPhoneNumber"), False),
        (_answer(406, "UserInBlacklist"), False),
        (_answer(405, "InsufficientBalance"), True),
        (_answer(500, "InternalServerError"), True),
        ((201, {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}), False),
        ((401, b"The supplied authentication is invalid"), False),
        ((502, b"Bad gateway"), True),
    ],
)
def test_refusals_say_why_and_only_passing_troubles_are_retried(provider, answer, retryable) -> None:
    provider.answer(answer)
    [(message_id, error)] = _send(provider.url, MESSAGE)
    assert message_id == 11 and isinstance(error, ProviderError)
    assert error.retryable is retryable and str(error).startswith("Africa's Talking")


@override_settings(KLIYAN_AFRICASTALKING_WEBHOOK_SECRET=SECRET)
def test_an_incoming_sms_is_logged_once_and_a_wrong_secret_writes_nothing(haiti) -> None:
    form = {
        "from": "+265888123456", "to": "20880", "text": "Muli bwanji, mtengo wa buledi ndi chiyani?", "id": "at-in-1",
        "linkId": "link-1", "date": "2026-03-02 10:15:00", "networkCode": "65001",
    }
    assert Client().post("/channels/africastalking/wrong/message", form).status_code == 403
    assert Client().post(f"/channels/africastalking/{SECRET}x/message", form).status_code == 403
    assert (Contact.objects.count(), Interaction.objects.count()) == (0, 0)
    assert Client().post(f"/channels/africastalking/{SECRET}/message", form).status_code == 200
    assert Client().post(f"/channels/africastalking/{SECRET}/message", form).status_code == 200
    interaction = Interaction.objects.get()
    assert (interaction.channel, interaction.external_id, interaction.occurred_at.isoformat()) == (
        "sms", "africastalking:at-in-1", "2026-03-02T10:15:00+00:00",
    )
    assert interaction.contact.phonenumbers.get().e164 == "+265888123456"


@override_settings(KLIYAN_AFRICASTALKING_WEBHOOK_SECRET="")
def test_callbacks_are_refused_while_no_secret_is_set(haiti) -> None:
    assert Client().post("/channels/africastalking/anything/message", {"from": "+265888123456", "id": "1"}).status_code == 403


@override_settings(KLIYAN_AFRICASTALKING_WEBHOOK_SECRET=SECRET)
def test_delivery_reports_mark_the_message_delivered_or_failed(contact) -> None:
    def message(provider_id: str) -> Message:
        return Message.objects.create(
            contact=contact, channel="sms", language="ny", recipient="+265888123456", body="Moni", status="sent",
            provider_id=provider_id, send_after=timezone.now(), idempotency_key=f"t:{provider_id}",
        )

    delivered, failed = message("ATXid_1"), message("ATXid_2")
    url = f"/channels/africastalking/{SECRET}/delivery"
    Client().post(url, {"id": "ATXid_1", "status": "Success", "phoneNumber": "+265888123456", "networkCode": "65001"})
    Client().post(url, {"id": "ATXid_2", "status": "Failed", "failureReason": "AbsentSubscriber", "retryCount": "0"})
    assert Client().post(url.replace(SECRET, "nope"), {"id": "ATXid_1", "status": "Failed"}).status_code == 403
    delivered.refresh_from_db()
    failed.refresh_from_db()
    assert delivered.status == "delivered"
    assert (failed.status, failed.error) == ("failed", "Africa's Talking: AbsentSubscriber")
