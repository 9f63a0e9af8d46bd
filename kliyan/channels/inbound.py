"""Messages customers send us, on any channel: matched to a contact and logged on their timeline.

Every provider's webhook reads its own wire format and calls `receive` with what matters:
the channel, the person's handle there (a phone number, a WhatsApp id, a page-scoped id),
the text, the provider's message id and when it was sent. A message is logged once per
provider message id, so a provider retrying its webhook writes nothing new.

Who wrote: the contact this handle already belongs to (ChannelIdentity), else — on SMS and
WhatsApp — the contact with that phone number (the same caller-ID rule as the screen pop),
else a new contact, marked as a lead: its source says which channel brought them (the
contacts' "how they found us": WhatsApp, Instagram, Facebook; SMS has no source of its own
and is "other", with "SMS" in the details) and it carries the lead tag
(KLIYAN_INBOUND_LEAD_TAG, "Lead"), which segments and the contact list filter on. A tag
rather than a new field: leads need no behaviour of their own yet, and an agent removes
the tag once the person is qualified.

A whole message that is a STOP keyword in one of the six languages withdraws the contact's
consent for that channel (SMS or WhatsApp). Nothing is sent back from here: a confirmation
("you will receive no more messages") is an outbound message and would go through the
outbox like any other; on Twilio and most carriers the network itself answers STOP.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.channels.models import ChannelIdentity
from kliyan.contacts.choices import ConsentChannel, ConsentMethod, ConsentStatus, PhoneKind, Source
from kliyan.contacts.models import Consent, Contact
from kliyan.contacts.queries import caller_id
from kliyan.contacts.services import consent_set, contact_create
from kliyan.core.audit import record, snapshot
from kliyan.core.choices import Channel
from kliyan.core.errors import FieldErrors
from kliyan.core.models import AuditAction
from kliyan.core.phones import InvalidPhone, digits, format_international, parse_phone
from kliyan.interactions.choices import Direction
from kliyan.interactions.models import Interaction
from kliyan.interactions.services import interaction_log

# Channels whose people are known by phone number, and the consent a STOP withdraws there.
PHONE_CHANNELS = {Channel.SMS, Channel.WHATSAPP}
INBOUND_CHANNELS = {Channel.SMS, Channel.WHATSAPP, Channel.FACEBOOK, Channel.INSTAGRAM}
STOP_CONSENT = {Channel.SMS: ConsentChannel.SMS, Channel.WHATSAPP: ConsentChannel.WHATSAPP}
SOURCES = {
    Channel.WHATSAPP: (Source.WHATSAPP, ""),
    Channel.INSTAGRAM: (Source.INSTAGRAM, ""),
    Channel.FACEBOOK: (Source.FACEBOOK, "Messenger"),
    Channel.SMS: (Source.OTHER, "SMS"),
}
MAX_TEXT = 20000

# Whole-message opt-out words, compared without case, accents or surrounding punctuation.
# Chosen to be unmistakable on their own: English CANCEL, END and QUIT (which US carriers
# also honour) are left out, because a customer writing "Cancel" to a shop usually means
# an order, and Kreyòl RETE also means "wait".
STOP_KEYWORDS: dict[str, frozenset[str]] = {
    "en": frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "OPT OUT", "OPTOUT"}),
    "fr": frozenset({"STOP", "ARRET", "ARRETER", "DESABONNER", "DESABONNEMENT", "DESINSCRIRE", "DESINSCRIPTION"}),
    # Haitian Creole: kanpe (stop), sispann (cease), dezabone (unsubscribe).
    "ht": frozenset({"STOP", "KANPE", "SISPANN", "DEZABONE"}),
    # Chichewa: leka / lekani (stop, familiar / polite), siyani (leave off).
    "ny": frozenset({"STOP", "LEKA", "LEKANI", "SIYANI"}),
    # Albanian: ndal / ndalo (stop), çregjistrohu / çabonohu (unsubscribe).
    "sq": frozenset({"STOP", "NDAL", "NDALO", "CREGJISTROHU", "CABONOHU"}),
    # Romanian: dezabonare (unsubscription), dezabonează(-mă) (unsubscribe (me)).
    "ro": frozenset({"STOP", "DEZABONARE", "DEZABONEAZA", "DEZABONEAZA MA"}),
}
ALL_STOP_KEYWORDS = frozenset().union(*STOP_KEYWORDS.values())
_SEPARATORS = re.compile(r"[\s\-_]+")
_EDGE_PUNCTUATION = " .!?,;:'\"«»“”‘’()[]*~"


@dataclass
class Received:
    interaction: Interaction
    contact: Contact
    contact_created: bool = False
    # True: the provider sent this message before; nothing was written this time.
    replay: bool = False
    # True: the message was a STOP keyword and consent for the channel was withdrawn.
    stopped: bool = False


def normalise_keyword(text: str) -> str:
    """Return `text` as STOP keywords are compared: capitals, no accents, single spaces, no edge punctuation."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", plain.strip(_EDGE_PUNCTUATION).strip()).strip(_EDGE_PUNCTUATION).upper()


def is_stop(text: str) -> bool:
    """Return whether the whole message asks for no more messages, in any of the six languages."""
    return normalise_keyword(text) in ALL_STOP_KEYWORDS


def normalise_handle(channel: str, handle: str) -> str:
    """Return the handle as identities store it: E.164 for SMS, the digits for WhatsApp, else as given."""
    raw = (handle or "").strip()
    if channel == Channel.WHATSAPP:
        # Cloud API: "50937123456"; Twilio: "whatsapp:+50937123456".
        return digits(raw.removeprefix("whatsapp:"))
    if channel == Channel.SMS:
        # Gateways send "+50937123456", "50937123456" or a local "0888123456".
        tries = ["+" + raw, raw] if raw.isdigit() and not raw.startswith("0") else [raw]
        for text in tries:
            try:
                return parse_phone(text).e164
            except InvalidPhone:
                continue
        return raw  # a short code or an alphanumeric sender
    return raw


def _phone_of(channel: str, handle: str) -> str | None:
    if channel not in PHONE_CHANNELS:
        return None
    try:
        return parse_phone("+" + digits(handle)).e164
    except InvalidPhone:
        return None


def _clean(channel: str, handle: str, text: str, external_id: str) -> tuple[str, str]:
    errors = FieldErrors()
    if channel not in INBOUND_CHANNELS:
        errors.add("channel", _("Messages cannot be received on this channel."))
    handle = normalise_handle(channel, handle)
    if not handle:
        errors.add("handle", _("The sender is missing."))
    elif len(handle) > 100:
        errors.add("handle", _("Use at most %(count)s characters.") % {"count": 100})
    if not external_id:
        errors.add("external_id", _("The provider's message id is missing."))
    elif len(external_id) > 200:
        errors.add("external_id", _("Use at most %(count)s characters.") % {"count": 200})
    errors.raise_if_any()
    return handle, (text or "").strip()[:MAX_TEXT]


def receive(
    *, channel: str, handle: str, text: str, external_id: str, at: dt.datetime | None = None, name: str = "",
) -> Received:
    """Log a message someone sent us on the contact's timeline, once per `external_id`.

    `external_id` is the provider's message id, prefixed by the provider ("twilio:SM…"),
    so ids of different providers never meet. Raise ValidationFailed if the channel,
    sender or id is unusable (nothing is written).
    """
    handle, text = _clean(channel, handle, text, external_id)
    now = timezone.now()
    # A provider's clock a little ahead of ours must not put a message in the future.
    at = min(at or now, now)
    seen = _already_received(channel, external_id)
    if seen is not None:
        return Received(interaction=seen, contact=seen.contact, replay=True)
    try:
        with transaction.atomic():
            return _receive_new(channel=channel, handle=handle, text=text, external_id=external_id, at=at, name=name)
    except IntegrityError:
        # Another process took the same identity or message between our reads and writes.
        seen = _already_received(channel, external_id)
        if seen is not None:
            return Received(interaction=seen, contact=seen.contact, replay=True)
        with transaction.atomic():
            return _receive_new(channel=channel, handle=handle, text=text, external_id=external_id, at=at, name=name)


def _already_received(channel: str, external_id: str) -> Interaction | None:
    return Interaction.objects.select_related("contact").filter(channel=channel, external_id=external_id).first()


def _receive_new(*, channel: str, handle: str, text: str, external_id: str, at: dt.datetime, name: str) -> Received:
    contact = _matching_contact(channel, handle)
    created = contact is None
    if contact is None:
        contact = _lead_create(channel=channel, handle=handle, name=name)
    _identity_seen(contact=contact, channel=channel, handle=handle, at=at)
    interaction = interaction_log(
        actor=None, contact=contact,
        data={
            "channel": channel, "direction": Direction.INBOUND, "occurred_at": at, "external_id": external_id,
            # The timeline needs some text; a picture or a sticker alone has none we keep.
            "question": text or _("(a message without text: a picture, a voice note, a sticker…)"),
        },
    )
    stopped = channel in STOP_CONSENT and is_stop(text) and _withdraw(contact=contact, channel=channel, text=text, at=at)
    return Received(interaction=interaction, contact=contact, contact_created=created, stopped=stopped)


def _matching_contact(channel: str, handle: str) -> Contact | None:
    identity = ChannelIdentity.objects.select_related("contact").filter(channel=channel, handle=handle).first()
    if identity is not None:
        contact = identity.contact
        # A merge moves identities to the survivor; a tombstone is only reached if it did not.
        while contact.merged_into_id is not None:
            contact = Contact.objects.get(pk=contact.merged_into_id)
        return contact
    phone = _phone_of(channel, handle)
    if phone is None:
        return None
    match = caller_id(phone, limit=1)
    # An archived customer writing again is still that customer: their history is there.
    candidates = match.contacts or [c for c in match.archived_contacts if c.merged_into_id is None]
    return candidates[0] if candidates else None


def _lead_name(channel: str, handle: str, name: str) -> tuple[str, str]:
    """Return (first name, last name) from the profile name, else a name made from the handle."""
    words = " ".join((name or "").split())
    if words:
        first, _space, last = words.partition(" ")
        return first[:100], last[:100]
    phone = _phone_of(channel, handle)
    if phone is not None:
        return format_international(phone), ""
    label = {Channel.FACEBOOK: "Messenger", Channel.INSTAGRAM: "Instagram"}.get(channel, "SMS")
    return f"{label} {handle}"[:100], ""


def _lead_create(*, channel: str, handle: str, name: str) -> Contact:
    first, last = _lead_name(channel, handle, name)
    source, detail = SOURCES[channel]
    data: dict[str, object] = {
        "first_name": first, "last_name": last, "source": source, "source_detail": detail,
        "preferred_channel": channel, "tags": [settings.KLIYAN_INBOUND_LEAD_TAG],
    }
    phone = _phone_of(channel, handle)
    if phone is not None:
        kind = PhoneKind.WHATSAPP if channel == Channel.WHATSAPP else PhoneKind.MOBILE
        data["phones"] = [{"number": phone, "kind": kind}]
    # Nobody with this number exists (we looked), so the duplicate check has nothing to add.
    return contact_create(actor=None, data=data, allow_duplicate=True)


def _identity_seen(*, contact: Contact, channel: str, handle: str, at: dt.datetime) -> ChannelIdentity:
    identity, created = ChannelIdentity.objects.get_or_create(
        channel=channel, handle=handle, defaults={"contact": contact, "last_inbound_at": at},
    )
    if created:
        record(
            actor=None, action=AuditAction.CREATE, instance=identity, contact_id=contact.pk,
            label=str(contact), after=snapshot(identity),
        )
    elif identity.last_inbound_at is None or identity.last_inbound_at < at:
        # Messages arrive out of order; the window opens at the latest one.
        ChannelIdentity.objects.filter(pk=identity.pk).update(last_inbound_at=at)
    return identity


def _withdraw(*, contact: Contact, channel: str, text: str, at: dt.datetime) -> bool:
    consent_channel = STOP_CONSENT[channel]
    current = Consent.objects.filter(contact=contact, channel=consent_channel).values_list("status", flat=True).first()
    if current == ConsentStatus.WITHDRAWN:
        return False  # a second STOP changes nothing
    consent_set(
        actor=None, contact=contact, channel=consent_channel, status=ConsentStatus.WITHDRAWN,
        method=ConsentMethod.MESSAGE, note=_("Replied “%(text)s”") % {"text": text[:200]}, at=at,
    )
    return True
