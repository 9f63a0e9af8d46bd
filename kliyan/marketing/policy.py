"""May this message go now? The rules every outbound message passes, when stored and again before it leaves.

In order: an archived contact gets nothing; Messenger and Instagram carry only replies; the
contact needs an address on the channel; a marketing message needs the contact's consent for
the channel (never given: NO_CONSENT; withdrawn: CONSENT_WITHDRAWN, dated the withdrawal) and
stays under the weekly cap; and it waits for the end of the contact's quiet hours, in the
contact's time zone.

Transactional messages (an agent's reply, a receipt) skip consent, the cap *and* quiet
hours: they answer something the customer just did, and a reply to a customer who wrote at
22:00 is expected at 22:00, not the next morning. The other rules hold for them too.

Everything a batch of checks needs is read by `recipients_for` in a fixed number of queries,
whatever the number of contacts (a campaign stores thousands at a time).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from phonenumbers import timezone as phone_timezones

from kliyan.contacts.choices import ConsentStatus, PhoneKind
from kliyan.contacts.models import Address, Consent, Contact, PhoneNumber
from kliyan.marketing.choices import MessageChannel, MessageStatus, NotSentReason, Purpose
from kliyan.marketing.models import Message

WEEK = dt.timedelta(days=7)
# The channels whose consent the contacts app records (ConsentChannel values); the others
# (Messenger, Instagram) have none, because Meta lets a business only answer there.
CONSENT_CHANNELS = {MessageChannel.EMAIL, MessageChannel.SMS, MessageChannel.WHATSAPP}
REPLY_ONLY_CHANNELS = {MessageChannel.FACEBOOK, MessageChannel.INSTAGRAM}
# A message counts towards the weekly cap once it left (or, when stored, once it is waiting to).
_LEFT = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.OPENED, MessageStatus.CLICKED)


@dataclass
class Recipient:
    """What the rules need to know about one contact, read in bulk."""

    contact_id: int
    language: str = ""
    archived_at: dt.datetime | None = None
    email: str = ""
    phone: str = ""
    whatsapp: str = ""
    country: str = ""
    # Messenger / Instagram: the person's id at Meta (kliyan.channels ChannelIdentity).
    handles: dict[str, str] = field(default_factory=dict)
    # channel -> (status, since)
    consents: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)
    # Marketing messages already counted against the weekly cap.
    marketing_this_week: int = 0


@dataclass(frozen=True)
class Verdict:
    """The answer for one message: a NotSentReason and since when, or "" and when it may go."""

    reason: str = ""
    reason_at: dt.datetime | None = None
    send_after: dt.datetime | None = None

    @property
    def may_send(self) -> bool:
        return not self.reason


def weekly_cap() -> int:
    return int(settings.KLIYAN_MARKETING_WEEKLY_CAP)


# --- Reading recipients in bulk -------------------------------------------------------

def recipients_for(
    contact_ids: Iterable[int], *, channel: str, now: dt.datetime, count_queued: bool,
) -> dict[int, Recipient]:
    """Return what the rules need about each contact: a fixed number of queries for any number of contacts.

    `count_queued`: when storing new messages, marketing messages still waiting to leave
    in the week count against the cap too (they will leave); just before sending, only
    those that left do (the one being sent is still queued).
    """
    ids = sorted(set(contact_ids))
    if not ids:
        return {}
    found = {
        pk: Recipient(contact_id=pk, language=language, archived_at=archived_at, email=email, phone=phone)
        for pk, language, archived_at, email, phone in Contact.objects.filter(pk__in=ids).values_list(
            "pk", "language", "archived_at", "primary_email", "primary_phone",
        )
    }
    for contact_id, country in (
        Address.objects.filter(contact_id__in=ids).exclude(country="")
        .order_by("contact_id", "-is_primary", "id").values_list("contact_id", "country")
    ):
        if not found[contact_id].country:
            found[contact_id].country = country
    if channel == MessageChannel.WHATSAPP:
        _read_whatsapp_numbers(found, ids)
    if channel in REPLY_ONLY_CHANNELS:
        _read_handles(found, ids, channel)
    if channel in CONSENT_CHANNELS:
        for contact_id, status, since in Consent.objects.filter(contact_id__in=ids, channel=channel).values_list(
            "contact_id", "status", "updated_at",
        ):
            found[contact_id].consents[channel] = (status, since)
    for contact_id, count in _marketing_counts(ids, now=now, count_queued=count_queued).items():
        found[contact_id].marketing_this_week = count
    return found


def _read_whatsapp_numbers(found: dict[int, Recipient], ids: list[int]) -> None:
    """A number marked WhatsApp wins over the primary phone (people often keep WhatsApp on another SIM)."""
    for contact_id, e164 in (
        PhoneNumber.objects.filter(contact_id__in=ids, kind=PhoneKind.WHATSAPP)
        .order_by("contact_id", "-is_primary", "id").values_list("contact_id", "e164")
    ):
        if not found[contact_id].whatsapp:
            found[contact_id].whatsapp = e164


def _read_handles(found: dict[int, Recipient], ids: list[int], channel: str) -> None:
    from django.apps import apps

    try:
        identity = apps.get_model("kliyan_channels", "ChannelIdentity")
    except LookupError:  # the channels app without inbound identities: nobody can be written to there
        return
    for contact_id, handle in identity.objects.filter(contact_id__in=ids, channel=channel).order_by(
        "contact_id", "-created_at",
    ).values_list("contact_id", "handle"):
        found[contact_id].handles.setdefault(channel, handle)


def _marketing_counts(ids: list[int], *, now: dt.datetime, count_queued: bool) -> dict[int, int]:
    left = Q(status__in=_LEFT, sent_at__gt=now - WEEK)
    if count_queued:
        left |= Q(status=MessageStatus.QUEUED, send_after__gt=now - WEEK, send_after__lte=now + WEEK)
    rows = (
        Message.objects.filter(left, contact_id__in=ids, purpose=Purpose.MARKETING)
        .values("contact_id").annotate(n=Count("id")).values_list("contact_id", "n")
    )
    return dict(rows)


# --- Addresses and time zones ---------------------------------------------------------

def address_for(recipient: Recipient, channel: str) -> str:
    """Return where the contact is reached on `channel` ("" when nowhere)."""
    if channel == MessageChannel.EMAIL:
        return recipient.email
    if channel == MessageChannel.SMS:
        return recipient.phone
    if channel == MessageChannel.WHATSAPP:
        return recipient.whatsapp or recipient.phone
    return recipient.handles.get(channel, "")


@functools.lru_cache(maxsize=512)
def _country_zone(country: str) -> str:
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
    if example is None:
        return ""
    zones = phone_timezones.time_zones_for_geographical_number(example)
    return zones[0] if zones and zones[0] != phone_timezones.UNKNOWN_TIMEZONE else ""


@functools.lru_cache(maxsize=4096)
def _phone_zone(e164: str) -> tuple[str, str]:
    """Return (region, time zone) of a number ("" when unknown): offline, from phonenumbers' data."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "", ""
    zones = phone_timezones.time_zones_for_number(number)
    zone = zones[0] if zones and zones[0] != phone_timezones.UNKNOWN_TIMEZONE else ""
    return phonenumbers.region_code_for_number(number) or "", zone


def _organisation_zone() -> dt.tzinfo:
    from kliyan.core.organisation import get_organisation

    try:
        return zoneinfo.ZoneInfo(get_organisation().timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def zone_name(*, phone: str, country: str) -> str:
    """Return the contact's time zone name from their phone and address country ("" when neither tells).

    The phone is the finer guide (a US number's area code names its zone) while it agrees
    with the address's country; a foreign number of someone living here yields to the address.
    """
    region, phone_zone = _phone_zone(phone) if phone else ("", "")
    if phone_zone and (not country or region == country):
        return phone_zone
    return (_country_zone(country) if country else "") or phone_zone


def contact_zone(recipient: Recipient) -> dt.tzinfo:
    """Return the contact's time zone: from their country (address or phone), else the organisation's."""
    name = zone_name(phone=recipient.phone or recipient.whatsapp, country=recipient.country)
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return _organisation_zone()


# --- Quiet hours ----------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _parse_quiet_hours(text: str) -> tuple[dt.time, dt.time] | None:
    if not text.strip():
        return None
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ImproperlyConfigured(
            f"KLIYAN_QUIET_HOURS must look like 21:00-08:00 (or be empty), not {text!r}.",
        ) from None
    return (start, end) if start != end else None


def quiet_hours() -> tuple[dt.time, dt.time] | None:
    """Return the (start, end) of the quiet hours, local to each contact; None when there are none."""
    return _parse_quiet_hours(settings.KLIYAN_QUIET_HOURS)


def after_quiet_hours(at: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """Return `at`, or the end of the quiet hours it falls in (in `zone`), whichever comes later."""
    hours = quiet_hours()
    if hours is None:
        return at
    start, end = hours
    local = at.astimezone(zone)
    now = local.time().replace(tzinfo=None)
    if start < end:  # e.g. 12:00-14:00, within one day
        quiet, day = start <= now < end, local.date()
    elif now >= start:  # e.g. 21:00-08:00, crossing midnight: the evening part ends tomorrow
        quiet, day = True, local.date() + dt.timedelta(days=1)
    else:
        quiet, day = now < end, local.date()
    if not quiet:
        return at
    return dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC)


# --- The rules --------------------------------------------------------------------------

def check(
    recipient: Recipient | None, *, channel: str, purpose: str, at: dt.datetime, now: dt.datetime,
    sent_in_batch: Counter[int] | None = None,
) -> Verdict:
    """Return whether a message to `recipient` on `channel` may go at `at` (or from when, or why not).

    `sent_in_batch` counts the marketing messages already let through in this batch, so two
    messages for one contact in one batch cannot both slip under the cap.
    """
    if recipient is None or recipient.archived_at is not None:
        return Verdict(NotSentReason.ARCHIVED, recipient.archived_at if recipient else now)
    marketing = purpose == Purpose.MARKETING
    if marketing and channel in REPLY_ONLY_CHANNELS:
        return Verdict(NotSentReason.REPLIES_ONLY, now)
    if not address_for(recipient, channel):
        return Verdict(NotSentReason.NO_ADDRESS, now)
    if not marketing:
        return Verdict(send_after=at)
    status, since = recipient.consents.get(channel, ("", None))
    if status == ConsentStatus.WITHDRAWN:
        return Verdict(NotSentReason.CONSENT_WITHDRAWN, since)
    if status != ConsentStatus.GRANTED:
        return Verdict(NotSentReason.NO_CONSENT, now)
    already = recipient.marketing_this_week + (sent_in_batch or Counter())[recipient.contact_id]
    if already >= weekly_cap():
        return Verdict(NotSentReason.WEEKLY_CAP, now)
    return Verdict(send_after=after_quiet_hours(at, contact_zone(recipient)))


def not_sent_text(*, reason: str, reason_at: dt.datetime | None, channel: str) -> str:
    """Return the human sentence for a message that was not sent ("Not sent: SMS consent withdrawn on 2026-03-02")."""
    if not reason:
        return ""
    values = {
        "channel": MessageChannel(channel).label if channel in MessageChannel.values else channel,
        "date": reason_at.astimezone(_organisation_zone()).date().isoformat() if reason_at else "",
    }
    sentences = {
        NotSentReason.CONSENT_WITHDRAWN: _("Not sent: %(channel)s consent withdrawn on %(date)s"),
        NotSentReason.NO_CONSENT: _("Not sent: no %(channel)s consent (checked on %(date)s)"),
        NotSentReason.NO_ADDRESS: _("Not sent: no %(channel)s address for this contact (checked on %(date)s)"),
        NotSentReason.WEEKLY_CAP: _("Not sent: weekly limit of marketing messages reached on %(date)s"),
        NotSentReason.ARCHIVED: _("Not sent: contact archived on %(date)s"),
        NotSentReason.GAVE_UP: _("Not sent: the provider refused it too many times (last on %(date)s)"),
        NotSentReason.REPLIES_ONLY: _("Not sent: %(channel)s only carries replies to a customer who wrote first"),
    }
    sentence = sentences.get(reason)
    if sentence is None:
        return _("Not sent: %(reason)s") % {"reason": NotSentReason(reason).label if reason in NotSentReason.values else reason}
    return sentence % values
