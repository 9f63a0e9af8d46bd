"""A generic HTTP SMS gateway: for any provider or phone-based gateway that speaks a small JSON API.

Out: POST KLIYAN_SMS_GATEWAY_URL with {"to", "text", "reference"} and a Bearer token; the
gateway answers {"id"} (2xx). "reference" is the outbox message id, the same on a retry,
so a gateway can refuse to send it twice. In: incoming messages and delivery receipts
POSTed to Kliyan as JSON, signed with X-Kliyan-Signature: "sha256=" + hex HMAC-SHA256 of
the raw body with KLIYAN_SMS_GATEWAY_SECRET. The format is in docs/messaging.md.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from kliyan.channels.providers import http
from kliyan.channels.providers.events import InboundMessage, StatusReport, parse_time
from kliyan.channels.senders import Outgoing, ProviderError, Result
from kliyan.core.choices import Channel
from kliyan.marketing.choices import MessageStatus

SIGNATURE_HEADER = "X-Kliyan-Signature"
STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "failed": MessageStatus.FAILED,
    "undelivered": MessageStatus.FAILED,
}


@dataclass(frozen=True)
class GatewaySender:
    url: str
    token: str

    def send_many(self, messages: Sequence[Outgoing]) -> Iterator[Result]:
        for message in messages:
            try:
                yield message.message_id, self._send(message)
            except ProviderError as error:
                yield message.message_id, error

    def _send(self, message: Outgoing) -> str:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        answer = http.post_json(
            self.url, {"to": message.recipient, "text": message.body, "reference": str(message.message_id)}, headers=headers,
        )
        payload = answer.json()
        data = payload if isinstance(payload, dict) else {}
        if answer.ok and data.get("id") not in (None, ""):
            return str(data["id"])
        detail = data.get("error") or data.get("detail") or data.get("message") or answer.text()
        raise ProviderError(f"SMS gateway {answer.status}: {detail}", retryable=answer.retryable or answer.ok)


def sender() -> GatewaySender | None:
    """Return the generic gateway sender from settings, or None if no gateway URL is set."""
    if not settings.KLIYAN_SMS_GATEWAY_URL:
        return None
    return GatewaySender(url=settings.KLIYAN_SMS_GATEWAY_URL, token=settings.KLIYAN_SMS_GATEWAY_TOKEN)


# --- Webhooks ---------------------------------------------------------------------------


def signature(secret: str, body: bytes) -> str:
    """Return the X-Kliyan-Signature value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(*, secret: str, body: bytes, given: str) -> bool:
    if not secret or not given:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), given.strip().encode())


def parse_inbound(data: dict[str, Any]) -> InboundMessage:
    """Read {"id", "from", "text", "at"?, "name"?}."""
    message_id = str(data.get("id") or "")
    return InboundMessage(
        channel=Channel.SMS, handle=str(data.get("from") or ""), text=str(data.get("text") or ""),
        external_id=f"gateway:{message_id}" if message_id else "", at=parse_time(str(data.get("at") or "")),
        name=str(data.get("name") or ""),
    )


def parse_receipt(data: dict[str, Any]) -> StatusReport:
    """Read {"id", "status": sent|delivered|failed, "at"?, "error"?}."""
    return StatusReport(
        channel=Channel.SMS, provider_id=str(data.get("id") or ""),
        status=STATUSES.get(str(data.get("status") or "").lower(), ""),
        at=parse_time(str(data.get("at") or "")), error=str(data.get("error") or "")[:500],
    )
