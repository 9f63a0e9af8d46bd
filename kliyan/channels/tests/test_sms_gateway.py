"""The generic HTTP SMS gateway: JSON out with a Bearer token, signed JSON in (messages and receipts)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from kliyan.channels.providers.gateway import signature
from kliyan.channels.senders import Outgoing, ProviderError, sender_for
from kliyan.contacts.models import Contact
from kliyan.interactions.models import Interaction
from kliyan.marketing.models import Message

pytestmark = pytest.mark.django_db

SECRET = "gateway-shared-secret"
INBOUND = "/channels/sms-gateway/message"
RECEIPT = "/channels/sms-gateway/receipt"
MESSAGE = Outgoing(message_id=42, channel="sms", recipient="+355691234567", body="Përshëndetje Arben!")


def _send(url: str) -> list[Any]:
    with override_settings(KLIYAN_SMS_PROVIDER="http", KLIYAN_SMS_GATEWAY_URL=url + "/send", KLIYAN_SMS_GATEWAY_TOKEN="tok-1"):
        return list(sender_for("sms").send_many([MESSAGE]))


def test_a_message_is_posted_as_json_with_the_outbox_id_as_reference(provider) -> None:
    provider.answer((200, {"id": "gw-9001"}))
    assert _send(provider.url) == [(42, "gw-9001")]
    [request] = provider.requests
    assert (request.path, request.headers["authorization"], request.headers["content-type"]) == (
        "/send", "Bearer tok-1", "application/json",
    )
    assert request.json == {"to": "+355691234567", "text": "Përshëndetje Arben!", "reference": "42"}


@pytest.mark.parametrize(("status", "retryable"), [(400, False), (401, False), (422, False), (429, True), (500, True), (503, True)])
def test_a_refusal_is_final_and_a_busy_or_broken_gateway_is_retried(provider, status, retryable) -> None:
    provider.answer((status, {"error": "no credit"}))
    [(_id, error)] = _send(provider.url)
    assert isinstance(error, ProviderError) and error.retryable is retryable
    assert str(error) == f"SMS gateway {status}: no credit"


def _signed(path: str, payload: Any, *, secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    return Client().post(path, body, content_type="application/json", HTTP_X_KLIYAN_SIGNATURE=signature(secret, body))


@override_settings(KLIYAN_SMS_GATEWAY_SECRET=SECRET)
def test_a_signed_incoming_message_is_logged_once(haiti) -> None:
    payload = {"id": "in-1", "from": "+355691234567", "to": "+355401234", "text": "A keni bukë?", "at": "2026-03-02T09:00:00Z"}
    assert _signed(INBOUND, payload).json() == {"ok": True, "problems": []}
    assert _signed(INBOUND, payload).status_code == 200
    interaction = Interaction.objects.get()
    assert (interaction.external_id, interaction.question) == ("gateway:in-1", "A keni bukë?")


@override_settings(KLIYAN_SMS_GATEWAY_SECRET=SECRET)
def test_a_wrong_or_missing_signature_is_refused_and_nothing_is_written(haiti) -> None:
    payload = {"id": "in-2", "from": "+355691234567", "text": "NDALO"}
    body = json.dumps(payload).encode()
    assert _signed(INBOUND, payload, secret="other").status_code == 403
    assert Client().post(INBOUND, body, content_type="application/json").status_code == 403
    # Signed, then changed on the way.
    tampered = Client().post(
        INBOUND, body.replace(b"NDALO", b"Hello"), content_type="application/json", HTTP_X_KLIYAN_SIGNATURE=signature(SECRET, body),
    )
    assert tampered.status_code == 403
    assert (Contact.objects.count(), Interaction.objects.count()) == (0, 0)


@override_settings(KLIYAN_SMS_GATEWAY_SECRET=SECRET)
def test_a_message_without_id_is_answered_with_the_problem(haiti) -> None:
    response = _signed(INBOUND, {"from": "+355691234567", "text": "Hello"})
    assert response.status_code == 400 and "external_id" in response.json()["problems"][0]
    assert Interaction.objects.count() == 0


@override_settings(KLIYAN_SMS_GATEWAY_SECRET=SECRET)
def test_receipts_in_a_list_are_applied_and_unsigned_ones_ignored(contact) -> None:
    message = Message.objects.create(
        contact=contact, channel="sms", language="sq", recipient="+355691234567", body="Hi", status="sent",
        provider_id="gw-9001", send_after=timezone.now(), idempotency_key="t:gw",
    )
    assert Client().post(RECEIPT, json.dumps({"id": "gw-9001", "status": "failed"}), content_type="application/json").status_code == 403
    response = _signed(RECEIPT, [{"id": "gw-9001", "status": "delivered", "at": "2026-03-02T09:05:00+00:00"}, {"id": "gw-x", "status": "delivered"}])
    assert response.status_code == 200
    message.refresh_from_db()
    assert (message.status, message.delivered_at.isoformat()) == ("delivered", "2026-03-02T09:05:00+00:00")
