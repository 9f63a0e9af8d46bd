"""Agents' replies leave by e-mail from an outbox: the reply is a row before it is a mail.

`ticket_reply` stores the message (status "pending", with our own Message-ID and the
thread's In-Reply-To/References) and, after the commit, queues `send_ticket_reply`. Sending
claims the row with a conditional UPDATE, so one worker sends it at a time; a failure is
retried with back-off by the periodic sweep (`retry_ticket_replies`), which also picks up a
reply whose task was lost. If a sender dies mid-way the claim lapses and the mail goes again
with the same Message-ID, which mail programs show once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from kliyan.core.organisation import get_organisation
from kliyan.service.choices import MailStatus, MessageKind
from kliyan.service.models import Ticket, TicketMessage

logger = logging.getLogger(__name__)

# Longer than an SMTP conversation can take (EMAIL_TIMEOUT is 20 s).
CLAIM_SECONDS = 120
RETRY_DELAYS = (
    dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2), dt.timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SENDABLE = (MailStatus.PENDING, MailStatus.FAILED, MailStatus.SENDING)
# Mail programs cope with long References, but some servers cut headers; the newest ids matter.
MAX_REFERENCES = 20


def service_address() -> str:
    return settings.KLIYAN_SERVICE_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL


def service_addresses() -> set[str]:
    """Return our own addresses (lower case): mail from them is ours coming back, not a customer's."""
    return {parseaddr(a)[1].lower() for a in (settings.KLIYAN_SERVICE_FROM_EMAIL, settings.DEFAULT_FROM_EMAIL) if a}


def _domain() -> str:
    address = parseaddr(service_address())[1]
    return address.rpartition("@")[2] or "kliyan.invalid"


def new_message_id() -> str:
    """Return a fresh Message-ID on our domain; its random part makes it hard to guess."""
    return make_msgid(idstring="ticket", domain=_domain())


def recipient_for(ticket: Ticket) -> str:
    """Return where a reply goes: the address the customer last wrote from, else the contact's e-mail."""
    last = (
        TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER).exclude(from_address="")
        .order_by("-created_at", "-id").values_list("from_address", flat=True).first()
    )
    return last or ticket.contact.primary_email or ""


@dataclass(frozen=True)
class Thread:
    in_reply_to: str
    references: str


def thread_headers(ticket: Ticket) -> Thread:
    """Return In-Reply-To/References for a new reply: it answers the ticket's latest e-mail."""
    parent = (
        TicketMessage.objects.filter(ticket=ticket, message_id__isnull=False)
        .order_by("-created_at", "-id").only("message_id", "references").first()
    )
    if parent is None:
        return Thread("", "")
    chain = [*parent.references.split(), parent.message_id]
    return Thread(parent.message_id or "", " ".join(dict.fromkeys(chain[-MAX_REFERENCES:])))


def reply_subject(ticket: Ticket) -> str:
    """Return "Re: <subject> [T-000123]": the tag lets a reply thread back even without headers."""
    subject = ticket.subject
    tag = f"[{ticket.reference}]"
    if tag.lower() not in subject.lower():
        subject = f"{subject} {tag}"
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return subject[:255]


def send_after_commit(message_id: int) -> None:
    from kliyan.service.tasks import send_ticket_reply

    transaction.on_commit(lambda: send_ticket_reply.enqueue(message_id))


def retry_delay(attempts: int) -> dt.timedelta:
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * random.uniform(0.9, 1.1)  # noqa: S311 - spreading load, not security


def due_reply_ids(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Return replies whose e-mail is due (first try, retry, or a lapsed claim), oldest first."""
    now = now or timezone.now()
    return list(
        TicketMessage.objects.filter(mail_status__in=SENDABLE, mail_next_attempt_at__lte=now)
        .order_by("mail_next_attempt_at", "id").values_list("pk", flat=True)[:limit]
    )


def claim(message_id: int, now: dt.datetime) -> bool:
    """Take a due reply for sending; False if it is not due or another worker has it."""
    return bool(
        TicketMessage.objects.filter(
            Q(pk=message_id), Q(mail_status__in=SENDABLE), Q(mail_next_attempt_at__lte=now),
        ).update(
            mail_status=MailStatus.SENDING, mail_next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS),
            mail_attempts=F("mail_attempts") + 1,
        )
    )


def build_email(message: TicketMessage) -> EmailMessage:
    """Return the e-mail for a stored reply, with its threading headers and attachments."""
    ticket = message.ticket
    organisation = get_organisation()
    from_address = service_address()
    if not parseaddr(from_address)[0]:
        from_address = f"{organisation.name} <{parseaddr(from_address)[1]}>"
    headers = {"Message-ID": message.message_id or new_message_id(), "X-Kliyan-Ticket": ticket.reference}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    email = EmailMessage(
        subject=message.subject or reply_subject(ticket), body=message.body, from_email=from_address,
        to=[message.to_address], reply_to=[from_address], headers=headers,
    )
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            email.attach(attachment.name, handle.read(), attachment.content_type)
    return email


def attempt(message_id: int, now: dt.datetime | None = None) -> bool:
    """Claim and send one reply; return whether it left. Failures are recorded for a retry."""
    now = now or timezone.now()
    if not claim(message_id, now):
        return False
    message = TicketMessage.objects.select_related("ticket__contact").get(pk=message_id)
    try:
        build_email(message).send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any failure of the mail server is a retry, never a crash
        _record_failure(message, error)
        return False
    TicketMessage.objects.filter(pk=message.pk).update(
        mail_status=MailStatus.SENT, mail_sent_at=timezone.now(), mail_next_attempt_at=None, mail_error="",
    )
    return True


def _record_failure(message: TicketMessage, error: Exception) -> None:
    text = f"{type(error).__name__}: {error}"[:500]
    if message.mail_attempts >= MAX_ATTEMPTS:
        logger.warning("Reply %s of ticket %s was not sent after %s attempts: %s",
                       message.pk, message.ticket_id, message.mail_attempts, text)
        values = {"mail_status": MailStatus.DEAD, "mail_next_attempt_at": None}
    else:
        values = {"mail_status": MailStatus.FAILED, "mail_next_attempt_at": timezone.now() + retry_delay(message.mail_attempts)}
    TicketMessage.objects.filter(pk=message.pk).update(mail_error=text, **values)
