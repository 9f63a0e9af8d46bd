"""Twilio Messaging: SMS and WhatsApp sent through the Messages API, incoming messages and status callbacks.

The sender talks to a local server answering in Twilio's format; the webhooks are signed
with the `twilio` package's RequestValidator, the reference implementation.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from twilio.request_validator import RequestValidator

from kliyan.channels.models import ChannelIdentity
from kliyan.channels.senders import Outgoing, ProviderError, sender_for
from kliyan.channels.tests.fakes import closed_port_url
from kliyan.contacts.models import Contact
from kliyan.interactions.models import Interaction
from kliyan.marketing import outbox
from kliyan.marketing.models import Message, PendingReceipt

pytestmark = pytest.mark.django_db

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "12345678901234567890123456789012"
INBOUND = "/channels/twilio/message"
STATUS = "/channels/twilio/message-status"
CREATED = (201, {"sid": "SM0000000000000000000000000000001", "status": "queued"})


def _settings(url: str, **extra: Any) -> override_settings:
    values = {
        "KLIYAN_SMS_PROVIDER": "twilio", "KLIYAN_TWILIO_ACCOUNT_SID": SID, "KLIYAN_TWILIO_AUTH_TOKEN": TOKEN,
        "KLIYAN_TWILIO_FROM": "+15005550006", "KLIYAN_TWILIO_BASE_URL": url, "KLIYAN_PUBLIC_URL": "https://crm.example.ht",
    }
    return override_settings(**{**values, **extra})


def _sms(message_id: int = 7, to: str = "+50937123456", body: str = "Bonjou Marie-Claire!") -> Outgoing:
    return Outgoing(message_id=message_id, channel="sms", recipient=to, body=body)


# --- Sending ----------------------------------------------------------------------------------

def test_an_sms_is_posted_to_the_messages_resource_with_basic_auth(provider) -> None:
    provider.answer(CREATED)
    with _settings(provider.url):
        results = list(sender_for("sms").send_many([_sms()]))
    assert results == [(7, "SM0000000000000000000000000000001")]
    [request] = provider.requests
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "To": "+50937123456", "From": "+15005550006", "Body": "Bonjou Marie-Claire!",
        "StatusCallback": "https://crm.example.ht/channels/twilio/message-status",
    }


def test_a_messaging_service_sends_when_no_from_number_is_set(provider) -> None:
    provider.answer(CREATED)
    with _settings(provider.url, KLIYAN_TWILIO_FROM="", KLIYAN_TWILIO_MESSAGING_SERVICE_SID="MG123", KLIYAN_PUBLIC_URL=""):
        list(sender_for("sms").send_many([_sms()]))
    assert provider.requests[0].form == {"To": "+50937123456", "MessagingServiceSid": "MG123", "Body": "Bonjou Marie-Claire!"}


def test_each_message_is_answered_on_its_own_and_a_refusal_is_not_retried(provider) -> None:
    invalid = (400, {"code": 21211, "message": "The 'To' number 123 is not a valid phone number.", "status": 400})
    provider.answer(invalid, CREATED)
    with _settings(provider.url):
        results = list(sender_for("sms").send_many([_sms(1, to="123"), _sms(2)]))
    (first_id, error), second = results
    assert first_id == 1 and isinstance(error, ProviderError) and not error.retryable
    assert str(error) == "Twilio 21211: The 'To' number 123 is not a valid phone number."
    assert second == (2, "SM0000000000000000000000000000001")


@pytest.mark.parametrize("status", [429, 500, 503])
def test_too_many_requests_and_server_errors_are_retried(provider, status) -> None:
    provider.answer((status, {"code": 20429 if status == 429 else 20500, "message": "Try later", "status": status}))
    with _settings(provider.url):
        [(_id, error)] = list(sender_for("sms").send_many([_sms()]))
    assert isinstance(error, ProviderError) and error.retryable


def test_twilio_unreachable_is_retried() -> None:
    with _settings(closed_port_url()):
        [(_id, error)] = list(sender_for("sms").send_many([_sms()]))
    assert isinstance(error, ProviderError) and error.retryable


def test_sms_is_not_set_up_without_credentials() -> None:
    with override_settings(KLIYAN_SMS_PROVIDER="twilio", KLIYAN_TWILIO_ACCOUNT_SID=""):
        assert sender_for("sms") is None
    with override_settings(KLIYAN_SMS_PROVIDER=""):
        assert sender_for("sms") is None
    with override_settings(KLIYAN_SMS_PROVIDER="nexmo"):
        assert sender_for("sms") is None


def test_whatsapp_through_twilio_sends_free_text_inside_the_window_and_a_content_template_outside(provider, caller) -> None:
    ChannelIdentity.objects.create(
        contact=caller, channel="whatsapp", handle="50937123456", last_inbound_at=timezone.now() - dt.timedelta(hours=2),
    )
    provider.answer(CREATED)
    messages = [
        Outgoing(message_id=1, channel="whatsapp", recipient="+50937123456", body="Wi, nou louvri."),
        Outgoing(
            message_id=2, channel="whatsapp", recipient="+50938887766", body="Bòn fèt!",
            provider_template="HX0123", template_params=("Rose", "BONFET10"),
        ),
        Outgoing(message_id=3, channel="whatsapp", recipient="+50938887766", body="Bòn fèt!"),
    ]
    with _settings(provider.url, KLIYAN_WHATSAPP_PROVIDER="twilio", KLIYAN_TWILIO_WHATSAPP_FROM="+14155238886"):
        results = dict(sender_for("whatsapp").send_many(messages))
    first, second = (r.form for r in provider.requests)
    assert (first["To"], first["From"], first["Body"]) == ("whatsapp:+50937123456", "whatsapp:+14155238886", "Wi, nou louvri.")
    assert (second["To"], second["ContentSid"], second["ContentVariables"]) == (
        "whatsapp:+50938887766", "HX0123", '{"1": "Rose", "2": "BONFET10"}',
    )
    assert "Body" not in second
    # No template to fall back on outside the window: refused here, never sent.
    assert isinstance(results[3], ProviderError) and not results[3].retryable and len(provider.requests) == 2


# --- Webhooks ---------------------------------------------------------------------------------

def _signed_post(path: str, form: dict[str, str], *, token: str = TOKEN) -> Any:
    signature = RequestValidator(token).compute_signature(f"http://testserver{path}", form)
    return Client().post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)


INCOMING_SMS = {
    "MessageSid": "SM1a2b3c", "SmsSid": "SM1a2b3c", "AccountSid": SID, "From": "+50937123456", "To": "+15005550006",
    "Body": "Ki lè nou fèmen?", "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01",
}


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN=TOKEN)
def test_a_signed_incoming_sms_is_logged_once_even_if_twilio_sends_it_again(caller) -> None:
    response = _signed_post(INBOUND, INCOMING_SMS)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response/>")  # no automatic reply
    assert _signed_post(INBOUND, INCOMING_SMS).status_code == 200
    interaction = Interaction.objects.get(channel="sms")
    assert (interaction.contact_id, interaction.question, interaction.external_id) == (caller.pk, "Ki lè nou fèmen?", "twilio:SM1a2b3c")


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN=TOKEN)
def test_a_badly_signed_message_is_refused_and_nothing_is_written(haiti) -> None:
    wrong_token = _signed_post(INBOUND, INCOMING_SMS, token="x" * 32)
    unsigned = Client().post(INBOUND, INCOMING_SMS)
    tampered_form = dict(INCOMING_SMS)
    signature = RequestValidator(TOKEN).compute_signature(f"http://testserver{INBOUND}", INCOMING_SMS)
    tampered = Client().post(INBOUND, {**tampered_form, "Body": "STOP"}, HTTP_X_TWILIO_SIGNATURE=signature)
    assert [r.status_code for r in (wrong_token, unsigned, tampered)] == [403, 403, 403]
    assert (Contact.objects.count(), Interaction.objects.count(), ChannelIdentity.objects.count()) == (0, 0, 0)


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN=TOKEN, KLIYAN_PUBLIC_URL="https://crm.example.ht")
def test_behind_a_proxy_the_signature_is_checked_against_the_public_url(caller) -> None:
    signature = RequestValidator(TOKEN).compute_signature(f"https://crm.example.ht{INBOUND}", INCOMING_SMS)
    assert Client().post(INBOUND, INCOMING_SMS, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 200
    assert _signed_post(INBOUND, {**INCOMING_SMS, "MessageSid": "SM2"}).status_code == 403


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN=TOKEN)
def test_a_whatsapp_message_through_twilio_creates_a_lead_named_from_the_profile(haiti) -> None:
    form = {
        "MessageSid": "SMwa1", "AccountSid": SID, "From": "whatsapp:+50938887766", "To": "whatsapp:+14155238886",
        "Body": "Bonjou, èske nou livre?", "ProfileName": "Rose Pierre", "WaId": "50938887766", "NumMedia": "0",
    }
    assert _signed_post(INBOUND, form).status_code == 200
    interaction = Interaction.objects.get()
    assert (interaction.channel, interaction.contact.display_name) == ("whatsapp", "Rose Pierre")
    assert ChannelIdentity.objects.get().handle == "50938887766"


def _sent_message(contact: Contact, provider_id: str, channel: str = "sms") -> Message:
    return Message.objects.create(
        contact=contact, channel=channel, language="ht", recipient="+50937123456", body="Bonjou", status="sent",
        provider_id=provider_id, send_after=timezone.now(), idempotency_key=f"test:{provider_id}", sent_at=timezone.now(),
    )


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN=TOKEN)
def test_status_callbacks_move_the_message_forward_and_a_repeat_changes_nothing(caller) -> None:
    message = _sent_message(caller, "SMout1")
    form = {"MessageSid": "SMout1", "MessageStatus": "delivered", "AccountSid": SID, "From": "+15005550006", "To": "+50937123456"}
    assert _signed_post(STATUS, form).status_code == 204
    message.refresh_from_db()
    delivered_at = message.delivered_at
    assert message.status == "delivered" and delivered_at is not None
    assert _signed_post(STATUS, form).status_code == 204
    assert _signed_post(STATUS, {**form, "MessageStatus": "sent"}).status_code == 204  # late, out of order
    message.refresh_from_db()
    assert (message.status, message.delivered_at) == ("delivered", delivered_at)


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN=TOKEN)
def test_an_undelivered_message_is_marked_failed_with_twilios_error(caller) -> None:
    message = _sent_message(caller, "SMout2")
    form = {"MessageSid": "SMout2", "MessageStatus": "undelivered", "ErrorCode": "30003", "To": "+50937123456"}
    _signed_post(STATUS, form)
    message.refresh_from_db()
    assert (message.status, message.error) == ("failed", "Twilio 30003")


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN=TOKEN)
def test_a_badly_signed_status_callback_changes_nothing(caller) -> None:
    message = _sent_message(caller, "SMout3")
    form = {"MessageSid": "SMout3", "MessageStatus": "failed", "To": "+50937123456"}
    assert _signed_post(STATUS, form, token="y" * 32).status_code == 403
    message.refresh_from_db()
    assert message.status == "sent"


def test_a_status_callback_that_beats_the_workers_write_is_applied_once_the_id_is_written(provider, caller, monkeypatch) -> None:
    message = outbox.queue_message(actor=None, contact=caller, channel="sms", purpose="transactional",
                                   idempotency_key="race:1", body="Komand ou pare.")
    provider.answer(CREATED)
    real_sender_for = outbox.sender_for

    class CallbackFirst:
        """Twilio calls back between answering the send and the worker writing the sid (it does, within ms)."""

        def send_many(self, messages):
            for message_id, result in real_sender_for("sms").send_many(messages):
                form = {"MessageSid": str(result), "MessageStatus": "delivered", "AccountSid": SID,
                        "From": "+15005550006", "To": "+50937123456"}
                signature = RequestValidator(TOKEN).compute_signature(f"https://crm.example.ht{STATUS}", form)
                assert Client().post(STATUS, form, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
                yield message_id, result

    monkeypatch.setattr(outbox, "sender_for", lambda channel: CallbackFirst())
    with _settings(provider.url):
        assert outbox.deliver_due() == 1
    message.refresh_from_db()
    assert (message.status, message.provider_id) == ("delivered", "SM0000000000000000000000000000001")
    assert message.delivered_at is not None
    assert not PendingReceipt.objects.exists()
