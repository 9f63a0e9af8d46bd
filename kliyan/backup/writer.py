"""Write a backup: every table in primary-key order, streamed, from one consistent snapshot; then the files.

Memory stays flat whatever the size of the database: rows are read a chunk at a time
(a server-side cursor on PostgreSQL) and written to the ZIP as they come.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.core.files.storage import Storage, default_storage
from django.db import connection, transaction
from django.utils import timezone

from kliyan.backup import format as fmt
from kliyan.backup import media
from kliyan.backup.progress import Progress, ProgressCallback, ignore
from kliyan.backup.schema import SKIPPED_MODELS, TablePlan, current_state, table_plans

CHUNK_ROWS = 2000


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Read every table as of one moment, without holding up the people writing meanwhile.

    PostgreSQL: a REPEATABLE READ, READ ONLY transaction. SQLite: a plain (deferred) read
    transaction, which in WAL mode sees one snapshot while others write; Django's own
    transactions would take the write lock (BEGIN IMMEDIATE). Inside a caller's
    transaction (tests, a task run in a request) that transaction is the snapshot.
    """
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Read through the page cache, not the memory map: mapped pages count as this
            # process's memory, which would grow with the database file.
            cursor.execute("PRAGMA mmap_size")
            row = cursor.fetchone()
            cursor.execute("PRAGMA mmap_size=0")
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
                if row is not None:
                    cursor.execute(f"PRAGMA mmap_size={int(row[0])}")
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _rows(plan: TablePlan) -> Iterator[tuple[Any, ...]]:
    queryset = plan.model._base_manager.order_by("pk").values_list(*[f.attname for f in plan.fields])
    return queryset.iterator(chunk_size=CHUNK_ROWS)


def _write_table(archive: zipfile.ZipFile, plan: TablePlan, progress: Progress, report: ProgressCallback) -> dict[str, Any]:
    columns = plan.columns
    encoders = [fmt.encoder(f) for f in plan.fields]
    digest = hashlib.sha256()
    count = 0
    buffer: list[bytes] = []
    with archive.open(fmt.member(plan.member), "w", force_zip64=True) as out:
        for values in _rows(plan):
            buffer.append(fmt.row_line(columns, encoders, values))
            count += 1
            if len(buffer) >= CHUNK_ROWS:
                chunk = b"".join(buffer)
                digest.update(chunk)
                out.write(chunk)
                buffer = []
                progress.rows_done += CHUNK_ROWS
                progress.table_rows = count
                report(progress)
        chunk = b"".join(buffer)
        digest.update(chunk)
        out.write(chunk)
    progress.rows_done += len(buffer)
    progress.table_rows = count
    return {"model": plan.label, "table": plan.table, "member": plan.member, "columns": columns, "rows": count,
            "sha256": digest.hexdigest()}


def write_backup(
    target: str | Path | IO[bytes], *, on_progress: ProgressCallback = ignore, storage: Storage | None = None,
    exclude: Path | None = None,
) -> dict[str, Any]:
    """Write the whole database and the stored files to `target`; return the manifest.

    `exclude` is a directory whose files are left out (the backup directory, should it lie
    among the stored files).
    """
    state = current_state(connection)
    plans = table_plans(state.apps())
    progress = Progress(tables_total=len(plans))
    created_at = timezone.now()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with read_snapshot():
            counts = {p.label: p.model._base_manager.count() for p in plans}
            progress.rows_total = sum(counts.values())
            tables = []
            for plan in plans:
                progress.table, progress.table_rows, progress.table_rows_total = plan.label, 0, counts[plan.label]
                progress.stage = "table"
                on_progress(progress)
                tables.append(_write_table(archive, plan, progress, on_progress))
                progress.tables_done += 1
                progress.stage = "table_done"
                on_progress(progress)
        files = media.write_media(archive, storage or default_storage, progress=progress, on_progress=on_progress, exclude=exclude)
        manifest = {
            "format": fmt.FORMAT_NAME,
            "format_version": fmt.FORMAT_VERSION,
            "kliyan_version": fmt.kliyan_version(),
            "created_at": created_at.isoformat(),
            "database": {"vendor": connection.vendor, "version": _server_version()},
            "migrations": state.migrations,
            "tables": tables,
            "skipped": sorted(SKIPPED_MODELS),
            "media": files,
        }
        archive.writestr(fmt.member(fmt.MANIFEST), json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def _server_version() -> str:
    if connection.vendor == "sqlite":
        return connection.Database.sqlite_version
    number = getattr(connection, "pg_version", None)
    return f"{number // 10000}.{number % 10000}" if number else ""
