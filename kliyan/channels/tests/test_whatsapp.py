"""WhatsApp Business Cloud API: free text inside the 24-hour window, approved templates outside it,
and the webhook (verification, X-Hub-Signature-256, messages and statuses)."""

from __future__ import annotations

import dataclasses

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from kliyan.channels.models import ChannelIdentity
from kliyan.channels.senders import Outgoing, ProviderError, sender_for
from kliyan.contacts.models import Consent, Contact
from kliyan.interactions.models import Interaction
from kliyan.marketing.models import Message

pytestmark = pytest.mark.django_db

APP_SECRET = "meta-app-secret"
WEBHOOK = "/channels/whatsapp"
ACCEPTED = (200, {"messaging_product": "whatsapp", "contacts": [{"input": "50937123456", "wa_id": "50937123456"}],
                  "messages": [{"id": "wamid.HBgLNTA5MzcxMjM0NTYVAgARGBI"}]})


def _settings(url: str) -> override_settings:
    return override_settings(
        KLIYAN_WHATSAPP_PROVIDER="cloud", KLIYAN_WHATSAPP_TOKEN="EAAG-token", KLIYAN_WHATSAPP_PHONE_NUMBER_ID="1055512345",
        KLIYAN_WHATSAPP_BASE_URL=url + "/v21.0",
    )


def _send(url: str, *messages: Outgoing) -> dict[int, Any]:
    with _settings(url):
        return dict(sender_for("whatsapp").send_many(messages))


def _wrote(contact: Contact, hours_ago: float, handle: str = "50937123456") -> None:
    ChannelIdentity.objects.create(
        contact=contact, channel="whatsapp", handle=handle, last_inbound_at=timezone.now() - dt.timedelta(hours=hours_ago),
    )


BIRTHDAY = Outgoing(
    message_id=5, channel="whatsapp", recipient="+50937123456", body="Bòn fèt Marie-Claire! Kòd ou: BONFET10", language="fr",
    provider_template="birthday_offer", template_params=("Marie-Claire", "BONFET10"),
)


# --- Sending ----------------------------------------------------------------------------------

def test_inside_the_window_a_free_text_message_is_sent_with_the_bearer_token(provider, caller) -> None:
    _wrote(caller, hours_ago=23)
    provider.answer(ACCEPTED)
    assert _send(provider.url, BIRTHDAY) == {5: "wamid.HBgLNTA5MzcxMjM0NTYVAgARGBI"}
    [request] = provider.requests
    assert (request.path, request.headers["authorization"]) == ("/v21.0/1055512345/messages", "Bearer EAAG-token")
    assert request.json == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "50937123456",
        "biz_opaque_callback_data": "5", "type": "text",
        "text": {"body": "Bòn fèt Marie-Claire! Kòd ou: BONFET10", "preview_url": False},
    }


def test_outside_the_window_the_approved_template_is_sent_with_its_parameters(provider, caller) -> None:
    _wrote(caller, hours_ago=25)
    provider.answer(ACCEPTED)
    _send(provider.url, BIRTHDAY)
    assert provider.requests[0].json == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "50937123456",
        "biz_opaque_callback_data": "5", "type": "template",
        "template": {
            "name": "birthday_offer", "language": {"code": "fr"},
            "components": [{"type": "body", "parameters": [
                {"type": "text", "text": "Marie-Claire"}, {"type": "text", "text": "BONFET10"},
            ]}],
        },
    }


def test_a_creole_or_chichewa_template_goes_under_the_code_meta_approved_it_in(provider, caller) -> None:
    # Meta has no Haitian Creole or Chichewa: by default they are registered as French and English.
    _wrote(caller, hours_ago=25)
    provider.answer(ACCEPTED)
    provider.answer(ACCEPTED)
    _send(provider.url, dataclasses.replace(BIRTHDAY, language="ht"), dataclasses.replace(BIRTHDAY, message_id=7, language="ny"))
    assert [r.json["template"]["language"] for r in provider.requests] == [{"code": "fr"}, {"code": "en"}]


def test_without_an_approved_template_a_message_outside_the_window_is_refused_before_any_call(provider, haiti) -> None:
    message = Outgoing(message_id=6, channel="whatsapp", recipient="+50938887766", body="Pwomosyon!")
    [error] = _send(provider.url, message).values()
    assert isinstance(error, ProviderError) and not error.retryable and "24 hours" in str(error)
    assert provider.requests == []


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [(131047, 400, False), (131026, 400, False), (132001, 404, False), (130429, 400, True), (131056, 400, True), (2, 503, True)],
)
def test_meta_errors_are_final_unless_they_are_rate_limits_or_outages(provider, caller, code, status, retryable) -> None:
    _wrote(caller, hours_ago=1)
    provider.answer((status, {"error": {"message": "(#%d) Something" % code, "type": "OAuthException", "code": code,
                                        "error_data": {"details": "More detail"}, "fbtrace_id": "Az8"}}))
    [error] = _send(provider.url, BIRTHDAY).values()
    assert isinstance(error, ProviderError) and error.retryable is retryable
    assert str(error) == f"WhatsApp {code}: (#{code}) Something (More detail)"


def test_whatsapp_is_not_set_up_without_a_token() -> None:
    with override_settings(KLIYAN_WHATSAPP_PROVIDER="cloud", KLIYAN_WHATSAPP_TOKEN=""):
        assert sender_for("whatsapp") is None


# --- The webhook ------------------------------------------------------------------------------

def _post(payload: dict[str, Any], *, secret: str = APP_SECRET) -> Any:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return Client().post(WEBHOOK, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature)


def _change(value: dict[str, Any]) -> dict[str, Any]:
    value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "50928000000", "phone_number_id": "1055512345"}, **value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"value": value, "field": "messages"}]}]}


def _text_message(
    wamid: str, text: str, sender: str = "50938887766", name: str = "Jean Baptiste", timestamp: str = "1772445600",
) -> dict[str, Any]:
    return _change({
        "contacts": [{"profile": {"name": name}, "wa_id": sender}],
        "messages": [{"from": sender, "id": wamid, "timestamp": timestamp, "type": "text", "text": {"body": text}}],
    })


@override_settings(KLIYAN_META_VERIFY_TOKEN="verify-me")
def test_meta_verifies_the_url_with_the_verify_token() -> None:
    ok = Client().get(WEBHOOK, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.content) == (200, b"1158201444")
    wrong = Client().get(WEBHOOK, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1158201444"})
    assert wrong.status_code == 403


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_a_signed_message_from_someone_new_creates_a_lead_and_is_logged_once(haiti) -> None:
    payload = _text_message("wamid.in1", "Bonjou, konbyen yon gato fèt?")
    assert _post(payload).status_code == 200
    assert _post(payload).status_code == 200  # Meta delivers again: nothing new
    interaction = Interaction.objects.get()
    assert (interaction.channel, interaction.external_id, interaction.question) == (
        "whatsapp", "whatsapp:wamid.in1", "Bonjou, konbyen yon gato fèt?",
    )
    assert interaction.occurred_at == dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
    contact = interaction.contact
    assert (contact.display_name, contact.source, [t.name for t in contact.tags.all()]) == ("Jean Baptiste", "whatsapp", ["Lead"])
    identity = ChannelIdentity.objects.get()
    assert (identity.handle, identity.last_inbound_at) == ("50938887766", interaction.occurred_at)


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_a_bad_signature_is_refused_and_nothing_is_written(haiti) -> None:
    payload = _text_message("wamid.in2", "STOP")
    assert _post(payload, secret="not-the-secret").status_code == 403
    body = json.dumps(payload).encode()
    assert Client().post(WEBHOOK, body, content_type="application/json").status_code == 403
    assert (Contact.objects.count(), Interaction.objects.count(), ChannelIdentity.objects.count()) == (0, 0, 0)


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_stop_on_whatsapp_withdraws_whatsapp_consent(caller, agent) -> None:
    from kliyan.contacts.services import consent_set

    consent_set(
        actor=agent, contact=caller, channel="whatsapp", status="granted", method="written",
        at=timezone.now() - dt.timedelta(minutes=1),
    )
    # The provider's time of the message (whole seconds) dates the withdrawal.
    _post(_text_message("wamid.stop", "Sispann", sender="50937123456", timestamp=str(int(timezone.now().timestamp()))))
    assert Consent.objects.get(contact=caller, channel="whatsapp").status == "withdrawn"


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_buttons_captions_and_reactions(haiti) -> None:
    payload = _change({
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "50938887766"}],
        "messages": [
            {"from": "50938887766", "id": "wamid.b1", "timestamp": "1772445600", "type": "button",
             "button": {"text": "Wi, mwen enterese", "payload": "yes"}},
            {"from": "50938887766", "id": "wamid.i1", "timestamp": "1772445601", "type": "image",
             "image": {"caption": "Sa a", "mime_type": "image/jpeg", "id": "img1"}},
            {"from": "50938887766", "id": "wamid.r1", "timestamp": "1772445602", "type": "reaction",
             "reaction": {"message_id": "wamid.out", "emoji": "👍"}},
        ],
    })
    _post(payload)
    assert sorted(Interaction.objects.values_list("question", flat=True)) == ["Sa a", "Wi, mwen enterese"]


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_statuses_move_our_messages_forward_and_failures_keep_metas_reason(caller) -> None:
    def message(wamid: str) -> Message:
        return Message.objects.create(
            contact=caller, channel="whatsapp", language="ht", recipient="+50937123456", body="Bonjou", status="sent",
            provider_id=wamid, send_after=timezone.now(), idempotency_key=f"t:{wamid}",
        )

    read, failed = message("wamid.out1"), message("wamid.out2")
    statuses = [
        {"id": "wamid.out1", "status": "read", "timestamp": "1772445700", "recipient_id": "50937123456"},
        {"id": "wamid.out1", "status": "delivered", "timestamp": "1772445650", "recipient_id": "50937123456"},
        {"id": "wamid.out2", "status": "failed", "timestamp": "1772445700", "recipient_id": "50937123456",
         "errors": [{"code": 131026, "title": "Message undeliverable"}]},
    ]
    assert _post(_change({"statuses": statuses})).status_code == 200
    read.refresh_from_db()
    failed.refresh_from_db()
    assert (read.status, read.delivered_at, read.opened_at) == (
        "opened", dt.datetime(2026, 3, 2, 10, 1, 40, tzinfo=dt.timezone.utc), dt.datetime(2026, 3, 2, 10, 1, 40, tzinfo=dt.timezone.utc),
    )
    assert (failed.status, failed.error) == ("failed", "WhatsApp 131026: Message undeliverable")


@override_settings(KLIYAN_META_APP_SECRET=APP_SECRET)
def test_a_signed_body_that_is_not_json_is_answered_400() -> None:
    body = b"not json"
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = Client().post(WEBHOOK, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature)
    assert response.status_code == 400
