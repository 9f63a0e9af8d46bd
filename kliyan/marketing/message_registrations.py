"""What the outbox adds to shared places: outbound messages on the contact's timeline, and a
"Messages" panel on the contact page (the latest messages and a form to write to the contact)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, can
from kliyan.core.links import id_url
from kliyan.core.registry import ContactPanel, TimelineEntry, register_contact_panel, register_timeline_source
from kliyan.marketing import message_queries as queries
from kliyan.marketing.choices import MessageChannel, MessageStatus
from kliyan.marketing.message_forms import WriteForm
from kliyan.marketing.models import Message
from kliyan.marketing.policy import not_sent_text

STATUS_LABELS = dict(MessageStatus.choices)
CHANNEL_LABELS = dict(MessageChannel.choices)
ICONS = {"email": "mail", "sms": "sms", "whatsapp": "whatsapp", "facebook": "facebook", "instagram": "instagram"}


def message_entries(contact_id: int, limit: int, before: dt.datetime | None) -> Iterable[TimelineEntry]:
    """Return the messages sent (or kept) for the contact, newest first, as timeline entries: one query."""
    qs = Message.objects.filter(contact_id=contact_id)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    rows = qs.order_by("-created_at", "-id").values_list(
        "id", "created_at", "channel", "subject", "body", "status", "reason", "reason_at", "created_by__username",
    )[:limit]
    for pk, created_at, channel, subject, body, status, reason, reason_at, username in rows:
        label = CHANNEL_LABELS.get(channel, channel)
        # The status badge says whether it left; the title says what it was.
        title = _("%(channel)s: %(subject)s") % {"channel": label, "subject": subject} if subject \
            else _("%(channel)s message") % {"channel": label}
        note = not_sent_text(reason=reason, reason_at=reason_at, channel=channel)
        yield TimelineEntry(
            kind="message", id=pk, at=created_at, title=title, body=(note + "\n" if note else "") + body[:500],
            actor=username or "", channel=channel, icon=ICONS.get(channel, "chat"), url=id_url("marketing:message_detail", pk),
            data={"status": status, "status_label": str(STATUS_LABELS.get(status, status)), "direction": "outbound"},
        )


def contact_panel(request: HttpRequest, contact: Any) -> dict[str, Any]:
    """Fill the contact page's "Messages" panel: nothing for users who may not send messages."""
    if not can(request.user, Perm.SEND_MESSAGES):
        return {"may_see": False}
    rows = [
        {"message": m, "not_sent": not_sent_text(reason=m.reason, reason_at=m.reason_at, channel=m.channel)}
        for m in queries.contact_messages(contact.pk)
    ]
    channels = queries.channels_for(contact)
    form = WriteForm(channels=channels) if channels and contact.merged_into_id is None else None
    return {"may_see": True, "rows": rows, "form": form}


def register() -> None:
    register_timeline_source("message", message_entries)
    register_contact_panel(ContactPanel(
        name="messages", template="marketing/messages/_contact_panel.html", context=contact_panel, order=14,
    ))
