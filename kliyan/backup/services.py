"""Backups made from the page or the API: start one, run it in the background, hand its file over.

The file is written under a temporary name and renamed when complete, so a half-written
file is never listed or downloaded. While the run reads the database in one snapshot,
its progress is written through a second connection: the snapshot's own connection
holds a read-only transaction (PostgreSQL) or a read lock it must not turn into a write
lock (SQLite).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.backup import format as fmt
from kliyan.backup.choices import BackupStatus
from kliyan.backup.errors import BackupRunning
from kliyan.backup.models import ACTIVE_STATUSES, STALE_AFTER, Backup
from kliyan.backup.progress import Progress
from kliyan.backup.writer import write_backup
from kliyan.core.audit import record
from kliyan.core.errors import NotFound
from kliyan.core.models import AuditAction

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0
PARTIAL_SUFFIX = ".partial"


def backup_dir() -> Path:
    """Return the directory backup files are kept in, creating it."""
    path = Path(settings.KLIYAN_BACKUP_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def backup_path(backup: Backup) -> Path:
    return backup_dir() / backup.file_name


def open_private(path: Path) -> Any:
    """Open `path` for writing, readable by this system user only: a backup holds every password hash."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file left by an earlier run keeps its mode otherwise
    return os.fdopen(descriptor, "wb")


def get_backup(pk: Any) -> Backup:
    try:
        return Backup.objects.select_related("created_by").get(pk=int(pk))
    except (Backup.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("There is no backup with id %(id)s.") % {"id": pk}) from None


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _file_name(now: Any) -> str:
    return f"kliyan-backup-{now:%Y%m%d-%H%M%S}-{os.urandom(3).hex()}{fmt.FILE_SUFFIX}"


@transaction.atomic
def backup_start(*, actor: Any, enqueue: bool = True) -> Backup:
    """Queue a backup of the whole database and the stored files; refuse while another one runs."""
    fresh = timezone.now() - STALE_AFTER
    running = Backup.objects.select_for_update().filter(status__in=ACTIVE_STATUSES, heartbeat_at__gte=fresh)
    if list(running.values_list("pk", flat=True)):
        raise BackupRunning()
    now = timezone.now()
    backup = Backup.objects.create(file_name=_file_name(now), created_by=_user(actor), created_at=now, heartbeat_at=now,
                                   kliyan_version=fmt.kliyan_version())
    record(actor=actor, action=AuditAction.CREATE, instance=backup, after={"file": backup.file_name})
    if enqueue:
        from kliyan.backup.tasks import run_backup_task

        pk = backup.pk
        transaction.on_commit(lambda: run_backup_task.enqueue(pk))
    return backup


class _ProgressWriter:
    """Write a run's progress at most once a second, on a connection of its own when the run's is busy reading."""

    COLUMNS = ("rows_total", "rows_done", "tables_total", "current_table", "heartbeat_at")

    def __init__(self, backup_id: int) -> None:
        self.backup_id = backup_id
        self.last = 0.0
        # In a caller's transaction (a test, a task run in a request) the reading uses that
        # transaction and the progress goes with it; otherwise a second connection.
        self.side = None if connection.in_atomic_block else connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, progress: Progress, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = now
        values = [progress.rows_total, progress.rows_done, progress.tables_total, progress.table[:120], timezone.now()]
        if self.side is None:
            Backup.objects.filter(pk=self.backup_id).update(**dict(zip(self.COLUMNS, values, strict=True)))
            return
        quote = self.side.ops.quote_name
        assignments = ", ".join(f"{quote(c)} = %s" for c in self.COLUMNS)
        values[-1] = self.side.ops.adapt_datetimefield_value(values[-1])
        try:
            with self.side.cursor() as cursor:
                cursor.execute(f"UPDATE {quote(Backup._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s",
                               [*values, self.backup_id])
        except Exception:  # the progress bar may lag; the backup must not fail for it
            logger.warning("Could not record the progress of backup %s", self.backup_id, exc_info=True)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def run_backup(*, backup_id: int) -> Backup:
    """Write the queued backup's file; return the backup as it ends. A backup already taken does nothing."""
    now = timezone.now()
    if not Backup.objects.filter(pk=backup_id, status=BackupStatus.QUEUED).update(
        status=BackupStatus.RUNNING, started_at=now, heartbeat_at=now,
    ):
        return get_backup(backup_id)
    backup = get_backup(backup_id)
    final = backup_path(backup)
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    writer = _ProgressWriter(backup.pk)
    try:
        with open_private(partial) as out:
            manifest = write_backup(out, on_progress=writer, exclude=backup_dir())
        os.replace(partial, final)
    except Exception as error:
        logger.exception("Backup %s failed", backup_id)
        partial.unlink(missing_ok=True)
        Backup.objects.filter(pk=backup_id).update(
            status=BackupStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now(),
        )
        return get_backup(backup_id)
    finally:
        writer.close()
    rows = sum(t["rows"] for t in manifest["tables"])
    Backup.objects.filter(pk=backup_id).update(
        status=BackupStatus.DONE, size=final.stat().st_size, tables_total=len(manifest["tables"]), rows_total=rows,
        rows_done=rows, media_files=manifest["media"]["files"], current_table="", finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    return get_backup(backup_id)


def backup_file_for_download(*, actor: Any, backup: Backup) -> Path:
    """Return the backup's file for `actor` to download, writing the audit entry of the export."""
    if backup.status != BackupStatus.DONE:
        raise NotFound(_("This backup has no file: it is not finished."), code="not_finished")
    path = backup_path(backup)
    if not path.is_file():
        raise NotFound(_("The file of this backup is no longer in the backup directory."), code="file_missing")
    record(actor=actor, action=AuditAction.EXPORT, instance=backup, after={"file": backup.file_name, "size": backup.size})
    return path


def backup_write_file(*, actor: Any, path: Path, on_progress: Any) -> dict[str, Any]:
    """Write a backup to `path` from the command line (refusing to overwrite a file); audit the export."""
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    try:
        with open_private(partial) as out:
            manifest = write_backup(out, on_progress=on_progress, exclude=backup_dir())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    record(actor=actor, action=AuditAction.EXPORT, object_type_label="backup.file", label=path.name, after={
        "file": str(path), "tables": len(manifest["tables"]), "records": sum(t["rows"] for t in manifest["tables"]),
        "files": manifest["media"]["files"],
    })
    return manifest
