"""Reads: the screen pop for a calling number, the pop events an agent's page has not seen, and
who people are on the messaging channels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kliyan.channels.models import ChannelIdentity, PopEvent
from kliyan.contacts.models import Company, Contact
from kliyan.contacts.queries import caller_id
from kliyan.contacts.search import MIN_PHONE_DIGITS
from kliyan.core.choices import Language
from kliyan.core.errors import ValidationFailed
from kliyan.core.phones import digits
from kliyan.core.prepared import remember, run_together
from kliyan.core.registry import PopSection, pop_read, pop_sections

MAX_PHONE_LENGTH = 64
# A call pops while it rings; an event older than this is of no use to a page that
# (re)connects later, so the stream does not replay it.
POP_EVENT_FRESH_FOR = dt.timedelta(minutes=2)
POP_EVENTS_PER_POLL = 20


def check_phone(raw: str | None, field: str = "phone") -> str:
    """Return the number as sent, or raise ValidationFailed naming `field` if it cannot be a phone."""
    text = (raw or "").strip()
    if raw and raw[0] == " " and text[:1].isdigit():
        # A phone system that puts "+509…" unescaped into the pop URL sends a space (a "+"
        # in a query string is a space): the number was international.
        text = "+" + text
    if len(text) > MAX_PHONE_LENGTH or len(digits(text)) < MIN_PHONE_DIGITS:
        raise ValidationFailed(
            field_errors={field: [_("Enter a phone number with at least %(count)s digits.") % {"count": MIN_PHONE_DIGITS}]}
        )
    return text


@dataclass
class BuiltSection:
    section: PopSection
    data: Any


@dataclass
class ScreenPop:
    """Everything the agent sees when `phone` calls."""

    phone: str
    e164: str | None
    contacts: list[Contact]
    companies: list[Company]
    archived_contacts: list[Contact]
    sections: list[BuiltSection] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return bool(self.contacts or self.companies)

    @property
    def contact(self) -> Contact | None:
        """The person to greet: the best match (an exact E.164 match comes first)."""
        return self.contacts[0] if self.contacts else None

    @property
    def company(self) -> Company | None:
        if self.contact is not None:
            return self.contact.company
        return self.companies[0] if self.companies else None

    @property
    def display_name(self) -> str:
        if self.contact is not None:
            return self.contact.display_name
        return self.company.name if self.company is not None else ""

    @property
    def greeting_name(self) -> str:
        if self.contact is not None:
            return self.contact.greeting_name
        return self.display_name

    @property
    def language(self) -> str:
        return self.contact.language if self.contact is not None else ""

    @property
    def language_label(self) -> str:
        return str(Language(self.language).label) if self.language in Language.values else ""

    @property
    def number(self) -> str:
        """The number to show and to prefill: E.164 when it parses, else as sent."""
        return self.e164 or self.phone

    @property
    def create_url(self) -> str:
        return f"{reverse('contacts:contact_create')}?{urlencode({'phone': self.number})}"

    @property
    def pop_url(self) -> str:
        return pop_url(self.number)


def pop_url(number: str) -> str:
    return f"{reverse('channels:pop')}?{urlencode({'phone': number})}"


def screen_pop(raw_phone: str) -> ScreenPop:
    """Return who is calling from `raw_phone` and every app's section about them.

    Caller ID costs at most three queries; the apps' reads of the caller then go as one
    (core.prepared.run_together), and a section reading something else adds its own.
    """
    phone = check_phone(raw_phone)
    match = caller_id(phone)
    pop = ScreenPop(
        phone=phone, e164=match.e164, contacts=match.contacts, companies=match.companies,
        archived_contacts=match.archived_contacts,
    )
    if pop.contact is not None:
        sections = pop_sections()
        reads = {s.read: pop_read(s.read)(pop.contact) for s in sections if s.read}
        for name, rows in run_together(reads).items() if reads else ():
            remember(pop.contact, name, rows)
        for section in sections:
            data = section.build(pop.contact)
            if data is not None:
                pop.sections.append(BuiltSection(section=section, data=data))
    return pop


def latest_pop_event_id() -> int:
    """Return the id of the newest pop event (0 when there is none): where a new stream starts."""
    return PopEvent.objects.aggregate(last=Max("id"))["last"] or 0


def pop_events_after(*, user_id: int, after_id: int, now: dt.datetime | None = None) -> list[PopEvent]:
    """Return the fresh pop events for this user (or for everyone) newer than `after_id`, oldest first."""
    since = (now or timezone.now()) - POP_EVENT_FRESH_FOR
    return list(
        PopEvent.objects.filter(Q(user__isnull=True) | Q(user_id=user_id), id__gt=after_id, created_at__gte=since)
        .order_by("id")[:POP_EVENTS_PER_POLL]
    )


# --- Messaging identities ----------------------------------------------------------------

# WhatsApp, Messenger and Instagram let a business write freely only this long after the
# person's last message (WhatsApp then takes approved templates only; the others nothing).
CONVERSATION_WINDOW = dt.timedelta(hours=24)


def last_inbound_by_handle(channel: str, handles: list[str]) -> dict[str, dt.datetime]:
    """Return, per handle on `channel`, when that person last wrote to us (handles never seen are absent)."""
    rows = ChannelIdentity.objects.filter(channel=channel, handle__in=handles, last_inbound_at__isnull=False)
    return dict(rows.values_list("handle", "last_inbound_at"))


def window_is_open(last_inbound_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Return whether a message may still be sent freely after the person's last one."""
    return last_inbound_at is not None and (now or timezone.now()) - last_inbound_at < CONVERSATION_WINDOW


def channel_handle(contact_id: int, channel: str) -> str:
    """Return how the contact is reached on `channel` (the handle they last wrote from), or ""."""
    handle = (
        ChannelIdentity.objects.filter(contact_id=contact_id, channel=channel)
        .order_by(F("last_inbound_at").desc(nulls_last=True), "-id")
        .values_list("handle", flat=True)
        .first()
    )
    return handle or ""
