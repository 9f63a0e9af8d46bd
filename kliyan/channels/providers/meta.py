"""Meta's webhooks and errors, shared by WhatsApp Cloud API, Messenger and Instagram.

Meta verifies a webhook URL once with a GET (hub.mode=subscribe, hub.verify_token,
hub.challenge: echo the challenge if the token is ours), then POSTs JSON signed with
X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body with the app secret.
One POST may carry several entries, each several messages and statuses.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

from kliyan.channels.providers.events import InboundMessage, StatusReport, from_unix
from kliyan.channels.providers.http import Answer
from kliyan.channels.senders import ProviderError
from kliyan.core.choices import Channel
from kliyan.marketing.choices import MessageStatus

SIGNATURE_HEADER = "X-Hub-Signature-256"
# Graph API error codes that go away by waiting: rate limits, throughput, temporary failures.
RETRYABLE_CODES = {1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131048, 131056, 133004}
WHATSAPP_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.OPENED,
    "failed": MessageStatus.FAILED,
}
# The "object" of a Messenger-style webhook → our channel.
MESSAGING_OBJECTS = {"page": Channel.FACEBOOK, "instagram": Channel.INSTAGRAM}


def signature_is_valid(*, app_secret: str, body: bytes, given: str) -> bool:
    """Return whether X-Hub-Signature-256 was made from this exact body with the app secret."""
    if not app_secret or not given:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.strip().encode())


def error_from(answer: Answer, provider: str) -> ProviderError:
    """Return the ProviderError for a Graph API error answer ({"error": {"code", "message", …}})."""
    payload = answer.json()
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return ProviderError(f"{provider} {answer.status}: {answer.text()}", retryable=answer.retryable)
    code = error.get("code")
    detail = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else ""
    text = f"{provider} {code}: {error.get('message', '')}" + (f" ({detail})" if detail else "")
    return ProviderError(text, retryable=answer.retryable or code in RETRYABLE_CODES)


def _changes(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            if (change or {}).get("field") == "messages" and isinstance(change.get("value"), dict):
                yield change["value"]


def _whatsapp_text(message: dict[str, Any]) -> str:
    kind = message.get("type", "")
    part = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return str(part.get("body", ""))
    if kind == "button":  # a quick reply to a template
        return str(part.get("text", ""))
    if kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        return str(reply.get("title", ""))
    # Pictures, videos and documents may carry a caption; the rest has no text we keep.
    return str(part.get("caption", ""))


def parse_whatsapp(payload: dict[str, Any]) -> tuple[list[InboundMessage], list[StatusReport]]:
    """Read a WhatsApp Cloud API webhook: the messages people sent and the statuses of ours."""
    messages: list[InboundMessage] = []
    statuses: list[StatusReport] = []
    for value in _changes(payload):
        names = {
            str(c.get("wa_id")): str((c.get("profile") or {}).get("name", ""))
            for c in value.get("contacts") or [] if isinstance(c, dict)
        }
        for message in value.get("messages") or []:
            if not isinstance(message, dict) or not message.get("id") or message.get("type") == "reaction":
                continue  # a reaction (an emoji on one of our messages) is not a message to log
            sender = str(message.get("from", ""))
            messages.append(InboundMessage(
                channel=Channel.WHATSAPP, handle=sender, text=_whatsapp_text(message),
                external_id=f"whatsapp:{message['id']}", at=from_unix(message.get("timestamp")), name=names.get(sender, ""),
            ))
        for status in value.get("statuses") or []:
            if not isinstance(status, dict):
                continue
            errors = status.get("errors") or []
            error = errors[0] if errors and isinstance(errors[0], dict) else {}
            statuses.append(StatusReport(
                channel=Channel.WHATSAPP, provider_id=str(status.get("id", "")),
                status=WHATSAPP_STATUSES.get(str(status.get("status", "")), ""), at=from_unix(status.get("timestamp")),
                error=f"WhatsApp {error.get('code')}: {error.get('title') or error.get('message', '')}" if error else "",
            ))
    return messages, statuses


def parse_messaging(payload: dict[str, Any]) -> tuple[list[InboundMessage], list[StatusReport]]:
    """Read a Messenger or Instagram webhook: messages people sent, and deliveries and reads of ours."""
    channel = MESSAGING_OBJECTS.get(str(payload.get("object", "")))
    messages: list[InboundMessage] = []
    statuses: list[StatusReport] = []
    if channel is None:
        return messages, statuses
    for entry in payload.get("entry") or []:
        for event in (entry or {}).get("messaging") or []:
            if not isinstance(event, dict):
                continue
            sender = str((event.get("sender") or {}).get("id", ""))
            at = from_unix(event.get("timestamp"))
            message = event.get("message")
            if isinstance(message, dict) and message.get("mid") and not message.get("is_echo"):
                # An echo is our own page's message coming back: not something the person sent.
                text = str(message.get("text", "")) or str((message.get("quick_reply") or {}).get("payload", ""))
                messages.append(InboundMessage(
                    channel=channel, handle=sender, text=text, external_id=f"{channel}:{message['mid']}", at=at,
                ))
            postback = event.get("postback")
            if isinstance(postback, dict) and postback.get("mid"):
                # A tap on one of our buttons: its title is what the person "said".
                messages.append(InboundMessage(
                    channel=channel, handle=sender, text=str(postback.get("title", "")),
                    external_id=f"{channel}:{postback['mid']}", at=at,
                ))
            for mid in (event.get("delivery") or {}).get("mids") or []:
                statuses.append(StatusReport(channel=channel, provider_id=str(mid), status=MessageStatus.DELIVERED, at=at))
            read_mid = (event.get("read") or {}).get("mid")  # Instagram names the message read
            if read_mid:
                statuses.append(StatusReport(channel=channel, provider_id=str(read_mid), status=MessageStatus.OPENED, at=at))
    return messages, statuses
