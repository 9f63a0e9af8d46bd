"""Twilio Programmable Messaging: SMS and WhatsApp out, incoming messages and status callbacks in.

Sending is one POST per message to the Messages resource (form fields, HTTP basic auth
with the account SID and auth token); Twilio answers the message's SID, or an error
{code, message, status}. A 429 or a 5xx is worth retrying; any other 4xx is not.
WhatsApp through Twilio is the same resource with "whatsapp:+E164" addresses; outside the
24-hour window only an approved Content template (ContentSid) may be sent.
Webhooks are signed with X-Twilio-Signature (kliyan.channels.twilio).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse

from kliyan.channels import queries
from kliyan.channels.providers import http, whatsapp
from kliyan.channels.providers.events import InboundMessage, StatusReport
from kliyan.channels.senders import Outgoing, ProviderError, Result
from kliyan.core.choices import Channel
from kliyan.core.phones import digits
from kliyan.marketing.choices import MessageStatus

API_VERSION = "2010-04-01"
WHATSAPP_PREFIX = "whatsapp:"
# Twilio's message statuses that change something for us (queued, accepted, sending… do not).
STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.OPENED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}


@dataclass(frozen=True)
class TwilioSender:
    account_sid: str
    auth_token: str
    base_url: str
    channel: str = Channel.SMS
    from_number: str = ""
    messaging_service_sid: str = ""
    status_callback: str = ""

    def send_many(self, messages: Sequence[Outgoing]) -> Iterator[Result]:
        last_inbound: dict[str, dt.datetime] = {}
        if self.channel == Channel.WHATSAPP:
            last_inbound = queries.last_inbound_by_handle(Channel.WHATSAPP, [digits(m.recipient) for m in messages])
        for message in messages:
            try:
                yield message.message_id, self._send(message, last_inbound)
            except ProviderError as error:
                yield message.message_id, error

    def _send(self, message: Outgoing, last_inbound: dict[str, dt.datetime]) -> str:
        url = f"{self.base_url.rstrip('/')}/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        answer = http.post_form(
            url, self._fields(message, last_inbound),
            headers={"Authorization": http.basic_auth(self.account_sid, self.auth_token), "Accept": "application/json"},
        )
        payload = answer.json()
        data = payload if isinstance(payload, dict) else {}
        if answer.ok and data.get("sid"):
            return str(data["sid"])
        detail = data.get("message") or answer.text()
        code = data.get("code") or answer.status
        raise ProviderError(f"Twilio {code}: {detail}", retryable=answer.retryable)

    def _fields(self, message: Outgoing, last_inbound: dict[str, dt.datetime]) -> dict[str, str]:
        fields = {"To": message.recipient, "StatusCallback": self.status_callback}
        if self.channel == Channel.WHATSAPP:
            fields["To"] = WHATSAPP_PREFIX + "+" + digits(message.recipient)
            fields["From"] = WHATSAPP_PREFIX + self.from_number if self.from_number else ""
            if not queries.window_is_open(last_inbound.get(digits(message.recipient))):
                if not message.provider_template:
                    raise whatsapp.outside_window_error()
                fields["ContentSid"] = message.provider_template
                fields["ContentVariables"] = json.dumps(
                    {str(n): value for n, value in enumerate(message.template_params, start=1)}, ensure_ascii=False,
                )
                return _with_sender(fields, self.messaging_service_sid)
        elif self.from_number:
            fields["From"] = self.from_number
        fields["Body"] = message.body
        return _with_sender(fields, self.messaging_service_sid)


def _with_sender(fields: dict[str, str], messaging_service_sid: str) -> dict[str, str]:
    # A Messaging Service picks the sending number itself; a From is then not needed.
    if messaging_service_sid and not fields.get("From"):
        fields["MessagingServiceSid"] = messaging_service_sid
    return fields


def status_callback_url() -> str:
    """Return where Twilio posts status callbacks (needs KLIYAN_PUBLIC_URL; else "" and none are asked for)."""
    base = (settings.KLIYAN_PUBLIC_URL or "").rstrip("/")
    return base + reverse("channels:twilio_message_status") if base else ""


def sender(channel: str) -> TwilioSender | None:
    """Return the Twilio sender of `channel` from settings, or None if Twilio is not set up."""
    sid, token = settings.KLIYAN_TWILIO_ACCOUNT_SID, settings.KLIYAN_TWILIO_AUTH_TOKEN
    from_number = settings.KLIYAN_TWILIO_WHATSAPP_FROM if channel == Channel.WHATSAPP else settings.KLIYAN_TWILIO_FROM
    if not (sid and token and (from_number or settings.KLIYAN_TWILIO_MESSAGING_SERVICE_SID)):
        return None
    return TwilioSender(
        account_sid=sid, auth_token=token, base_url=settings.KLIYAN_TWILIO_BASE_URL, channel=channel,
        from_number=from_number, messaging_service_sid=settings.KLIYAN_TWILIO_MESSAGING_SERVICE_SID,
        status_callback=status_callback_url(),
    )


# --- Webhooks ---------------------------------------------------------------------------


def _channel_of(address: str) -> str:
    return Channel.WHATSAPP if address.startswith(WHATSAPP_PREFIX) else Channel.SMS


def parse_inbound(form: QueryDict) -> InboundMessage:
    """Read an incoming SMS or WhatsApp message from Twilio's webhook form."""
    sender_address = form.get("From", "")
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    return InboundMessage(
        channel=_channel_of(sender_address), handle=sender_address, text=form.get("Body", ""),
        external_id=f"twilio:{sid}" if sid else "", name=form.get("ProfileName", ""),
    )


def parse_status(form: QueryDict) -> StatusReport:
    """Read a status callback: the message's SID and what became of it."""
    raw = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    error = ""
    if form.get("ErrorCode"):
        error = f"Twilio {form['ErrorCode']}: {form.get('ErrorMessage', '')}".strip(": ")
    return StatusReport(
        channel=_channel_of(form.get("To", "")), provider_id=form.get("MessageSid") or form.get("SmsSid") or "",
        status=STATUSES.get(raw, ""), error=error,
    )
