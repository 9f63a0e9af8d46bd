"""The service desk: tickets, their conversation (replies, customer messages, internal notes),
attachments, the full history of each ticket, and the categories tickets are filed under.

The SLA work fills `first_response_due` / `resolution_due` and computes the time a ticket
waited on the customer from its status history (TicketEvent rows of kind "status"); see
`queries.waiting_intervals`.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kliyan.accounts.models import Team
from kliyan.commerce.models import Product
from kliyan.contacts.models import Company, Contact
from kliyan.core.choices import Channel
from kliyan.service.choices import (
    UNRESOLVED,
    ActionStatus,
    EventKind,
    MailStatus,
    MessageKind,
    Priority,
    ProblemEventKind,
    ProblemStatus,
    SLAEventKind,
    SLATarget,
    TicketKind,
    TicketStatus,
)

REFERENCE_PREFIX = "T-"
REFERENCE_PATTERN = re.compile(r"\bT-(\d{1,12})\b", re.IGNORECASE)


def reference_for(pk: int) -> str:
    """Return the reference customers see for ticket `pk` ("T-000123")."""
    return f"{REFERENCE_PREFIX}{pk:06d}"


def ticket_id_from_reference(text: str) -> int | None:
    """Return the ticket id in "T-000123" (or "t-123"), or None if `text` holds none."""
    match = REFERENCE_PATTERN.search(text or "")
    return int(match.group(1)) if match else None


class TicketCategory(models.Model):
    """A node of the category tree tickets are filed under ("Delivery" › "Late delivery")."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent category"), null=True, blank=True, on_delete=models.PROTECT, related_name="children",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


def default_calendar() -> dict:
    """Monday to Friday, 09:00-17:00 UTC: what a new SLA policy starts from."""
    week = [["09:00", "17:00"]]
    return {"time_zone": "UTC", "weekly_hours": {day: week for day in ("mon", "tue", "wed", "thu", "fri")}, "holidays": []}


# Unresolved tickets, as the partial indexes on them state it (kliyan.service.queries.unresolved).
OPEN_TICKETS = models.Q(status__in=UNRESOLVED)


class SLAPolicy(models.Model):
    """How fast tickets must be answered and resolved, in business time.

    A policy applies to a priority and/or a category (a category's policy also covers its
    subcategories); the most specific active policy wins and the default policy takes the rest
    (see `kliyan.service.sla.policy_for`). `calendar` is `BusinessCalendar.to_dict()`.
    """

    name = models.CharField(_("name"), max_length=120)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    category = models.ForeignKey(
        TicketCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="sla_policies",
    )
    is_default = models.BooleanField(_("default policy"), default=False)
    first_response_within = models.DurationField(_("first response within"))
    resolution_within = models.DurationField(_("resolution within"))
    calendar = models.JSONField(_("business hours"), default=default_calendar)
    warn_at_percent = models.PositiveSmallIntegerField(_("warn when this share is used (%)"), null=True, blank=True)
    warn_minutes_before = models.PositiveIntegerField(_("warn this many business minutes before"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="slapolicy_one_default"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("service:sla_policy_edit", args=[self.pk])


class Ticket(models.Model):
    """A customer's complaint, question or request, followed until it is resolved."""

    kind = models.CharField(_("type"), max_length=12, choices=TicketKind.choices, default=TicketKind.QUESTION)
    subject = models.CharField(_("subject"), max_length=255)
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="tickets")
    company = models.ForeignKey(
        Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
    )
    category = models.ForeignKey(
        TicketCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assigned_tickets",
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    follow_up_of = models.ForeignKey(
        "self", verbose_name=_("follows up"), null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups",
        help_text=_("The closed ticket the customer wrote back about."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A default rather than auto_now_add: tickets brought over from another system keep their date.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Filled by the SLA policies (a later step); the queue's "breaching soon" tab reads them.
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # Set while the ticket waits on the customer; the SLA clock pauses from then.
    waiting_since = models.DateTimeField(_("waiting on the customer since"), null=True, blank=True)
    # The root cause this ticket is one case of (kliyan.service.problems). Mostly empty, so it
    # is indexed only where set (Meta.indexes), which keeps the index small and its statistics true.
    problem = models.ForeignKey(
        "Problem", verbose_name=_("problem"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
        db_index=False,
    )
    # The subject and the customer's first message, folded (kliyan.service.ticket_search): the
    # full-text index that finds similar tickets reads this column.
    search_text = models.TextField(editable=False, blank=True, default="")
    # The policy the due times were computed with, and when to warn before each runs out
    # (precomputed so the escalation job is one indexed query, not arithmetic per ticket).
    sla_policy = models.ForeignKey(
        SLAPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
    )
    first_response_warn_at = models.DateTimeField(_("first response warning at"), null=True, blank=True)
    resolution_warn_at = models.DateTimeField(_("resolution warning at"), null=True, blank=True)
    # Business time (seconds, pauses left out) it took to answer and to resolve, fixed when it
    # happens: the reports take medians of these without redoing calendar arithmetic.
    first_response_business_seconds = models.PositiveBigIntegerField(_("business time to first response (s)"), null=True, blank=True)
    resolution_business_seconds = models.PositiveBigIntegerField(_("business time to resolution (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="ticket_status_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_idx"),
            models.Index(fields=["team", "status"], name="ticket_team_idx"),
            models.Index(fields=["contact", "-created_at"], name="ticket_contact_idx"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated_idx"),
            models.Index(fields=["problem"], condition=models.Q(problem__isnull=False), name="ticket_problem_idx"),
            # Known issues count the unresolved tickets of a category or product (known_issues.py).
            models.Index(fields=["category", "status"], name="ticket_category_status_idx"),
            models.Index(fields=["product", "status"], name="ticket_product_status_idx"),
            # The queue's tabs and counts and the SLA sweep read only unresolved tickets (about one
            # in ten): partial indexes hold just those, in the queue's order (queries.unresolved).
            models.Index(fields=["assignee", "created_at", "id"], condition=OPEN_TICKETS, name="ticket_open_assignee_idx"),
            models.Index(fields=["team", "created_at", "id"], condition=OPEN_TICKETS, name="ticket_open_team_idx"),
            models.Index(
                fields=["created_at", "id", "status", "assignee", "team", "first_response_due", "first_responded_at",
                        "resolution_due", "first_response_warn_at", "resolution_warn_at"],
                condition=OPEN_TICKETS, name="ticket_open_sla_idx",
            ),
            models.Index(fields=["created_at", "id"], name="ticket_created_idx"),
            # The "ticket resolved" automation reads the tickets resolved since its last run.
            models.Index(fields=["resolved_at"], condition=models.Q(resolved_at__isnull=False), name="ticket_resolved_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("service:ticket_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return reference_for(self.pk) if self.pk else ""

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED


class TicketMessage(models.Model):
    """One message of a ticket: the customer's, an agent's public reply, or an internal note.

    Internal notes (kind "note") are for staff only: nothing customer-facing ever shows them.
    `message_id` is the e-mail Message-ID (ours for replies, the sender's for incoming mail);
    it is unique, so the same e-mail fed in twice is stored once, and replies thread back.
    """

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("type"), max_length=10, choices=MessageKind.choices)
    body = models.TextField(_("message"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    from_name = models.CharField(_("from (name)"), max_length=200, blank=True)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    to_address = models.CharField(_("to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    # NULL, not "", when there is none: a unique index lets any number of NULLs through.
    message_id = models.CharField(_("Message-ID"), max_length=255, null=True, blank=True, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    references = models.TextField(_("References"), blank=True)
    mail_status = models.CharField(_("e-mail"), max_length=10, choices=MailStatus.choices, blank=True)
    mail_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    mail_next_attempt_at = models.DateTimeField(_("next e-mail attempt"), null=True, blank=True)
    mail_sent_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    mail_error = models.CharField(_("e-mail error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="ticketmessage_ticket_idx"),
            models.Index(fields=["mail_status", "mail_next_attempt_at"], name="ticketmessage_outbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_internal(self) -> bool:
        return self.kind == MessageKind.NOTE


def attachment_path(instance: TicketAttachment, filename: str) -> str:
    """Store every file under a random name: the original name is kept in the row, not in the path."""
    now = timezone.now()
    return f"service/attachments/{now:%Y/%m}/{uuid.uuid4().hex}"


class TicketAttachment(models.Model):
    """A file on a ticket (uploaded by staff or received by e-mail), downloadable by who may see the ticket."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, verbose_name=_("message"), null=True, blank=True, on_delete=models.CASCADE, related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("service:attachment_download", args=[self.pk])


class TicketEvent(models.Model):
    """One line of a ticket's history: who changed what, from what, to what, and when.

    `old_value`/`new_value` hold the raw values (a status, a user id); `old_label` and
    `new_label` the names at the time for what can be renamed later (users, categories).
    """

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    actor_label = models.CharField(_("who"), max_length=200, blank=True)
    old_value = models.CharField(_("before"), max_length=255, blank=True)
    new_value = models.CharField(_("after"), max_length=255, blank=True)
    old_label = models.CharField(max_length=255, blank=True)
    new_label = models.CharField(max_length=255, blank=True)
    message = models.ForeignKey(TicketMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at", "id"], name="ticketevent_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.old_value} → {self.new_value}"


class SLAEvent(models.Model):
    """A warning or breach notice sent for a ticket's SLA target: at most one per (ticket, target, kind).

    The row is the claim: the escalation job inserts it in the same transaction as the history
    entry and the queued e-mails, so two workers (or a restarted one) never notify twice.
    """

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="sla_events")
    target = models.CharField(_("target"), max_length=20, choices=SLATarget.choices)
    kind = models.CharField(_("type"), max_length=10, choices=SLAEventKind.choices)
    due = models.DateTimeField(_("due"), null=True, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    # Set once the notice's e-mails have left, so a task run twice does not send them again.
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "kind"], name="slaevent_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.kind}"


# --- Problems: the root cause behind many tickets, and the plan to fix it -----------------

PROBLEM_REFERENCE_PREFIX = "P-"


class Problem(models.Model):
    """A root cause many tickets share ("the MonCash payments fail since the update").

    While it is not resolved or closed it is a *known issue*: every page that shows a ticket or
    a contact with the same category or product tells the agent about it, with `customer_message`
    (what to tell the customer). A problem without category and product is shown only with its
    linked tickets. The action plan is its CorrectiveAction rows; it closes only when each of
    them is done and checked to have worked (kliyan.service.problems).
    """

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    category = models.ForeignKey(
        TicketCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="problems",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL, related_name="problems",
    )
    customer_message = models.TextField(
        _("what to tell the customer"), blank=True,
        help_text=_("In your own words, what agents say to a customer who has this problem."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_problems",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Title, description and root cause folded: what similar-ticket suggestions compare with.
    search_text = models.TextField(editable=False, blank=True, default="")

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at", "id"], name="problem_status_idx")]

    def __str__(self) -> str:
        return f"{self.reference} · {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("service:problem_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return problem_reference(self.pk) if self.pk else ""


def problem_reference(pk: int) -> str:
    """Return the reference staff see for problem `pk` ("P-000012")."""
    return f"{PROBLEM_REFERENCE_PREFIX}{pk:06d}"


class CorrectiveAction(models.Model):
    """One step of a problem's action plan: what, who, by when, where it stands, and whether it worked.

    `verified` is the check that it worked: None until someone checks, True if it did,
    False if it did not (then the plan needs another action, and the problem cannot close).
    """

    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("what"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="corrective_actions",
    )
    due_date = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.TODO)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    verified = models.BooleanField(_("did it work?"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    verified_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    verification_note = models.TextField(_("how it was checked"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def settled(self) -> bool:
        """Whether this action no longer stands in the way of closing its problem."""
        return self.status == ActionStatus.DONE and self.verified is True


class ProblemEvent(models.Model):
    """One line of a problem's history. Labels are stored as they were (no joins to read it);
    a ticket is named by its reference only, so an erased customer leaves nothing here."""

    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=20, choices=ProblemEventKind.choices)
    field = models.CharField(_("field"), max_length=40, blank=True)
    old_value = models.CharField(_("before"), max_length=255, blank=True)
    new_value = models.CharField(_("after"), max_length=255, blank=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    action = models.ForeignKey(CorrectiveAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    actor_label = models.CharField(_("who"), max_length=200, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("problem event")
        verbose_name_plural = _("problem events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["problem", "at", "id"], name="problemevent_problem_idx")]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.kind} {self.field}"


class TicketArticle(models.Model):
    """A knowledge-base article linked to a ticket (an answer the agent used or sent).

    `article_id` is the knowledge app's article id, not a foreign key: the service desk reads
    articles only through `kliyan.knowledge.queries` (ids are stable, slugs are not), and an
    article deleted later simply drops out of the ticket's list.
    """

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="article_links")
    article_id = models.PositiveBigIntegerField(_("article"))
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        verbose_name = _("linked article")
        verbose_name_plural = _("linked articles")
        ordering = ["linked_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "article_id"], name="ticketarticle_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.article_id}"
