"""Africa's Talking SMS: messages out, incoming messages and delivery reports in.

Sending is one POST per message to /version1/messaging (form fields username, to, message,
from; the API key in the `apiKey` header); the answer lists each recipient with a status
code and the message id. Africa's Talking does not sign its callbacks, so their URLs carry
a secret (KLIYAN_AFRICASTALKING_WEBHOOK_SECRET) that the webhook compares in constant time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict

from kliyan.channels.providers import http
from kliyan.channels.providers.events import InboundMessage, StatusReport, parse_time
from kliyan.channels.senders import Outgoing, ProviderError, Result
from kliyan.core.choices import Channel
from kliyan.marketing.choices import MessageStatus

# Recipient status codes: 100 Processed, 101 Sent, 102 Queued are accepted.
ACCEPTED_CODES = {100, 101, 102}
# Worth trying again later: RiskHold (the account is being checked), InsufficientBalance,
# InternalServerError, GatewayError. The others (InvalidSenderId, InvalidPhoneNumber,
# UnsupportedNumberType, UserInBlacklist, CouldNotRoute, DoNotDisturbRejection,
# RejectedByGateway) will fail the same way every time.
RETRYABLE_CODES = {401, 405, 500, 501}
# Delivery report statuses that change something for us (Submitted and Buffered do not).
STATUSES = {
    "sent": MessageStatus.SENT,
    "success": MessageStatus.DELIVERED,
    "failed": MessageStatus.FAILED,
    "rejected": MessageStatus.FAILED,
    "absentsubscriber": MessageStatus.FAILED,
    "expired": MessageStatus.FAILED,
}


@dataclass(frozen=True)
class AfricasTalkingSender:
    username: str
    api_key: str
    base_url: str
    sender_id: str = ""

    def send_many(self, messages: Sequence[Outgoing]) -> Iterator[Result]:
        # One request per message: the API sends one text to many numbers, and every
        # outbox message has its own text.
        for message in messages:
            try:
                yield message.message_id, self._send(message)
            except ProviderError as error:
                yield message.message_id, error

    def _send(self, message: Outgoing) -> str:
        answer = http.post_form(
            f"{self.base_url.rstrip('/')}/version1/messaging",
            {"username": self.username, "to": message.recipient, "message": message.body, "from": self.sender_id},
            headers={"apiKey": self.api_key, "Accept": "application/json"},
        )
        payload = answer.json()
        data = payload.get("SMSMessageData") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise ProviderError(f"Africa's Talking {answer.status}: {answer.text()}", retryable=answer.retryable)
        recipients = data.get("Recipients") or []
        if not recipients:
            # No recipient at all: the request itself was refused ("InvalidSenderId", …).
            raise ProviderError(f"Africa's Talking: {data.get('Message', '')}", retryable=answer.retryable)
        recipient = recipients[0]
        code = int(recipient.get("statusCode") or 0)
        if code in ACCEPTED_CODES and recipient.get("messageId"):
            return str(recipient["messageId"])
        raise ProviderError(
            f"Africa's Talking {code}: {recipient.get('status', '')}", retryable=code in RETRYABLE_CODES,
        )


def sender() -> AfricasTalkingSender | None:
    """Return the Africa's Talking sender from settings, or None if it is not set up."""
    if not (settings.KLIYAN_AFRICASTALKING_USERNAME and settings.KLIYAN_AFRICASTALKING_API_KEY):
        return None
    return AfricasTalkingSender(
        username=settings.KLIYAN_AFRICASTALKING_USERNAME, api_key=settings.KLIYAN_AFRICASTALKING_API_KEY,
        base_url=settings.KLIYAN_AFRICASTALKING_BASE_URL, sender_id=settings.KLIYAN_AFRICASTALKING_SENDER_ID,
    )


# --- Webhooks ---------------------------------------------------------------------------


def parse_inbound(form: QueryDict) -> InboundMessage:
    """Read an incoming message (fields from, to, text, id, date, linkId, networkCode)."""
    message_id = form.get("id", "")
    return InboundMessage(
        channel=Channel.SMS, handle=form.get("from", ""), text=form.get("text", ""),
        external_id=f"africastalking:{message_id}" if message_id else "", at=parse_time(form.get("date")),
    )


def parse_delivery_report(form: QueryDict) -> StatusReport:
    """Read a delivery report (fields id, status, phoneNumber, networkCode, failureReason, retryCount)."""
    reason = form.get("failureReason", "")
    return StatusReport(
        channel=Channel.SMS, provider_id=form.get("id", ""), status=STATUSES.get(form.get("status", "").lower(), ""),
        error=f"Africa's Talking: {reason}" if reason else "",
    )
