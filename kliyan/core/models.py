"""Organisation settings and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kliyan.core.choices import Country, Currency, Language

ORGANISATION_CACHE_KEY = "kliyan:organisation:v1"


class Organisation(models.Model):
    """The one organisation this installation serves (a singleton row, pk=1)."""

    name = models.CharField(_("name"), max_length=200, default="Kliyan")
    country = models.CharField(
        _("country"), max_length=2, choices=Country.choices, default=Country.HT,
        help_text=_("Phone numbers typed without a country code are read as from this country."),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.HTG)
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Port-au-Prince")
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)
        from kliyan.core.organisation import clear_organisation_cache

        clear_organisation_cache()


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    ARCHIVE = "archive", _("archived")
    RESTORE = "restore", _("restored")
    DELETE = "delete", _("deleted")
    LOGIN = "login", _("logged in")
    LOGIN_FAILED = "login_failed", _("failed to log in")
    LOGOUT = "logout", _("logged out")
    EXPORT = "export", _("exported")
    MERGE = "merge", _("merged")


class AuditEntry(models.Model):
    """One change to customer data (or one sign-in event): who, when, before and after.

    `contact_id` is a plain integer, not a foreign key, so entries outlive the contact
    and any app can file entries against a contact without importing `contacts`.
    """

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    actor_label = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=255, blank=True)
    contact_id = models.BigIntegerField(_("contact"), null=True, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    via = models.CharField(_("via"), max_length=20, blank=True, help_text=_("web, api, cli or task"))

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["contact_id", "-at"], name="audit_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """Return (field, before, after) for every field whose value differs."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class IdempotencyRecord(models.Model):
    """The stored answer to a POST sent with an Idempotency-Key, replayed on retry."""

    principal = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class ScheduledRun(models.Model):
    """One slot of a periodic job that has been enqueued (see core.schedule).

    The unique (job, slot) pair is the lock: every worker tries to insert the row for the
    slot that just came due, and only the one whose insert wins enqueues the task, so a
    slot runs once however many workers tick and however often they restart.
    """

    job = models.CharField(max_length=100)
    slot = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="scheduledrun_unique_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"
