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
from kliyan.service.choices import UNRESOLVED, EventKind, MailStatus, MessageKind, Priority, TicketKind, TicketStatus

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
            models.Index(fields=["first_response_due"], name="ticket_first_due_idx"),
            models.Index(fields=["resolution_due"], name="ticket_resolution_due_idx"),
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
