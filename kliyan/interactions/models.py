"""The timeline's own entries: interactions through every channel, notes and follow-up tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kliyan.contacts.models import ArchivableQuerySet, Company, Contact, Interest
from kliyan.core.choices import Channel
from kliyan.interactions.choices import Direction, Outcome, TaskStatus


class Interaction(models.Model):
    """One contact with a customer: when, how, who, what they asked and what they were told."""

    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="interactions")
    company = models.ForeignKey(Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    occurred_at = models.DateTimeField(_("when"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="interactions",
    )
    question = models.TextField(_("what the customer asked"), blank=True)
    answer = models.TextField(_("answer given"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    # What the customer showed interest in during this contact ("asked about school bags"): the
    # contact gains these interests too, and segments can ask who showed one in the last N days.
    interests = models.ManyToManyField(Interest, verbose_name=_("interests shown"), blank=True, related_name="interactions")
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-occurred_at", "-id"], name="interaction_contact_idx"),
            models.Index(fields=["updated_at", "id"], name="interaction_updated_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=~models.Q(external_id=""), name="interaction_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.occurred_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("contacts:contact_detail", args=[self.contact_id]) + f"#interaction-{self.pk}"


class Note(models.Model):
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="timeline_notes")
    body = models.TextField(_("note"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "-created_at", "-id"], name="note_contact_idx")]

    def __str__(self) -> str:
        return self.body[:60]


class Task(models.Model):
    """A follow-up: something a staff member must do by a date, with an optional reminder."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    company = models.ForeignKey(Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    interaction = models.ForeignKey(
        Interaction, verbose_name=_("interaction"), null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="tasks",
    )
    due_date = models.DateField(_("due date"))
    remind_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_date"], name="task_assignee_idx"),
            models.Index(fields=["contact", "-created_at"], name="task_contact_idx"),
            models.Index(fields=["status", "remind_at"], name="task_reminder_idx"),
            models.Index(fields=["updated_at", "id"], name="task_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN
