"""Restore a backup into an empty database: migrate it to the backup's state, load every table, check, migrate on.

The load is one transaction. Any error (a damaged file, a record the database refuses)
rolls it back: the database is left with its tables and no records, and the restore can be
run again. Tables load in dependency order a batch at a time (COPY on PostgreSQL, with
foreign keys checked as each batch ends, so PostgreSQL queues nothing for the commit);
a key that points forward (a category under a newer one) is set once its table is loaded.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.apps import apps as current_apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import Storage, default_storage
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils.translation import gettext as _

from kliyan.backup import format as fmt
from kliyan.backup import media
from kliyan.backup.errors import BackupDamaged, BackupRefused
from kliyan.backup.progress import Progress, ProgressCallback, ignore
from kliyan.backup.schema import (
    CREATED_BY_MIGRATE,
    MIGRATE_TABLES,
    SchemaState,
    TablePlan,
    migrate_to,
    state_of_backup,
    table_plans,
)
from kliyan.core.audit import record
from kliyan.core.models import AuditAction

BATCH_ROWS = 5000
INTEGER_KEYS = frozenset({"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                          "PositiveIntegerField", "PositiveBigIntegerField"})
# Errors of a damaged file, met while reading a member: cut short, changed bytes, bad JSON.
DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError, TypeError)


@dataclass
class RestoreSummary:
    tables: int
    rows: int
    files: int
    migrated_forward: bool
    manifest: dict[str, Any]


@dataclass
class _Pending:
    """Forward-pointing keys set after the tables are loaded: (table, column, key column) → [(value, pk)]."""

    updates: dict[tuple[str, str, str], list[tuple[Any, Any]]]

    def add(self, plan: TablePlan, column: str, value: Any, pk: Any) -> None:
        self.updates[(plan.table, column, plan.pk_column)].append((value, pk))


def busy_tables() -> list[str]:
    """Return the tables of this installation that hold records (those `migrate` fills itself aside)."""
    existing = set(connection.introspection.table_names())
    known = {m._meta.db_table for m in current_apps.get_models(include_auto_created=True)}
    quote = connection.ops.quote_name
    busy = []
    with connection.cursor() as cursor:
        for table in sorted((existing & known) - MIGRATE_TABLES):
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")
            if cursor.fetchone():
                busy.append(table)
    return busy


def check_empty() -> None:
    busy = busy_tables()
    if busy:
        shown = ", ".join(busy[:5]) + (" …" if len(busy) > 5 else "")
        raise BackupRefused(
            _("The database is not empty (%(tables)s hold records). Restore into a new, empty database: create one "
              "(PostgreSQL: createdb) or point KLIYAN_DATA_DIR at a new directory (SQLite), then restore again.")
            % {"tables": shown},
            code="not_empty",
        )


def _plans(state: SchemaState, manifest: dict[str, Any]) -> list[tuple[TablePlan, dict[str, Any]]]:
    """Pair each table of the backup's schema with its entry in the manifest, in load order."""
    plans = {p.label: p for p in table_plans(state.apps())}
    entries: dict[str, dict[str, Any]] = {}
    for entry in manifest["tables"]:
        plan = plans.get(entry["model"])
        if plan is None or plan.table != entry["table"] or set(entry["columns"]) != set(plan.columns):
            raise BackupDamaged(
                _("The table %(table)s in the backup does not match the database schema the backup records.")
                % {"table": entry.get("table")},
                code="damaged",
            )
        entries[plan.label] = entry
    return [(plan, entries[label]) for label, plan in plans.items() if label in entries]


def _inserter(table: str, columns: list[str]) -> Callable[[list[list[Any]]], None]:
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    if connection.vendor == "postgresql":
        statement = f"COPY {quote(table)} ({names}) FROM STDIN"

        def copy(rows: list[list[Any]]) -> None:
            with connection.cursor() as cursor, cursor.cursor.copy(statement) as out:
                for row in rows:
                    out.write_row(row)

        return copy
    insert = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"

    def execute_many(rows: list[list[Any]]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(insert, rows)

    return execute_many


def _lines(archive: zipfile.ZipFile, entry: dict[str, Any]) -> Iterator[bytes]:
    """Yield the member's lines, then check them against the manifest's count and SHA-256."""
    digest = hashlib.sha256()
    count = 0
    with archive.open(entry["member"]) as member:
        for line in member:
            digest.update(line)
            count += 1
            yield line
    if count != entry["rows"] or digest.hexdigest() != entry["sha256"]:
        raise BackupDamaged(
            _("The records of %(table)s do not match the backup's manifest: the file has been changed or damaged.")
            % {"table": entry["table"]},
            code="damaged",
        )


def _load_table(
    archive: zipfile.ZipFile, plan: TablePlan, entry: dict[str, Any], pending: _Pending, progress: Progress,
    on_progress: ProgressCallback,
) -> int:
    database = connections[DEFAULT_DB_ALIAS]
    columns: list[str] = entry["columns"]
    fields = {f.column: f for f in plan.fields}
    converting = [
        (at, convert, fmt.stored_null(fields[column], database))
        for at, column in enumerate(columns) if (convert := fmt.loader(fields[column], database)) is not None
    ]
    to_db = {at: convert for at, convert, _null in converting}
    pk_at = columns.index(plan.pk_column)
    integer_pk = fmt.value_kind(fields[plan.pk_column]) in INTEGER_KEYS
    # Keys that may point at a row not loaded yet: set to NULL now, to their value afterwards.
    waiting = [(columns.index(k.column), k) for k in plan.deferred if k.nullable]
    insert = _inserter(plan.table, columns)
    loads = json.loads
    batch: list[list[Any]] = []
    count = 0
    for line in _lines(archive, entry):
        row = loads(line)
        values = [row[c] for c in columns]
        for at, key in waiting:
            value = values[at]
            if value is not None and (not key.self_reference or not integer_pk or value > values[pk_at]):
                pk = values[pk_at]
                pending.add(plan, key.column, to_db[at](value) if at in to_db else value,
                            to_db[pk_at](pk) if pk_at in to_db else pk)
                values[at] = None
        for at, convert, null in converting:
            value = values[at]
            values[at] = null if value is None else convert(value)
        batch.append(values)
        count += 1
        if len(batch) >= BATCH_ROWS:
            insert(batch)
            progress.rows_done += len(batch)
            progress.table_rows = count
            on_progress(progress)
            batch = []
    if batch:
        insert(batch)
        progress.rows_done += len(batch)
    progress.table_rows = count
    return count


def _set_pending(pending: _Pending) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for (table, column, pk_column), pairs in pending.updates.items():
            statement = f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE {quote(pk_column)} = %s"
            for start in range(0, len(pairs), BATCH_ROWS):
                cursor.executemany(statement, pairs[start:start + BATCH_ROWS])


def _clear_rows_made_by_migrate(plans: list[tuple[TablePlan, dict[str, Any]]]) -> None:
    tables = {plan.label: plan.table for plan, _entry in plans}
    with connection.cursor() as cursor:
        for label in CREATED_BY_MIGRATE:
            if label in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(tables[label])}")


def rebuild_search_indexes() -> list[str]:
    """Rebuild SQLite's full-text tables from the tables they index; return their names.

    They are derived data, filled by triggers as rows arrive; rebuilding makes them right
    whatever the triggers did. PostgreSQL's GIN indexes need nothing.
    """
    if connection.vendor != "sqlite":
        return []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")
        names = [name for name, sql in cursor.fetchall() if "fts5" in sql.lower()]
        for name in names:
            cursor.execute(f"INSERT INTO {quote(name)}({quote(name)}) VALUES ('rebuild')")
    return names


def _load(
    archive: zipfile.ZipFile, manifest: dict[str, Any], plans: list[tuple[TablePlan, dict[str, Any]]], storage: Storage,
    progress: Progress, on_progress: ProgressCallback,
) -> int:
    """Load every table and file in one transaction; return the number of files written."""
    pending = _Pending(defaultdict(list))
    # A forward key that cannot wait as NULL (NOT NULL) needs the checks at commit instead.
    at_commit = any(not key.nullable for plan, _e in plans for key in plan.deferred)
    current = ""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED" if at_commit else "SET CONSTRAINTS ALL IMMEDIATE")
            _clear_rows_made_by_migrate(plans)
            for plan, entry in plans:
                current = plan.label
                progress.stage, progress.table, progress.table_rows = "table", plan.label, 0
                progress.table_rows_total = entry["rows"]
                on_progress(progress)
                _load_table(archive, plan, entry, pending, progress, on_progress)
                progress.tables_done += 1
                progress.stage = "table_done"
                on_progress(progress)
            current = ""
            _set_pending(pending)
            connection.check_constraints(table_names=[plan.table for plan, _e in plans])
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), [plan.model for plan, _e in plans]):
                    cursor.execute(statement)
                if connection.vendor == "postgresql":
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            rebuild_search_indexes()
            return media.restore_media(archive, storage, manifest.get("media") or {}, progress=progress, on_progress=on_progress)
    except BackupDamaged as error:
        error.extra["database"] = "empty"
        raise
    except DAMAGE as error:
        raise BackupDamaged(
            _("The backup file is damaged (%(table)s: %(error)s).") % {"table": current or _("files"), "error": error},
            code="damaged", extra={"database": "empty"},
        ) from error
    except OSError as error:
        raise BackupRefused(
            _("The backup's files could not be written: %(error)s") % {"error": error}, code="storage_failed",
            extra={"database": "empty"},
        ) from error
    except (DatabaseError, connection.Database.Error) as error:
        raise BackupRefused(
            _("The database refused the records of %(table)s: %(error)s") % {"table": current or _("the backup"), "error": error},
            code="database_refused", extra={"database": "empty"},
        ) from error


def restore_backup(
    source: str | Path | IO[bytes], *, on_progress: ProgressCallback = ignore, storage: Storage | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> RestoreSummary:
    """Restore the backup in `source` into this (empty) database and the default storage.

    Raises BackupRefused (nothing changed: not a backup this version can read, or the
    database is not empty) or BackupDamaged; an error once loading has begun leaves the
    database migrated and empty (the error's `extra["database"]` says "empty").
    """
    tell = on_stage or (lambda message: None)
    with fmt.open_archive(source) as archive:
        manifest = fmt.read_manifest(archive)
        tell(_("Backup made on %(created_at)s by Kliyan %(version)s from %(vendor)s: %(rows)d records in %(tables)d "
               "tables, %(files)d files.") % {
            "created_at": manifest.get("created_at", "?"), "version": manifest.get("kliyan_version", "?"),
            "vendor": (manifest.get("database") or {}).get("vendor", "?"), "tables": len(manifest["tables"]),
            "rows": sum(int(t["rows"]) for t in manifest["tables"]), "files": (manifest.get("media") or {}).get("files", 0),
        })
        state = state_of_backup(connection, manifest["migrations"], str(manifest.get("kliyan_version", "")))
        check_empty()
        tell(_("Preparing the database's tables as the backup's version had them…"))
        migrate_to(connection, state)
        plans = _plans(state, manifest)
        progress = Progress(tables_total=len(plans), rows_total=sum(entry["rows"] for _p, entry in plans))
        files = _load(archive, manifest, plans, storage or default_storage, progress, on_progress)
    ContentType.objects.clear_cache()
    with connection.cursor() as cursor:
        # Fresh planner statistics: the tables were empty a minute ago.
        cursor.execute("ANALYZE")
    if not state.at_latest:
        tell(_("Bringing the database up to this version of Kliyan…"))
        call_command("migrate", interactive=False, verbosity=0)
    summary = RestoreSummary(tables=len(plans), rows=progress.rows_done, files=files, migrated_forward=not state.at_latest,
                             manifest=manifest)
    record(
        actor=None, action=AuditAction.RESTORE, object_type_label="backup.restore", object_id="",
        label=_("Restored from a backup of %(created_at)s") % {"created_at": manifest.get("created_at", "?")},
        after={"file": Path(str(getattr(source, "name", source))).name, "created_at": manifest.get("created_at"),
               "kliyan_version": manifest.get("kliyan_version"),
               "source_database": (manifest.get("database") or {}).get("vendor"),
               "tables": summary.tables, "records": summary.rows, "files": files},
    )
    return summary
