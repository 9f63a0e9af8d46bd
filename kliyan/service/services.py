"""Writes for the service desk: tickets, replies, notes and their files (categories: categories.py).

Every write runs in a transaction, writes its audit entry and its ticket history
(TicketEvent) in that transaction, and announces itself (kliyan.core.events). The callers
(pages, API, the mail-in command) check permissions first.

A ticket's status only ever changes in `_set_status`, reached through `ticket_update`
(and `ticket_change_status`), a reply that sets a status, or a customer's message: that is
where timestamps move, the history is written and "ticket.resolved" is announced.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, can
from kliyan.accounts.models import Team, User
from kliyan.commerce.models import Product
from kliyan.contacts import validation as v
from kliyan.contacts.models import Company, Contact
from kliyan.core.audit import record, snapshot
from kliyan.core.choices import Channel
from kliyan.core.errors import FieldErrors, NotFound, ValidationFailed
from kliyan.core.events import emit
from kliyan.core.models import AuditAction
from kliyan.service import outbox, sla
from kliyan.service.attachments import attachment_store, link_attachments
from kliyan.service.choices import (
    TRANSITIONS,
    EventKind,
    MailStatus,
    MessageKind,
    Priority,
    TicketKind,
    TicketStatus,
)
from kliyan.service.models import Ticket, TicketCategory, TicketEvent, TicketMessage
from kliyan.service.ticket_search import first_customer_body, ticket_search_text

SUBJECT_LIMIT = 255
BODY_LIMIT = 100_000
# What a "ticket.*" event carries (kliyan.core.events).
TICKET_EVENT_FIELDS = [
    "id", "kind", "subject", "contact_id", "company_id", "category_id", "product_id", "priority", "status", "channel",
    "assignee_id", "team_id", "follow_up_of_id", "created_at", "updated_at", "first_responded_at", "resolved_at",
    "closed_at", "first_response_due", "resolution_due", "waiting_since", "problem_id",
]
CREATE_FIELDS = {
    "kind", "subject", "contact", "company", "category", "product", "product_sku", "priority", "channel",
    "assignee", "team", "description",
}
UPDATE_FIELDS = {"kind", "subject", "company", "category", "product", "product_sku", "priority", "channel", "assignee", "team", "status"}
# Ticket fields whose change is a line in the history, with the event kind it is filed under.
TRACKED = {
    "status": EventKind.STATUS, "assignee_id": EventKind.ASSIGNEE, "team_id": EventKind.TEAM,
    "priority": EventKind.PRIORITY, "category_id": EventKind.CATEGORY, "product_id": EventKind.PRODUCT,
    "kind": EventKind.KIND, "subject": EventKind.SUBJECT,
}


def ticket_payload(ticket: Ticket, **extra: Any) -> dict[str, Any]:
    return {**snapshot(ticket, TICKET_EVENT_FIELDS), "reference": ticket.reference, **extra}


def _user(actor: Any) -> User | None:
    return actor if getattr(actor, "is_authenticated", False) else None


def _label(actor: Any) -> str:
    user = _user(actor)
    return str(user) if user else ""


# --- Cleaning input ------------------------------------------------------------------


def _id(value: Any, errors: FieldErrors, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        pk = int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        errors.add(field, _("“%(value)s” is not a valid id.") % {"value": value})
        return None
    if pk < 1:
        errors.add(field, _("“%(value)s” is not a valid id.") % {"value": value})
        return None
    return pk


def lookup(model: Any, value: Any, errors: FieldErrors, field: str, **conditions: Any) -> Any:
    """Return the row `value` names (an id or an instance), or None with an error named `field`."""
    pk = _id(value, errors, field)
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, **conditions).first()
    if found is None:
        errors.add(field, _("There is no %(thing)s with id %(id)s.") % {"thing": model._meta.verbose_name, "id": pk})
    return found


def _clean_assignee(value: Any, errors: FieldErrors) -> User | None:
    user = lookup(User, value, errors, "assignee", is_active=True)
    if user is not None and not can(user, Perm.WORK_TICKETS):
        errors.add("assignee", _("%(name)s may not work on tickets (their role is view-only).") % {"name": user})
        return None
    return user


def _clean_product(data: Mapping[str, Any], errors: FieldErrors) -> Product | None:
    if "product_sku" in data:
        sku = str(data.get("product_sku") or "").strip()
        if not sku:
            return None
        product = Product.objects.filter(sku__iexact=sku).first()
        if product is None:
            errors.add("product", _("There is no product with SKU “%(sku)s”.") % {"sku": sku})
        return product
    return lookup(Product, data.get("product"), errors, "product")


def _clean_fields(data: Mapping[str, Any], *, allowed: set[str], creating: bool) -> tuple[dict[str, Any], FieldErrors]:
    """Return the ticket fields present in `data` as model values (instances for relations)."""
    errors = FieldErrors()
    for key in data:
        if key not in allowed:
            errors.add(key, _("Unknown field."))
    out: dict[str, Any] = {}
    present = (lambda key: True) if creating else (lambda key: key in data)
    if present("kind"):
        out["kind"] = v.check_choice(data.get("kind"), TicketKind.values, errors, "kind") or TicketKind.QUESTION
    if present("subject"):
        out["subject"] = " ".join(str(data.get("subject") or "").split())
        if not out["subject"]:
            errors.add("subject", _("This field is required."))
        elif len(out["subject"]) > SUBJECT_LIMIT:
            errors.add("subject", _("At most %(limit)d characters.") % {"limit": SUBJECT_LIMIT})
    if present("priority"):
        out["priority"] = v.check_choice(data.get("priority"), Priority.values, errors, "priority") or Priority.NORMAL
    if present("channel"):
        out["channel"] = v.check_choice(data.get("channel"), Channel.values, errors, "channel") or Channel.OTHER
    if "company" in data:
        out["company"] = lookup(Company, data.get("company"), errors, "company")
    if "category" in data:
        out["category"] = lookup(TicketCategory, data.get("category"), errors, "category", active=True)
    if "product" in data or "product_sku" in data:
        out["product"] = _clean_product(data, errors)
    if "assignee" in data:
        out["assignee"] = _clean_assignee(data.get("assignee"), errors)
    if "team" in data:
        out["team"] = lookup(Team, data.get("team"), errors, "team", active=True)
    if "status" in data:
        out["status"] = v.check_choice(data.get("status"), TicketStatus.values, errors, "status")
        if not out["status"]:
            out.pop("status")
            if "status" not in errors.errors:
                errors.add("status", _("This field is required."))
    return out, errors


def _clean_body(body: Any, errors: FieldErrors, field: str = "body", *, required: bool = True) -> str:
    text = str(body or "").strip()
    if required and not text:
        errors.add(field, _("This field is required."))
    elif len(text) > BODY_LIMIT:
        errors.add(field, _("At most %(limit)d characters.") % {"limit": BODY_LIMIT})
    return text


# --- Changes and their history ---------------------------------------------------------


@dataclasses.dataclass
class _Change:
    field: str
    old: Any
    new: Any
    old_label: str = ""
    new_label: str = ""


@dataclasses.dataclass
class _Changes:
    """The field changes of one write, turned into history lines, an audit entry and events."""

    ticket: Ticket
    actor: Any
    actor_label: str
    at: dt.datetime
    items: list[_Change] = dataclasses.field(default_factory=list)
    # Who the audit log names when that is not who made the change (the user a mail came in through).
    audit_actor: Any = None

    def set(self, field: str, value: Any) -> None:
        """Set a model field (a relation by instance), noting the change if it is one."""
        attname = f"{field}_id" if field in RELATIONS else field
        old = getattr(self.ticket, attname)
        new = value.pk if field in RELATIONS and value is not None else value
        if old == new:
            return
        old_label = _relation_label(self.ticket, field) if field in RELATIONS else ""
        setattr(self.ticket, field, value)
        new_label = str(value) if field in RELATIONS and value is not None else ""
        self.items.append(_Change(attname, old, new, old_label, new_label))

    @property
    def fields(self) -> list[str]:
        return [change.field for change in self.items]

    def status_change(self) -> _Change | None:
        return next((change for change in self.items if change.field == "status"), None)

    def commit(self, *, message: TicketMessage | None = None, touch: bool = False) -> None:
        """Save the ticket and write what changed: history lines, the audit entry, the events.

        Nothing is written when nothing changed, unless `touch` (a new message moves `updated_at`).
        """
        ticket = self.ticket
        status = self.status_change()
        # Due times follow the priority, the category and the status (the clock pauses while waiting).
        sla_moved = sla.follow_ticket(
            ticket, changed=self.fields, status_change=(self.at, status.old, status.new) if status else None,
            actor=_user(self.actor), actor_label=self.actor_label,
        )
        if not self.items:
            if touch or sla_moved:
                ticket.save()
            return
        ticket.save()
        TicketEvent.objects.bulk_create([
            TicketEvent(
                ticket=ticket, kind=TRACKED[change.field], actor=_user(self.actor), actor_label=self.actor_label,
                old_value=_raw(change.old), new_value=_raw(change.new), old_label=change.old_label[:255],
                new_label=change.new_label[:255], message=message, at=self.at,
            )
            for change in self.items
            if change.field in TRACKED
        ])
        record(
            actor=self.audit_actor or self.actor, action=AuditAction.UPDATE, instance=ticket, contact_id=ticket.contact_id,
            before={change.field: change.old for change in self.items},
            after={change.field: change.new for change in self.items},
        )
        payload = ticket_payload(ticket, changed=self.fields)
        emit("ticket.updated", payload)
        if status is not None and status.new == TicketStatus.RESOLVED:
            # The hook for what follows a resolution (a satisfaction survey, say).
            emit("ticket.resolved", payload)


RELATIONS = {"company", "category", "product", "assignee", "team"}


def _relation_label(ticket: Ticket, field: str) -> str:
    value = getattr(ticket, field)
    return str(value) if value is not None else ""


def _raw(value: Any) -> str:
    return "" if value is None else str(value)[:255]


def _check_transition(old: str, status: str) -> None:
    if status != old and status not in TRANSITIONS.get(old, frozenset()):
        raise ValidationFailed(field_errors={"status": [
            _("A ticket that is “%(old)s” cannot become “%(new)s”.") % {
                "old": TicketStatus(old).label, "new": TicketStatus(status).label,
            }
        ]})


def _set_status(changes: _Changes, status: str, *, check: bool = True) -> None:
    """Move the ticket to `status`: the one place timestamps follow the status.

    `check` is off only for the customer's own messages, whose moves (waiting → open,
    resolved → reopened) are in the transition table anyway.
    """
    ticket = changes.ticket
    old = ticket.status
    if status == old:
        return
    if check:
        _check_transition(old, status)
    now = changes.at
    changes.set("status", status)
    if old == TicketStatus.WAITING:
        ticket.waiting_since = None
    if status == TicketStatus.WAITING:
        ticket.waiting_since = now
    elif status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif status == TicketStatus.REOPENED:
        ticket.resolved_at = None


def _locked(ticket: Ticket) -> Ticket:
    """Return the ticket re-read under a row lock, so two agents' changes do not interleave."""
    locked = Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
    if locked is None:
        raise NotFound(_("There is no ticket with id %(id)s.") % {"id": ticket.pk})
    return locked


def _message_audit(actor: Any, message: TicketMessage, ticket: Ticket, attachment_ids: Sequence[int]) -> None:
    record(
        actor=actor, action=AuditAction.CREATE, instance=message, contact_id=ticket.contact_id, label=ticket.reference,
        after={"ticket": ticket.pk, "kind": message.kind, "body": message.body[:2000], "attachments": list(attachment_ids)},
    )


def _store_files(actor: Any, ticket: Ticket, message: TicketMessage, files: Iterable[Any]) -> list[int]:
    """Store files sent with a message: IncomingFile (from e-mail) or uploaded files (from a page)."""
    ids = []
    for item in files:
        if isinstance(item, IncomingFile):
            stored = attachment_store(actor=actor, ticket=ticket, message=message, name=item.name,
                                      content_type=item.content_type, content=item.content)
        else:
            stored = attachment_store(actor=actor, ticket=ticket, message=message, name=item.name,
                                      content_type=getattr(item, "content_type", ""), content=item, size=item.size)
        ids.append(stored.pk)
    return ids


def _announce_message(ticket: Ticket, message: TicketMessage) -> None:
    emit("ticket.message_added", {
        "id": message.pk, "ticket_id": ticket.pk, "reference": ticket.reference, "kind": message.kind,
        "internal": message.is_internal, "author_id": message.author_id, "created_at": message.created_at.isoformat(),
    })


# --- Tickets ----------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *, actor: Any, data: Mapping[str, Any], contact: Contact | None = None, follow_up_of: Ticket | None = None,
    files: Sequence[Any] = (),
) -> Ticket:
    """Open a ticket for a contact, with the customer's request as its first message.

    `description` is what the customer asked (typed by the agent who took the call, say),
    `files` the files that came with it. The ticket starts "new".
    """
    cleaned, errors = _clean_fields(data, allowed=CREATE_FIELDS, creating=True)
    if contact is None:
        contact = lookup(Contact, data.get("contact"), errors, "contact")
        if contact is None and "contact" not in errors.errors:
            errors.add("contact", _("This field is required."))
    description = _clean_body(data.get("description"), errors, "description", required=False)
    errors.raise_if_any()
    assert contact is not None
    if "company" not in data:
        cleaned["company_id"] = contact.company_id
    now = timezone.now()
    ticket = Ticket(contact=contact, created_by=_user(actor), follow_up_of=follow_up_of, created_at=now, **cleaned)
    ticket.search_text = ticket_search_text(ticket.subject, description)
    sla.apply_on_create(ticket)
    ticket.save()
    TicketEvent.objects.create(ticket=ticket, kind=EventKind.CREATED, actor=_user(actor), actor_label=_label(actor), at=now,
                               new_value=ticket.status)
    record(actor=actor, action=AuditAction.CREATE, instance=ticket, contact_id=contact.pk, after=ticket_payload(ticket))
    emit("ticket.created", ticket_payload(ticket))
    if description or files:
        message = TicketMessage.objects.create(
            ticket=ticket, kind=MessageKind.CUSTOMER, body=description, author=_user(actor), channel=ticket.channel,
            from_name=contact.display_name, created_at=now,
        )
        _message_audit(actor, message, ticket, _store_files(actor, ticket, message, files))
    return ticket


def _attachment_ids(value: Any, errors: FieldErrors) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        errors.add("attachments", _("Send a list of attachment ids."))
        return []
    ids = []
    for n, item in enumerate(value):
        pk = _id(item, errors, f"attachments.{n}")
        if pk is not None and pk not in ids:
            ids.append(pk)
    return ids


@transaction.atomic
def ticket_update(*, actor: Any, ticket: Ticket, data: Mapping[str, Any]) -> Ticket:
    """Change a ticket's fields (status, priority, assignee, team, category, product, …).

    Each changed field is a line in the ticket's history and in the audit entry; a status
    must follow the allowed transitions (choices.TRANSITIONS).
    """
    cleaned, errors = _clean_fields(data, allowed=UPDATE_FIELDS, creating=False)
    errors.raise_if_any()
    ticket = _locked(ticket)
    changes = _Changes(ticket=ticket, actor=actor, actor_label=_label(actor), at=timezone.now())
    status = cleaned.pop("status", None)
    for field, value in cleaned.items():
        changes.set(field, value)
    if "subject" in changes.fields:
        ticket.search_text = ticket_search_text(ticket.subject, first_customer_body(ticket.pk))
    if status is not None:
        _set_status(changes, status)
    changes.commit()
    return ticket


def ticket_change_status(*, actor: Any, ticket: Ticket, status: str) -> Ticket:
    """Move a ticket to `status` (the transitions of choices.TRANSITIONS apply)."""
    return ticket_update(actor=actor, ticket=ticket, data={"status": status})


def close_resolved_tickets(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Close the tickets resolved more than KLIYAN_TICKET_AUTOCLOSE_DAYS ago; return how many.

    A resolved ticket stays open to the customer's answer (which reopens it) for those days,
    then closes as help desks do, so the queue and the reports stop counting it. Each one
    goes through ticket_update (history, audit, event), with no actor: the schedule did it.
    """
    days = settings.KLIYAN_TICKET_AUTOCLOSE_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    due = Ticket.objects.filter(status=TicketStatus.RESOLVED, resolved_at__lt=cutoff).order_by("resolved_at", "id")[:limit]
    closed = 0
    for ticket in due:
        ticket_update(actor=None, ticket=ticket, data={"status": TicketStatus.CLOSED})
        closed += 1
    return closed


@transaction.atomic
def ticket_reply(
    *, actor: Any, ticket: Ticket, body: str, attachment_ids: Sequence[int] = (), status: str = "", files: Sequence[Any] = (),
) -> TicketMessage:
    """Answer the customer; e-mail the answer when the contact has an address (outbox).

    The reply is stored first, with our Message-ID and the thread's In-Reply-To and
    References, and sent by a task after the commit, so a crash never loses or doubles it.
    An agent's reply moves a new or reopened ticket to open, unless `status` says where
    it goes instead (waiting on customer, resolved, …).
    """
    errors = FieldErrors()
    text = _clean_body(body, errors)
    if status:
        v.check_choice(status, TicketStatus.values, errors, "status")
    ids = _attachment_ids(list(attachment_ids), errors)
    errors.raise_if_any()
    ticket = _locked(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationFailed(field_errors={"status": [_("This ticket is closed; open a new ticket to write to the customer.")]})
    target = status or (TicketStatus.OPEN if ticket.status in (TicketStatus.NEW, TicketStatus.REOPENED) else "")
    if target:
        _check_transition(ticket.status, target)  # before anything is stored, files included
    now = timezone.now()
    recipient = outbox.recipient_for(ticket)
    thread = outbox.thread_headers(ticket) if recipient else None
    message = TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.REPLY, body=text, author=_user(actor), channel=ticket.channel,
        from_name=_label(actor), to_address=recipient, created_at=now,
        subject=outbox.reply_subject(ticket) if recipient else "",
        message_id=outbox.new_message_id() if recipient else None,
        in_reply_to=thread.in_reply_to if thread else "", references=thread.references if thread else "",
        mail_status=MailStatus.PENDING if recipient else "", mail_next_attempt_at=now if recipient else None,
    )
    link_attachments(ticket=ticket, message=message, attachment_ids=ids)
    ids = [*ids, *_store_files(actor, ticket, message, files)]
    changes = _Changes(ticket=ticket, actor=actor, actor_label=_label(actor), at=now)
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
    if target:
        _set_status(changes, target)
    TicketEvent.objects.create(ticket=ticket, kind=EventKind.REPLY, actor=_user(actor), actor_label=_label(actor), message=message, at=now)
    changes.commit(message=message, touch=True)
    _message_audit(actor, message, ticket, ids)
    _announce_message(ticket, message)
    if recipient:
        outbox.send_after_commit(message.pk)
    return message


@transaction.atomic
def ticket_add_note(
    *, actor: Any, ticket: Ticket, body: str, attachment_ids: Sequence[int] = (), files: Sequence[Any] = (),
) -> TicketMessage:
    """Add an internal note: for staff only, never shown or sent to the customer."""
    errors = FieldErrors()
    text = _clean_body(body, errors)
    ids = _attachment_ids(list(attachment_ids), errors)
    errors.raise_if_any()
    ticket = _locked(ticket)
    now = timezone.now()
    message = TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.NOTE, body=text, author=_user(actor), from_name=_label(actor), created_at=now,
    )
    link_attachments(ticket=ticket, message=message, attachment_ids=ids)
    ids = [*ids, *_store_files(actor, ticket, message, files)]
    TicketEvent.objects.create(ticket=ticket, kind=EventKind.NOTE, actor=_user(actor), actor_label=_label(actor), message=message, at=now)
    ticket.save(update_fields=["updated_at"])
    _message_audit(actor, message, ticket, ids)
    _announce_message(ticket, message)
    return message


@dataclasses.dataclass(frozen=True)
class IncomingFile:
    name: str
    content_type: str
    content: bytes


@transaction.atomic
def ticket_customer_message(
    *,
    actor: Any,
    ticket: Ticket,
    body: str,
    channel: str = Channel.EMAIL,
    from_name: str = "",
    from_address: str = "",
    to_address: str = "",
    subject: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    files: Iterable[IncomingFile] = (),
    moves_status: bool = True,
) -> TicketMessage:
    """Add what the customer wrote to their ticket.

    A ticket waiting on the customer becomes open again, a resolved one reopened (unless
    `moves_status` is off: an automatic "out of office" answer moves nothing).
    """
    ticket = _locked(ticket)
    now = timezone.now()
    who = from_name or from_address or ticket.contact.display_name
    message = TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.CUSTOMER, body=body[:BODY_LIMIT], channel=channel, from_name=from_name[:200],
        from_address=from_address[:254], to_address=to_address[:254], subject=subject[:255], message_id=message_id or None,
        in_reply_to=in_reply_to[:255], references=references, created_at=now,
    )
    ids = _store_files(actor, ticket, message, files)
    if ticket.search_text == ticket_search_text(ticket.subject):
        # The first words from the customer (a ticket opened from an e-mail): what it is about.
        ticket.search_text = ticket_search_text(ticket.subject, message.body)
    changes = _Changes(ticket=ticket, actor=None, actor_label=who, at=now, audit_actor=actor)
    if moves_status and ticket.status == TicketStatus.WAITING:
        _set_status(changes, TicketStatus.OPEN, check=False)
    elif moves_status and ticket.status == TicketStatus.RESOLVED:
        _set_status(changes, TicketStatus.REOPENED, check=False)
    TicketEvent.objects.create(ticket=ticket, kind=EventKind.CUSTOMER_MESSAGE, actor_label=who[:200], message=message, at=now)
    changes.commit(message=message, touch=True)
    _message_audit(actor, message, ticket, ids)
    _announce_message(ticket, message)
    return message


def get_ticket(pk: Any) -> Ticket:
    try:
        return Ticket.objects.select_related("contact").get(pk=int(pk))
    except (Ticket.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("There is no ticket with id %(id)s.") % {"id": pk}) from None
