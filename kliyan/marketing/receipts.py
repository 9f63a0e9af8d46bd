"""What providers tell us after sending: delivered, read, clicked, failed, bounced.

Receipts arrive late, twice, and out of order (a "read" before its "delivered"; a
provider retrying a callback), so a status only ever moves forward: a receipt for a
status the message has passed changes nothing, and reaching a status fills the
timestamps of the ones it implies (read implies delivered). A receipt can also come before the
worker has written the provider's id on the message: it waits (PendingReceipt) until it has.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kliyan.marketing.choices import MessageStatus
from kliyan.marketing.models import Message, PendingReceipt

# How long a receipt for an id no message has is kept, waiting for the message.
PENDING_DAYS = 7

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
    """Apply a provider's receipt to the message it names; return the message, or None if no message has that id yet.

    A receipt for an unknown id is kept and applied when the id is written (`apply_pending`).
    """
    if not provider_id:
        return None
    at = at or timezone.now()
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(channel=channel, provider_id=provider_id).first()
        if message is not None:
            return _apply(message, status, at, error)
        PendingReceipt.objects.filter(received_at__lt=timezone.now() - dt.timedelta(days=PENDING_DAYS)).delete()
        PendingReceipt.objects.create(channel=channel, provider_id=provider_id, status=status, at=at, error=error[:500])
    # The worker may have written the id between our look and our commit; it looks for waiting
    # receipts after its own commit, so one of the two always sees the other.
    return apply_pending(channel, provider_id)


def apply_pending(channel: str, provider_id: str) -> Message | None:
    """Apply the receipts waiting for a provider id, once a message has it (call after committing the id)."""
    with transaction.atomic():
        waiting = list(PendingReceipt.objects.select_for_update().filter(channel=channel, provider_id=provider_id).order_by("at", "pk"))
        if not waiting:
            return None
        message = Message.objects.select_for_update().filter(channel=channel, provider_id=provider_id).first()
        if message is None:
            return None
        for receipt in waiting:
            message = _apply(message, receipt.status, receipt.at, receipt.error)
        PendingReceipt.objects.filter(pk__in=[receipt.pk for receipt in waiting]).delete()
        return message


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
