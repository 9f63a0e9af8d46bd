"""Files on tickets: stored with Django's default storage (under the data directory), with
their name, content type, size and SHA-256 in the row.

A file uploaded on its own (the API's upload, before the reply that carries it) belongs to
the ticket until a reply or note links it to its message.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.core.audit import record
from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.service.choices import EventKind
from kliyan.service.models import Ticket, TicketAttachment, TicketEvent, TicketMessage

DEFAULT_CONTENT_TYPE = "application/octet-stream"
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
CHUNK = 64 * 1024


def max_bytes() -> int:
    return int(settings.KLIYAN_ATTACHMENT_MAX_BYTES)


def clean_name(name: str) -> str:
    """Return a file name safe to show and to offer for download: no path, no control characters."""
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(base) > 255:
        stem, ext = os.path.splitext(base)
        base = stem[: 255 - len(ext[:20])] + ext[:20]
    return base or _("attachment")


def clean_content_type(content_type: str, name: str) -> str:
    """Return a plain "type/subtype" (parameters dropped), guessed from the name if absent or odd."""
    value = str(content_type or "").split(";", 1)[0].strip().lower()
    if _CONTENT_TYPE.match(value):
        return value
    guessed, _encoding = mimetypes.guess_type(name)
    return guessed or DEFAULT_CONTENT_TYPE


def _too_big(size: int) -> ValidationFailed:
    return ValidationFailed(field_errors={"file": [
        _("The file is too large: at most %(limit)s bytes, this one has %(size)s.") % {"limit": max_bytes(), "size": size}
    ]})


def attachment_store(
    *, actor: Any, ticket: Ticket, name: str, content_type: str, content: bytes | IO[bytes],
    message: TicketMessage | None = None, size: int | None = None,
) -> TicketAttachment:
    """Store one file on `ticket` (and `message`); refuse it if it is larger than the limit."""
    data = content if isinstance(content, File) else (ContentFile(content) if isinstance(content, bytes) else File(content))
    total = size if size is not None else data.size
    if total is not None and total > max_bytes():
        raise _too_big(total)
    digest = hashlib.sha256()
    for chunk in data.chunks(CHUNK):
        digest.update(chunk)
    data.seek(0)
    safe_name = clean_name(name)
    attachment = TicketAttachment(
        ticket=ticket, message=message, name=safe_name, content_type=clean_content_type(content_type, safe_name),
        size=data.size, sha256=digest.hexdigest(), uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=timezone.now(),
    )
    attachment.file.save(safe_name, data, save=False)
    attachment.save()
    record(
        actor=actor, action=AuditAction.CREATE, instance=attachment, contact_id=ticket.contact_id, label=ticket.reference,
        after={"ticket": ticket.pk, "name": attachment.name, "size": attachment.size, "sha256": attachment.sha256},
    )
    return attachment


@transaction.atomic
def attachment_upload(*, actor: Any, ticket: Ticket, upload: Any) -> TicketAttachment:
    """Store a file a member of staff uploaded to the ticket (linked to a reply or note later)."""
    if upload is None:
        raise ValidationFailed(field_errors={"file": [_("Choose a file.")]})
    if upload.size > max_bytes():
        raise _too_big(upload.size)
    attachment = attachment_store(
        actor=actor, ticket=ticket, name=upload.name, content_type=getattr(upload, "content_type", ""), content=upload,
        size=upload.size,
    )
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.ATTACHMENT, actor=attachment.uploaded_by, actor_label=str(attachment.uploaded_by or ""),
        new_value=str(attachment.pk), new_label=attachment.name, at=attachment.created_at,
    )
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    return attachment


def link_attachments(*, ticket: Ticket, message: TicketMessage, attachment_ids: Sequence[int]) -> None:
    """Attach uploaded files of this ticket, not yet part of a message, to `message`."""
    if not attachment_ids:
        return
    free = set(
        TicketAttachment.objects.filter(pk__in=attachment_ids, ticket=ticket, message__isnull=True).values_list("pk", flat=True)
    )
    missing = [pk for pk in attachment_ids if pk not in free]
    if missing:
        raise ValidationFailed(field_errors={"attachments": [
            _("There is no unused attachment of this ticket with id %(id)s.") % {"id": pk} for pk in missing
        ]})
    TicketAttachment.objects.filter(pk__in=free).update(message=message)


def uploads_size_ok(uploads: Iterable[Any]) -> None:
    """Refuse, naming the field, any upload larger than the limit (before anything is stored)."""
    for upload in uploads:
        if upload.size > max_bytes():
            raise _too_big(upload.size)
