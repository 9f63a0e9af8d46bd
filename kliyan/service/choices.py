"""Choices of the service desk: what a ticket is, how urgent, where it stands."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    QUESTION = "question", _("Question")
    REQUEST = "request", _("Request")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


# A ticket in one of these still needs work (the queue's "open" tickets).
UNRESOLVED = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.REOPENED)
_WORKING = {TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED}

# Where each status may go. A closed ticket is final: the customer's next message opens a
# new ticket that follows it up, so the closed conversation and its figures stay as they were.
TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset(_WORKING),
    TicketStatus.OPEN: frozenset(_WORKING - {TicketStatus.OPEN}),
    TicketStatus.WAITING: frozenset(_WORKING - {TicketStatus.WAITING}),
    TicketStatus.REOPENED: frozenset(_WORKING),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.REOPENED}),
    TicketStatus.CLOSED: frozenset(),
}


def allowed_transitions(status: str) -> list[str]:
    """Return the statuses a ticket in `status` may move to, in the order of TicketStatus."""
    targets = TRANSITIONS.get(status, frozenset())
    return [value for value in TicketStatus.values if value in targets]


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("From the customer")
    REPLY = "reply", _("Reply to the customer")
    NOTE = "note", _("Internal note")


class MailStatus(models.TextChoices):
    """Where an agent's reply stands on its way out by e-mail (the outbox)."""

    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Not sent")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status", _("Status")
    ASSIGNEE = "assignee", _("Assignee")
    TEAM = "team", _("Team")
    PRIORITY = "priority", _("Priority")
    CATEGORY = "category", _("Category")
    PRODUCT = "product", _("Product")
    KIND = "kind", _("Type")
    SUBJECT = "subject", _("Subject")
    CUSTOMER_MESSAGE = "customer_message", _("Customer wrote")
    REPLY = "reply", _("Reply sent")
    NOTE = "note", _("Internal note")
    ATTACHMENT = "attachment", _("Attachment")
