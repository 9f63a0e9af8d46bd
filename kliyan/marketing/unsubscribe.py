"""Unsubscribe links: a signed token per contact and channel, and what following one does.

A token is signed with the secret key (django.core.signing) and names the contact, the
channel and, when known, the message it came in, so no login is needed and nobody can
unsubscribe someone else by changing a number. Tokens do not expire: an old newsletter's
link must still work (RFC 8058 asks for it to keep working).

`unsubscribe` withdraws the channel's consent with a ConsentEvent (method "unsubscribe")
through contacts.services.consent_set, which audits it; following a link twice records it once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import get_script_prefix, get_urlconf, reverse

from kliyan.contacts.choices import ConsentMethod, ConsentStatus
from kliyan.contacts.models import Consent, Contact
from kliyan.core.audit import audit_context

SALT = "kliyan.marketing.unsubscribe"


@dataclass(frozen=True)
class Unsubscription:
    contact_id: int
    channel: str
    message_id: int | None


def public_base_url() -> str:
    from kliyan.feedback.outbox import public_base_url as base

    return base()


def token_for(*, contact_id: int, channel: str, message_id: int | None = None) -> str:
    payload = [contact_id, channel] if message_id is None else [contact_id, channel, message_id]
    return signing.dumps(payload, salt=SALT, compress=True)


def read_token(token: str) -> Unsubscription | None:
    """Return what a token names, or None for a token this installation did not sign."""
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, list) or len(payload) not in (2, 3):
        return None
    contact_id, channel, *rest = payload
    if not isinstance(contact_id, int) or not isinstance(channel, str):
        return None
    message_id = rest[0] if rest and isinstance(rest[0], int) else None
    return Unsubscription(contact_id=contact_id, channel=channel, message_id=message_id)


def unsubscribe_url(*, contact_id: int, channel: str, message_id: int | None = None) -> str:
    """Return the absolute link that withdraws the contact's consent for `channel` (one click)."""
    return _link(token_for(contact_id=contact_id, channel=channel, message_id=message_id))


def _link(token: str) -> str:
    before, after = _link_around_token(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return public_base_url() + before + token + after


@functools.lru_cache(maxsize=8)
def _link_around_token(urlconf: str, script_prefix: str) -> tuple[str, str]:
    # reverse() costs more than signing the token, and a campaign asks twice per message (the body's
    # link when stored, the header's when sent). A token is base64url and colons, which reverse()
    # leaves as they are, so the link is what comes before the token, the token, and what follows.
    before, _placeholder, after = reverse("marketing_public:unsubscribe", args=["TOKEN"], urlconf=urlconf).rpartition("TOKEN")
    return before, after


@functools.lru_cache(maxsize=8)
def _address_of(from_email: str) -> str:
    return parseaddr(from_email)[1]


def unsubscribe_headers(*, contact_id: int, message_id: int) -> dict[str, str]:
    """Return the List-Unsubscribe headers of a marketing e-mail: an https link and a mailto (RFC 2369, RFC 8058)."""
    token = token_for(contact_id=contact_id, channel="email", message_id=message_id)
    url = _link(token)
    address = _address_of(settings.DEFAULT_FROM_EMAIL)
    links = [f"<{url}>"]
    if address:
        links.append(f"<mailto:{address}?subject={quote('unsubscribe ' + token)}>")
    return {"List-Unsubscribe": ", ".join(links), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def is_unsubscribed(unsubscription: Unsubscription) -> bool:
    return Consent.objects.filter(
        contact_id=unsubscription.contact_id, channel=unsubscription.channel, status=ConsentStatus.WITHDRAWN,
    ).exists()


def unsubscribe(unsubscription: Unsubscription) -> bool:
    """Withdraw the consent the token names; return False when the contact is gone. Twice is once."""
    from kliyan.contacts.services import consent_set

    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=unsubscription.contact_id).first()
        if contact is None:
            return False
        if is_unsubscribed(unsubscription):
            return True
        note = f"message {unsubscription.message_id}" if unsubscription.message_id else ""
        with audit_context(via="unsubscribe"):
            consent_set(
                actor=None, contact=contact, channel=unsubscription.channel, status=ConsentStatus.WITHDRAWN,
                method=ConsentMethod.UNSUBSCRIBE, note=note,
            )
    return True
