"""File a parsed incoming e-mail: as a new ticket, or as the customer's message on the ticket it answers.

Idempotent by Message-ID: the same mail delivered twice (an MTA retrying, the pipe and the
HTTP endpoint both fed) is stored once; the unique index settles a race between two deliveries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kliyan.contacts.choices import Source
from kliyan.contacts.models import Contact
from kliyan.contacts.services import contact_create
from kliyan.core.choices import Channel
from kliyan.core.errors import ValidationFailed
from kliyan.service import outbox, queries, services
from kliyan.service.attachments import max_bytes as attachment_max_bytes
from kliyan.service.choices import TicketKind, TicketStatus
from kliyan.service.mail_in import SUBJECT_PREFIX, SUBJECT_TAG, ParsedMail, UnparseableMail
from kliyan.service.models import Ticket, TicketMessage


@dataclass(frozen=True)
class MailReceipt:
    """What became of an incoming e-mail: "created" a ticket, "added" to one, a "duplicate", "ignored", or "unsubscribed"."""

    outcome: str
    ticket: Ticket | None = None
    message: TicketMessage | None = None


def mail_receive(*, actor: Any, mail: ParsedMail) -> MailReceipt:
    """File `mail`; return what became of it."""
    if mail.from_address in outbox.service_addresses():
        return MailReceipt("ignored")  # our own mail coming back: filing it could start a loop
    if _unsubscribed(mail):
        return MailReceipt("unsubscribed")
    existing = _stored(mail.message_id)
    if existing is not None:
        return MailReceipt("duplicate", existing.ticket, existing)
    try:
        with transaction.atomic():
            return _file(actor, mail)
    except IntegrityError:
        existing = _stored(mail.message_id)
        if existing is None:
            raise
        return MailReceipt("duplicate", existing.ticket, existing)


# The mailto of a marketing e-mail's List-Unsubscribe asks for this subject (marketing.unsubscribe).
UNSUBSCRIBE_SUBJECT = re.compile(r"^\s*unsubscribe\s+(\S+)\s*$", re.IGNORECASE)


def _unsubscribed(mail: ParsedMail) -> bool:
    """Withdraw the consent a List-Unsubscribe mail names; return whether the mail was one (signed by us)."""
    from kliyan.marketing.unsubscribe import read_token, unsubscribe

    match = UNSUBSCRIBE_SUBJECT.match(mail.subject)
    unsubscription = read_token(match.group(1)) if match else None
    if unsubscription is None:
        return False  # anything else, a forged token included, is filed as usual
    unsubscribe(unsubscription)
    return True


def _stored(message_id: str) -> TicketMessage | None:
    return TicketMessage.objects.select_related("ticket").filter(message_id=message_id).first()


def _file(actor: Any, mail: ParsedMail) -> MailReceipt:
    ticket = queries.thread_ticket(
        message_ids=mail.thread_ids, subject_ticket_id=mail.subject_ticket_id, sender=mail.from_address,
    )
    follow_up_of = None
    if ticket is not None and ticket.status == TicketStatus.CLOSED:
        follow_up_of, ticket = ticket, None
    outcome = "added"
    if ticket is None:
        contact = queries.contact_for_address(mail.from_address) or _contact_from(actor, mail)
        ticket = services.ticket_create(
            actor=actor, contact=contact, follow_up_of=follow_up_of,
            data={"subject": ticket_subject(mail.subject), "channel": Channel.EMAIL, "kind": TicketKind.QUESTION},
        )
        outcome = "created"
    body, files = _body_and_files(mail)
    message = services.ticket_customer_message(
        actor=actor, ticket=ticket, body=body, channel=Channel.EMAIL, from_name=mail.from_name,
        from_address=mail.from_address, to_address=mail.to[0] if mail.to else "", subject=mail.subject,
        message_id=mail.message_id, in_reply_to=mail.in_reply_to[0] if mail.in_reply_to else "",
        references=" ".join(mail.references), files=files, moves_status=not mail.auto_submitted,
    )
    return MailReceipt(outcome, ticket, message)


def ticket_subject(subject: str) -> str:
    """Return a mail's subject as a ticket's: without "Re:"/"Fwd:" labels or a ticket tag."""
    text = SUBJECT_TAG.sub("", SUBJECT_PREFIX.sub("", subject or ""))
    text = " ".join(text.split())
    return text[:255] or _("(no subject)")


def _body_and_files(mail: ParsedMail) -> tuple[str, list[services.IncomingFile]]:
    """Return the text and the files to keep; a file over the limit is named in the text instead."""
    limit = attachment_max_bytes()
    files, dropped = [], []
    for attachment in mail.attachments:
        if len(attachment.content) > limit:
            dropped.append(_("[The attachment “%(name)s” (%(size)s bytes) was too large to keep.]") % {
                "name": attachment.name, "size": len(attachment.content),
            })
            continue
        files.append(services.IncomingFile(attachment.name, attachment.content_type, attachment.content))
    body = "\n\n".join(part for part in [mail.text, *dropped] if part)
    return body, files


def split_name(display_name: str, address: str) -> tuple[str, str]:
    """Return (first, last) from "Marie Joseph" (the last word is the last name), else the address's local part."""
    words = display_name.replace('"', "").split()
    if len(words) >= 2:
        return " ".join(words[:-1])[:100], words[-1][:100]
    if words:
        return words[0][:100], ""
    return address.partition("@")[0][:100] or address[:100], ""


def _contact_from(actor: Any, mail: ParsedMail) -> Contact:
    """Create the contact for an unknown sender, through the contacts service like any other contact."""
    first, last = split_name(mail.from_name, mail.from_address)
    try:
        return contact_create(
            actor=actor, allow_duplicate=True,  # the address was looked up just before
            data={
                "first_name": first, "last_name": last, "emails": [{"email": mail.from_address}],
                "source": Source.OTHER, "source_detail": _("Created from an e-mail to the service desk"),
            },
        )
    except ValidationFailed as error:
        raise UnparseableMail(
            _("The sender's address “%(address)s” is not valid.") % {"address": mail.from_address},
            field_errors=error.field_errors,
        ) from error
