"""Choices of the service desk: what a ticket is, how urgent, where it stands."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
    # Its own context: the invoices' "Open" agrees with a feminine noun in French and Romanian.
    OPEN = "open", pgettext_lazy("ticket status", "Open")
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
    SLA_POLICY = "sla_policy", _("SLA policy")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    PROBLEM = "problem", _("Problem")
    ARTICLE = "article", _("Knowledge article")


class SLATarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class SLAEventKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")


class SLAState(models.TextChoices):
    """Where a ticket stands against one SLA target (shown on the ticket page and in the queue)."""

    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    PAUSED = "paused", _("Paused")


class ProblemStatus(models.TextChoices):
    """Where a problem (the root cause behind many tickets) stands."""

    OPEN = "open", _("Open")
    INVESTIGATING = "investigating", _("Investigating")
    FIXING = "fixing", _("Fix in progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# A problem in one of these is a "known issue": agents are told about it wherever it matters.
PROBLEM_OPEN = (ProblemStatus.OPEN, ProblemStatus.INVESTIGATING, ProblemStatus.FIXING)
_PROBLEM_ACTIVE = set(PROBLEM_OPEN)

# A closed problem is final (the same fault coming back is a new problem, linked in its
# description); a resolved one may still be reopened while its fix is checked.
PROBLEM_TRANSITIONS: dict[str, frozenset[str]] = {
    **{status: frozenset((_PROBLEM_ACTIVE | {ProblemStatus.RESOLVED, ProblemStatus.CLOSED}) - {status}) for status in PROBLEM_OPEN},
    ProblemStatus.RESOLVED: frozenset(_PROBLEM_ACTIVE | {ProblemStatus.CLOSED}),
    ProblemStatus.CLOSED: frozenset(),
}


def problem_transitions(status: str) -> list[str]:
    """Return the statuses a problem in `status` may move to, in the order of ProblemStatus."""
    targets = PROBLEM_TRANSITIONS.get(status, frozenset())
    return [value for value in ProblemStatus.values if value in targets]


class ActionStatus(models.TextChoices):
    """Where one corrective action of a problem's plan stands."""

    TODO = "todo", _("To do")
    DOING = "doing", _("In progress")
    DONE = "done", _("Done")


class ProblemEventKind(models.TextChoices):
    CREATED = "created", _("Problem recorded")
    CHANGED = "changed", _("Changed")
    STATUS = "status", _("Status")
    TICKET_LINKED = "ticket_linked", _("Ticket linked")
    TICKET_UNLINKED = "ticket_unlinked", _("Ticket unlinked")
    ACTION_ADDED = "action_added", _("Action added")
    ACTION_CHANGED = "action_changed", _("Action changed")
    ACTION_VERIFIED = "action_verified", _("Action checked")
