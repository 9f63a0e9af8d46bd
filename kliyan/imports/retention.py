"""Delete the files of imports nobody needs any more: an upload is customer data the records now hold.

An import's file is read to preview the mapping, to run, and to resume an interrupted run.
Once an import has not been used for `settings.IMPORT_FILE_DAYS` (uploaded, checked, done,
undone or failed that long ago) its file is deleted; the import stays, with its counts, its
report of problems and its links to the records it wrote, so it can still be undone. A run in
progress is never touched. The schedule calls `purge_import_files` every night.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from kliyan.core.audit import record
from kliyan.core.models import AuditAction
from kliyan.imports.models import ACTIVE_STATUSES, Import


def purge_import_files(*, now: dt.datetime | None = None) -> int:
    """Delete the stored file of every import idle for IMPORT_FILE_DAYS; return how many were deleted."""
    days = settings.IMPORT_FILE_DAYS
    if days <= 0:
        return 0
    now = now or timezone.now()
    idle = (
        Import.objects.filter(file_deleted_at__isnull=True).exclude(status__in=ACTIVE_STATUSES)
        .annotate(last_used=Greatest("created_at", Coalesce("finished_at", "created_at"), Coalesce("undone_at", "created_at")))
        .filter(last_used__lt=now - dt.timedelta(days=days))
    )
    deleted = 0
    for import_ in list(idle):  # a few hundred imports at most; read whole before writing to the same table
        with transaction.atomic():
            # Claimed first: a resume or a start racing this sees the file gone, never half of it.
            if not Import.objects.filter(pk=import_.pk, file_deleted_at__isnull=True).exclude(status__in=ACTIVE_STATUSES).update(
                file="", file_deleted_at=now,
            ):
                continue
            if import_.file.name:
                import_.file.storage.delete(import_.file.name)
            record(actor=None, action=AuditAction.DELETE, instance=import_, label=import_.original_name,
                   before={"file": import_.original_name}, after={"file": None, "kept_days": days})
        deleted += 1
    return deleted
