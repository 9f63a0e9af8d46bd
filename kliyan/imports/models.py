"""Imports of people and companies from files: the run, its problems, and what it touched.

An `Import` is one uploaded file with its mapping and its progress. Each committed batch
advances `last_row` in the same transaction as the rows it wrote, so after a crash the
run resumes after the last whole batch. `ImportProblem` rows make the validation report;
`ImportedRecord` remembers every record an import created or changed (with the values it
replaced), which is what undo walks. A link table rather than an `import` column on
contacts: it keeps `contacts` unaware of imports, lets one contact be touched by several
imports, and holds the previous values an undo needs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kliyan.imports.choices import (
    COMMERCE_TARGETS, FileFormat, ImportStatus, ImportTarget, MatchReason, OnDuplicate, RecordAction, RecordKind,
)

# A run whose heartbeat is older than this has died (a killed worker or CLI): it may be resumed.
STALE_AFTER = dt.timedelta(minutes=5)
ACTIVE_STATUSES = (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.UNDOING)


def upload_path(instance: "Import", filename: str) -> str:
    """Store uploads under a random name: the original name is kept in the row, never trusted as a path."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Import(models.Model):
    target = models.CharField(_("what the file holds"), max_length=10, choices=ImportTarget.choices, default=ImportTarget.CONTACTS)
    file = models.FileField(_("file"), upload_to=upload_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10, choices=FileFormat.choices)
    file_size = models.BigIntegerField(_("size"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    headers = models.JSONField(_("columns"), default=list, blank=True)
    # Column header → field key ("first_name", "custom:size", or "" to ignore the column).
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    on_duplicate = models.CharField(_("when the record exists"), max_length=10, choices=OnDuplicate.choices, default=OnDuplicate.SKIP)
    # Products and orders: the source system they are filed under (with their SKU or number as the key).
    source = models.CharField(_("source system"), max_length=50, blank=True, default="import")
    dry_run = models.BooleanField(_("dry run"), default=False, help_text=_("The counts are what the import would do."))
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    # Rows the file seems to hold (counted from its line breaks on upload): the progress bar's 100 %.
    rows_estimate = models.PositiveIntegerField(_("rows in the file (estimate)"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    # Why rows were taken for existing records (or earlier rows): match reason → rows (choices.MatchReason).
    matches = models.JSONField(_("matched by"), default=dict, blank=True)
    # The row number (as a spreadsheet shows it) of the last row of the last committed batch.
    last_row = models.PositiveIntegerField(_("last committed row"), default=0)
    error = models.TextField(_("error"), blank=True)
    # Who is running it now: a batch commits only while its runner still holds the import.
    runner = models.CharField(max_length=32, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    undo_cursor = models.BigIntegerField(default=0, editable=False)
    undo_summary = models.JSONField(_("undo summary"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    # The uploaded file is deleted once the import has been idle for KLIYAN_IMPORT_FILE_DAYS
    # (kliyan.imports.retention): it holds customer data the records now keep.
    file_deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="import_recent_idx")]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_interrupted(self) -> bool:
        """Return whether a run stopped without finishing (its process died): it may be resumed."""
        if self.file_deleted_at is not None and self.status != ImportStatus.UNDOING:
            return False  # no file left to read on from (an undo needs none)
        if self.status == ImportStatus.FAILED and self.last_row:
            return True
        if self.status not in ACTIVE_STATUSES:
            return False
        beat = self.heartbeat_at or self.started_at or self.created_at
        return beat is not None and beat < timezone.now() - STALE_AFTER

    @property
    def percent_done(self) -> int:
        """Return how far the run has come, 0 to 100 (99 until it has finished: the total is an estimate)."""
        if self.status in (ImportStatus.DONE, ImportStatus.CHECKED, ImportStatus.UNDONE):
            return 100
        if not self.rows_estimate:
            return 0
        return min(99, self.rows_read * 100 // self.rows_estimate)

    @property
    def match_counts(self) -> list[tuple[str, int]]:
        """Return (reason, rows) for each reason rows were taken for existing records, in a fixed order."""
        matches = self.matches or {}
        return [(str(label), matches[value]) for value, label in MatchReason.choices if matches.get(value)]

    @property
    def is_commerce(self) -> bool:
        """Return whether the file holds products or orders (written through the commerce ingestion, not undone)."""
        return self.target in COMMERCE_TARGETS

    @property
    def can_undo(self) -> bool:
        return (
            self.status in (ImportStatus.DONE, ImportStatus.UNDOING) and not self.dry_run and not self.is_commerce
            and bool(self.created or self.updated)
        )


class ImportProblem(models.Model):
    """One thing wrong with one cell (or a whole row): a line of the validation report."""

    # No index of its own: the (import_run, row, id) index below serves every lookup.
    import_run = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="problems", db_index=False)
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=255, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    message = models.CharField(_("problem"), max_length=500)

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["import_run", "row", "id"], name="importproblem_row_idx")]

    def __str__(self) -> str:
        return f"{self.row} {self.column}: {self.message}"


class ImportedRecord(models.Model):
    """A person or company an import created or changed; `changes` holds what undo restores."""

    # One narrow row per record of a million-row import: only the (import_run, id) index, which
    # undo walks; no separate index on the foreign key.
    import_run = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="records", db_index=False)
    row = models.PositiveIntegerField(_("row"))
    kind = models.CharField(_("kind"), max_length=10, choices=RecordKind.choices)
    object_id = models.BigIntegerField(_("record"))
    action = models.CharField(_("action"), max_length=10, choices=RecordAction.choices)
    # For updates: {"fields": {name: [before, after]}, "custom_fields": {key: [before, after]},
    # "emails": [ids added], "phones": [ids added], "tags": [tag ids added], "address": {...}}.
    changes = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        ordering = ["id"]
        indexes = [models.Index(fields=["import_run", "id"], name="importedrecord_run_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.action}"
