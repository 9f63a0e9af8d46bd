"""Reads of the outbox: who sees which messages, the filtered list, one message, a contact's latest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, can
from kliyan.core.errors import FieldErrors
from kliyan.marketing.choices import MessageChannel, MessageStatus, Purpose
from kliyan.marketing.models import Message

ORDERING = ["-created_at", "-id"]
CONTACT_PANEL_ROWS = 5


@dataclass(frozen=True)
class MessageFilters:
    status: str = ""
    channel: str = ""
    purpose: str = ""
    contact_id: int | None = None

    def as_query(self) -> dict[str, str]:
        pairs = {"status": self.status, "channel": self.channel, "purpose": self.purpose,
                 "contact": str(self.contact_id or "")}
        return {key: value for key, value in pairs.items() if value}


def message_filters(data: Mapping[str, Any]) -> MessageFilters:
    """Read the list's filters from a query string or API parameters; unknown values are named (422)."""
    errors = FieldErrors()
    values = {name: str(data.get(name) or "").strip() for name in ("status", "channel", "purpose", "contact")}
    for name, choices in (("status", MessageStatus.values), ("channel", MessageChannel.values), ("purpose", Purpose.values)):
        if values[name] and values[name] not in choices:
            errors.add(name, _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)})
    contact_id = None
    if values["contact"]:
        if values["contact"].isdigit() and 0 < int(values["contact"]) < 2**63:
            contact_id = int(values["contact"])
        else:
            errors.add("contact", _("Give a contact's id (a whole number)."))
    errors.raise_if_any()
    return MessageFilters(status=values["status"], channel=values["channel"], purpose=values["purpose"], contact_id=contact_id)


def messages_visible_to(user: Any) -> QuerySet[Message]:
    """Return the messages `user` may see: none without messages.send.

    Managers (marketing.manage) see the whole outbox. Agents see the messages of the contacts
    they can see — today every contact is visible to every role with customers.view, so this
    is every message too; this is the one place to narrow it if contacts become per-owner.
    """
    if can(user, Perm.MANAGE_MARKETING):
        return Message.objects.all()
    if can(user, Perm.SEND_MESSAGES) and can(user, Perm.VIEW_CUSTOMERS):
        return Message.objects.all()
    return Message.objects.none()


def filtered_messages(user: Any, filters: MessageFilters) -> QuerySet[Message]:
    """Return the messages `user` sees that match `filters`, with contact and sender loaded (not yet ordered)."""
    qs = messages_visible_to(user).select_related("contact", "created_by", "template")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.purpose:
        qs = qs.filter(purpose=filters.purpose)
    if filters.contact_id:
        qs = qs.filter(contact_id=filters.contact_id)
    return qs


def message_for(user: Any, pk: int) -> Message | None:
    return messages_visible_to(user).select_related("contact", "created_by", "template").filter(pk=pk).first()


def contact_messages(contact_id: int, limit: int = CONTACT_PANEL_ROWS) -> list[Message]:
    """Return the contact's newest messages (one query)."""
    return list(Message.objects.filter(contact_id=contact_id).select_related("created_by").order_by(*ORDERING)[:limit])


def channels_for(contact: Any) -> list[tuple[str, str]]:
    """Return the channels `contact` can be written to, as form choices: those they have an address on.

    WhatsApp goes to a number marked WhatsApp or else the primary phone, so any phone will do.
    """
    addresses = {
        MessageChannel.EMAIL: contact.primary_email, MessageChannel.SMS: contact.primary_phone,
        MessageChannel.WHATSAPP: contact.primary_phone,
    }
    found = [(channel, str(label)) for channel, label in MessageChannel.choices if addresses.get(channel)]
    return found + _meta_channels(contact.pk)


def _meta_channels(contact_id: int) -> list[tuple[str, str]]:
    """Messenger and Instagram: only for people who wrote to us there (their id at Meta is known)."""
    from django.apps import apps

    try:
        identity = apps.get_model("kliyan_channels", "ChannelIdentity")
    except LookupError:
        return []
    known = set(identity.objects.filter(
        contact_id=contact_id, channel__in=[MessageChannel.FACEBOOK, MessageChannel.INSTAGRAM],
    ).values_list("channel", flat=True))
    return [(channel, str(label)) for channel, label in MessageChannel.choices if channel in known]
