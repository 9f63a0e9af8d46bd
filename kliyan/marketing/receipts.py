"""What providers tell us after sending: delivered, read, clicked, failed, bounced.

Receipts arrive late, twice, and out of order (a "read" before its "delivered"; a
provider retrying a callback), so a status only ever moves forward: a receipt for a
status the message has passed changes nothing, and reaching a status fills the
timestamps of the ones it implies (read implies delivered).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kliyan.marketing.choices import MessageStatus
from kliyan.marketing.models import Message

# Forward order of the statuses a sent message goes through.
_RANK = {
    MessageStatus.QUEUED: 0, MessageStatus.SENT: 1, MessageStatus.DELIVERED: 2, MessageStatus.OPENED: 3, MessageStatus.CLICKED: 4,
}
# A failure reported for a message that was only sent (never one already delivered or read).
_FAILURES = {MessageStatus.FAILED, MessageStatus.BOUNCED}
_STAMPS = {
    MessageStatus.SENT: "sent_at", MessageStatus.DELIVERED: "delivered_at",
    MessageStatus.OPENED: "opened_at", MessageStatus.CLICKED: "clicked_at",
}


def record_status(
    *, channel: str, provider_id: str, status: str, at: dt.datetime | None = None, error: str = "",
) -> Message | None:
    """Apply a provider's receipt to the message it names; return the message, or None if no message has that id."""
    if not provider_id:
        return None
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(channel=channel, provider_id=provider_id).first()
        if message is None:
            return None
        return _apply(message, status, at or timezone.now(), error)


def record_message_status(message_id: int, status: str, at: dt.datetime | None = None) -> Message | None:
    """Apply an event we see ourselves (an e-mail opened or a link clicked through our tracking) to a message."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return None
        return _apply(message, status, at or timezone.now(), "")


def _apply(message: Message, status: str, at: dt.datetime, error: str) -> Message:
    changed: list[str] = []
    current = message.status
    if status in _FAILURES:
        if current in (MessageStatus.QUEUED, MessageStatus.SENT):
            message.status, message.error = status, error[:500]
            changed += ["status", "error"]
    elif status in _RANK and current in _RANK and _RANK[status] > _RANK[current]:
        message.status = status
        changed.append("status")
        for reached, stamp in _STAMPS.items():
            if _RANK[reached] <= _RANK[status] and getattr(message, stamp) is None:
                setattr(message, stamp, at)
                changed.append(stamp)
    if changed:
        message.save(update_fields=[*changed, "updated_at"])
    return message
