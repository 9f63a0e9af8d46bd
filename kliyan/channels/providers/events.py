"""What providers' webhooks tell us, once read from each one's wire format."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class InboundMessage:
    """A message someone sent us (see kliyan.channels.inbound.receive)."""

    channel: str
    handle: str
    text: str
    external_id: str  # the provider's message id, prefixed by the provider
    at: dt.datetime | None = None
    name: str = ""  # the person's profile name, when the channel gives one


@dataclass(frozen=True)
class StatusReport:
    """A delivery receipt for a message we sent (see kliyan.marketing.receipts.record_status)."""

    channel: str
    provider_id: str
    status: str  # a MessageStatus value; "" when the provider's status changes nothing for us
    at: dt.datetime | None = None
    error: str = ""


def from_unix(value: object) -> dt.datetime | None:
    """Return a Unix time in seconds (or milliseconds) as an aware datetime, or None."""
    try:
        number = float(str(value))
    except (TypeError, ValueError):
        return None
    if number > 1e11:  # milliseconds (Messenger, Instagram)
        number /= 1000
    try:
        return dt.datetime.fromtimestamp(number, tz=dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def parse_time(value: str | None) -> dt.datetime | None:
    """Return an ISO 8601 time ("2026-03-02 10:00:00", with or without zone; UTC if none), or None."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.timezone.utc)
