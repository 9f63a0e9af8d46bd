"""A backup made from the Backups page or the API: its file, its progress and its outcome.

The file itself lives in the backup directory (KLIYAN_BACKUP_DIR), not in the database and
not among the uploaded files, so a backup never contains the backups made before it. The
rows of this table are not in a backup either: they describe files on this machine.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kliyan.backup.choices import BackupStatus

# A run whose heartbeat is older than this has died with its worker.
STALE_AFTER = dt.timedelta(minutes=5)
ACTIVE_STATUSES = (BackupStatus.QUEUED, BackupStatus.RUNNING)


class Backup(models.Model):
    status = models.CharField(_("status"), max_length=10, choices=BackupStatus.choices, default=BackupStatus.QUEUED)
    file_name = models.CharField(_("file name"), max_length=120, unique=True)
    size = models.BigIntegerField(_("size"), default=0)
    tables_total = models.PositiveIntegerField(_("tables"), default=0)
    rows_total = models.BigIntegerField(_("records"), default=0)
    rows_done = models.BigIntegerField(_("records written"), default=0)
    media_files = models.PositiveIntegerField(_("files"), default=0)
    current_table = models.CharField(_("table being written"), max_length=120, blank=True)
    kliyan_version = models.CharField(_("Kliyan version"), max_length=40, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="backup_recent_idx")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES and not self.is_interrupted

    @property
    def is_interrupted(self) -> bool:
        """Return whether the run stopped without finishing (its worker died): start another one."""
        if self.status not in ACTIVE_STATUSES:
            return False
        beat = self.heartbeat_at or self.started_at or self.created_at
        return beat < timezone.now() - STALE_AFTER

    @property
    def percent_done(self) -> int:
        """Return how far the run has come, 0 to 100 (99 until the files are copied and the file closed)."""
        if self.status == BackupStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
