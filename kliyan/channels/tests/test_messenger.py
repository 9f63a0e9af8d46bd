"""Facebook Messenger and Instagram: replies through the Send API (never a first message), and the webhook."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from kliyan.channels.models import ChannelIdentity
from kliyan.channels.queries import channel_handle
from kliyan.channels.senders import Outgoing, ProviderError, sender_for
from kliyan.contacts.models import Contact
from kliyan.interactions.models import Interaction
from kliyan.marketing.models import Message

pytestmark = pytest.mark.django_db

APP_SECRET = "meta-app-secret"
WEBHOOK = "/channels/messenger"
PSID = "6123456789012345"
IGSID = "17841400000000001"


def _send(url: str, channel: str, *messages: Outgoing) -> dict[int, Any]:
    with override_settings(KLIYAN_MESSENGER_PAGE_TOKEN="EAAB-page", KLIYAN_MESSENGER_BASE_URL=url + "/v21.0"):
        return dict(sender_for(channel).send_many(messages))


def _wrote(contact: Contact, channel: str, handle: str, hours_ago: float) -> None:
    ChannelIdentity.objects.create(
        contact=contact, channel=channel, handle=handle, last_inbound_at=timezone.now() - dt.timedelta(hours=hours_ago),
    )


@pytest.mark.parametrize(("channel", "handle"), [("facebook", PSID), ("instagram", IGSID)])
def test_a_reply_within_a_day_of_their_message_goes_through_the_send_api(provider, caller, channel, handle) -> None:
    _wrote(caller, channel, handle, hours_ago=2)
    provider.answer((200, {"recipient_id": handle, "message_id": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM"}))
    reply = Outgoing(message_id=3, channel=channel, recipient=handle, body="Wi, nou gen gwo tay.")
    assert _send(provider.url, channel, reply) == {3: "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM"}
    [request] = provider.requests
    assert (request.path, request.headers["authorization"]) == ("/v21.0/me/messages", "Bearer EAAB-page")
    assert request.json == {"recipient": {"id": handle}, "message": {"text": "Wi, nou gen gwo tay."}, "messaging_type": "RESPONSE"}


def test_a_first_message_or_one_after_the_window_is_refused_without_calling_meta(provider, caller) -> None:
    _wrote(caller, "facebook", PSID, hours_ago=30)
    results = _send(
        provider.url, "facebook",
        Outgoing(message_id=1, channel="facebook", recipient="6999999999999999", body="Promo!"),
        Outgoing(message_id=2, channel="facebook", recipient=PSID, body="Promo!"),
    )
    assert all(isinstance(e, ProviderError) and not e.retryable for e in results.values())
    assert "not start a conversation" in str(results[1]) and "24 hours" in str(results[2])
    assert provider.requests == []


def test_metas_refusal_is_final_and_a_rate_limit_is_retried(provider, caller) -> None:
    _wrote(caller, "facebook", PSID, hours_ago=1)
    provider.answer(
        (400, {"error": {"message": "(#551) This person isn't available right now.", "type": "OAuthException", "code": 551}}),
        (400, {"error": {"message": "(#613) Calls to this api have exceeded the rate limit.", "code": 613}}),
    )
    results = _send(
        provider.url, "facebook",
        Outgoing(message_id=1, channel="facebook", recipient=PSID, body="A"),
        Outgoing(message_id=2, channel="facebook", recipient=PSID, body="B"),
    )
    assert (results[1].retryable, results[2].retryable) == (False, True)
    assert str(results[1]) == "Messenger 551: (#551) This person isn't available right now."


def test_messenger_is_not_set_up_without_a_page_token() -> None:
    with override_settings(KLIYAN_MESSENGER_PAGE_TOKEN=""):
        assert sender_for("facebook") is None and sender_for("instagram") is None


# --- The webhook ------------------------------------------------------------------------------

def _post(payload: dict[str, Any], *, secret: str = APP_SECRET) -> Any:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return Client().post(WEBHOOK, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature)


def _messaging(obj: str, *events: dict[str, Any]) -> dict[str, Any]:
    return {"object": obj, "entry": [{"id": "PAGE1", "time": 1772445600000, "messaging": list(events)}]}


def _message(sender: str, mid: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": "PAGE1"}, "timestamp": 1772445600123,
            "message": {"mid": mid, "text": text, **extra}}


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_a_messenger_message_from_someone_new_creates_a_lead_once(haiti) -> None:
    payload = _messaging("page", _message(PSID, "m_1", "Bonjou, nou louvri dimanch?"))
    assert _post(payload).status_code == 200
    assert _post(payload).status_code == 200
    interaction = Interaction.objects.get()
    assert (interaction.channel, interaction.external_id, interaction.question) == ("facebook", "facebook:m_1", "Bonjou, nou louvri dimanch?")
    assert interaction.occurred_at == dt.datetime(2026, 3, 2, 10, 0, 0, 123000, tzinfo=dt.timezone.utc)
    assert (interaction.contact.source, interaction.contact.source_detail) == ("facebook", "Messenger")
    assert channel_handle(interaction.contact_id, "facebook") == PSID


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_an_instagram_message_goes_to_the_contact_who_has_that_instagram_id(caller) -> None:
    ChannelIdentity.objects.create(contact=caller, channel="instagram", handle=IGSID)
    _post(_messaging("instagram", _message(IGSID, "aWdfZAG1", "Ou gen wòb sa a an wouj?")))
    assert Interaction.objects.get(channel="instagram").contact_id == caller.pk


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_our_own_echoes_are_not_logged_and_deliveries_and_reads_update_our_messages(caller) -> None:
    sent = Message.objects.create(
        contact=caller, channel="instagram", language="ht", recipient=IGSID, body="Wi", status="sent",
        provider_id="aWdfOut1", send_after=timezone.now(), idempotency_key="t:ig",
    )
    payload = _messaging(
        "instagram",
        _message("PAGE1", "aWdfOut1", "Wi", is_echo=True),
        {"sender": {"id": IGSID}, "recipient": {"id": "PAGE1"}, "timestamp": 1772445700000, "read": {"mid": "aWdfOut1"}},
    )
    _post(payload)
    assert Interaction.objects.filter(channel="instagram").count() == 0
    sent.refresh_from_db()
    assert sent.status == "opened"


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_a_bad_signature_is_refused_and_nothing_is_written(haiti) -> None:
    assert _post(_messaging("page", _message(PSID, "m_2", "Hi")), secret="other").status_code == 403
    assert (Contact.objects.count(), Interaction.objects.count()) == (0, 0)


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_a_tap_on_a_button_is_logged_with_its_title(haiti) -> None:
    event = {"sender": {"id": PSID}, "recipient": {"id": "PAGE1"}, "timestamp": 1772445600000,
             "postback": {"mid": "m_pb1", "title": "Wè pwomosyon yo", "payload": "PROMOS"}}
    _post(_messaging("page", event))
    assert Interaction.objects.get().question == "Wè pwomosyon yo"
