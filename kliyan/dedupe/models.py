"""Likely duplicate contacts, found by a background scan, and the scans themselves."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kliyan.contacts.models import Contact
from kliyan.dedupe.choices import PairStatus, ScanPhase, ScanStatus


class DuplicatePair(models.Model):
    """Two contacts that may be the same person; `contact_a` is always the smaller id.

    A pair outlives scans: a new scan updates the score of an open pair and removes the open
    pairs it no longer finds, but a pair somebody marked "not duplicates" stays dismissed,
    whatever later scans find.
    """

    contact_a = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+")
    contact_b = models.ForeignKey(Contact, verbose_name=_("other contact"), on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    # [{"code": "email", "value": "ana@example.org"}, …]: codes from choices.Reason.
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=PairStatus.choices, default=PairStatus.OPEN)
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("duplicate pair")
        verbose_name_plural = _("duplicate pairs")
        ordering = ["-score", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contact_a", "contact_b"], name="dedupe_pair_unique"),
            models.CheckConstraint(condition=Q(contact_a__lt=F("contact_b")), name="dedupe_pair_ordered"),
        ]
        indexes = [
            # The duplicates page: one status, best score first, a page at a time.
            models.Index(fields=["status", "-score", "-id"], name="dedupe_pair_list_idx"),
            models.Index(fields=["contact_b"], name="dedupe_pair_b_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_a_id} ~ {self.contact_b_id} ({self.score})"


class DuplicateScan(models.Model):
    """One run of the duplicate finder over the whole database: who asked, how far it got."""

    status = models.CharField(_("status"), max_length=10, choices=ScanStatus.choices, default=ScanStatus.QUEUED)
    phase = models.CharField(_("step"), max_length=10, choices=ScanPhase.choices, default=ScanPhase.WAITING, blank=True)
    percent = models.PositiveSmallIntegerField(_("progress"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    enqueued_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    contacts = models.PositiveIntegerField(_("contacts compared"), default=0)
    pairs = models.PositiveIntegerField(_("pairs found"), default=0)
    new_pairs = models.PositiveIntegerField(_("new pairs"), default=0)
    # Groups too large to compare one by one (everybody called "Jean Pierre", a shop's phone
    # number on 300 cards): counted here, per kind, so nobody thinks they were compared.
    skipped = models.JSONField(_("groups skipped"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in (ScanStatus.QUEUED, ScanStatus.RUNNING)

    @property
    def skipped_groups(self) -> int:
        return sum(int(n) for n in (self.skipped or {}).values())
