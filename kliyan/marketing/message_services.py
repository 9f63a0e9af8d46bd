"""Writing to one contact from the API or the contact page: input read and checked, then the outbox stores it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, require
from kliyan.contacts.models import Contact
from kliyan.core.choices import Language
from kliyan.core.errors import FieldErrors
from kliyan.marketing import outbox
from kliyan.marketing.choices import Purpose
from kliyan.marketing.models import Message, MessageTemplate


@dataclass(frozen=True)
class Queued:
    message: Message
    created: bool  # False: the key had already stored this message (a retried request)


def message_send(
    *, actor: Any, contact_id: int, channel: str, purpose: str = Purpose.TRANSACTIONAL, body: str = "", subject: str = "",
    template_id: int | None = None, language: str = "", idempotency_key: str,
) -> Queued:
    """Store a message to one contact; a marketing message needs marketing.manage, a reply messages.send."""
    require(actor, Perm.MANAGE_MARKETING if purpose == Purpose.MARKETING else Perm.SEND_MESSAGES)
    existing = Message.objects.filter(idempotency_key=idempotency_key[:200]).select_related("contact").first()
    if existing is not None:
        return Queued(existing, created=False)
    errors = FieldErrors()
    contact = Contact.objects.filter(pk=contact_id, merged_into__isnull=True).first()
    if contact is None:
        errors.add("contact_id", _("There is no contact with id %(id)s.") % {"id": contact_id})
    template = None
    if template_id is not None:
        template = MessageTemplate.objects.prefetch_related("texts").filter(pk=template_id).first()
        if template is None:
            errors.add("template_id", _("There is no message template with id %(id)s.") % {"id": template_id})
    if language and language not in Language.values:
        errors.add("language", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Language.values)})
    errors.raise_if_any()
    message = outbox.queue_message(
        actor=actor, contact=contact, channel=channel, purpose=purpose, idempotency_key=idempotency_key,
        body=body, subject=subject, template=template, language=language,
    )
    return Queued(message, created=True)
