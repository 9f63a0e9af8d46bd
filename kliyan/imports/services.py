"""Imports: upload, map, check (dry run), run in batches, resume, undo. Each write audits itself.

The run (`run_import`) reads the stored file as a stream and writes a batch at a time:
the batch's records, their links to the import, their audit entries, the report's
problems and the import's progress (`last_row` and the counts) in one transaction (on
SQLite, a few batches share it: `_commit_batches`). A process killed mid-way leaves whole
committed batches only; `import_resume` starts a new runner that
skips every row up to `last_row`. A runner commits only while it still holds the import
(`runner`), so an old process that wakes up after a resume cannot write a batch twice.
"""

from __future__ import annotations

import gc
import logging
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.contacts.models import CustomFieldDefinition
from kliyan.core.audit import record
from kliyan.core.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.imports import mapping as field_mapping
from kliyan.imports import commerce
from kliyan.imports.choices import COMMERCE_TARGETS, ImportStatus, ImportTarget, OnDuplicate
from kliyan.imports.models import Import, ImportProblem
from kliyan.imports.pipeline import CleanBatch, ReaderFailed, cleaned_batches
from kliyan.imports.pipeline import file_info, open_stored  # noqa: F401 - the pages read files through services
from kliyan.imports.readers import Problem, UnreadableFile, inspect_file, storable
from kliyan.imports.specs import BatchOutcome, RunContext
from kliyan.imports.undo import undo_chunk
from kliyan.imports.writers import write_batch

logger = logging.getLogger(__name__)

# Rows per committed batch: large enough that a batch's fixed cost (its lookups, its statements,
# its commit) is spread thin, small enough that memory stays flat and progress shows often.
BATCH_SIZE = 5_000
# On SQLite, this many batches (25,000 rows at the usual size) share a commit unless it is this
# many seconds old first (_commit_batches): fewer, larger commits write far fewer pages.
SHARED_COMMIT_BATCHES = 5
SHARED_COMMIT_SECONDS = 5.0
# SQLite page cache of the importing connection, in KiB (see database_tuned_for_import).
IMPORT_CACHE_KB = 64_000
# PRAGMA temp_store's value for files: the run's savepoints and statements keep what they
# may have to undo in temporary files (the page cache of the system) rather than in memory.
TEMP_STORE_FILE = 1
ProgressCallback = Callable[[Import], None]


def get_import(pk: Any) -> Import:
    try:
        return Import.objects.select_related("created_by").get(pk=int(pk))
    except (Import.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("There is no import with id %(id)s.") % {"id": pk}) from None


def custom_field_pairs(target: str) -> list[tuple[str, str]]:
    """Return (key, label) of the active custom fields of people or companies."""
    kind = "company" if target == ImportTarget.COMPANIES else "contact"
    return list(CustomFieldDefinition.objects.active().filter(target=kind).values_list("key", "label"))


def _check_target(target: str, errors: FieldErrors) -> None:
    if target not in ImportTarget.values:
        errors.add("target", _("Choose people, companies, products or orders."))


@transaction.atomic
def import_upload(*, actor: Any, upload: File, target: str = ImportTarget.CONTACTS, name: str = "") -> Import:
    """Store an uploaded file, read its columns and guess the mapping; nothing is imported yet."""
    errors = FieldErrors()
    _check_target(target, errors)
    size = int(getattr(upload, "size", 0) or 0)
    limit = settings.IMPORT_MAX_FILE_BYTES
    if size > limit:
        errors.add("file", _("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)})
    if not size:
        errors.add("file", _("The file is empty."))
    errors.raise_if_any()
    original = storable((name or getattr(upload, "name", "") or "import").replace("\\", "/").rsplit("/", 1)[-1])[:255]
    import_ = Import(target=target, original_name=original, file_size=size, created_by=_user(actor))
    import_.file.save(original, upload, save=False)
    try:
        with open_stored(import_) as stream:
            info = inspect_file(stream, original)
    except UnreadableFile as error:
        import_.file.delete(save=False)
        raise ValidationFailed(field_errors={"file": [str(error)]}) from error
    import_.file_format, import_.encoding, import_.delimiter = info.file_format, info.encoding, info.delimiter
    import_.headers = info.headers
    import_.rows_estimate = max(info.rows_estimate - 1, 0)
    import_.mapping = field_mapping.guess_mapping(info.headers, target, custom_field_pairs(target))
    import_.save()
    record(actor=actor, action=AuditAction.CREATE, instance=import_, after={
        "file": original, "size": size, "format": info.file_format, "target": target,
    })
    return import_


def import_create(
    *, actor: Any, upload: File, target: str = ImportTarget.CONTACTS, name: str = "", mapping: Mapping[str, Any] | None = None,
    on_duplicate: str | None = None, start: bool = True, dry_run: bool = False, enqueue: bool = True, source: str | None = None,
) -> Import:
    """Upload, map and (unless start=False) start, all or nothing: a bad mapping leaves no import behind."""
    stored: Import | None = None
    try:
        with transaction.atomic():
            stored = import_upload(actor=actor, upload=upload, target=target, name=name)
            import_ = import_configure(actor=actor, import_=stored, mapping=mapping, on_duplicate=on_duplicate, source=source)
            if start:
                import_ = import_start(actor=actor, import_=import_, dry_run=dry_run, enqueue=enqueue)
    except Exception:
        if stored is not None:
            stored.file.delete(save=False)
        raise
    return import_


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _editable(import_: Import) -> None:
    if import_.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKED):
        raise Conflict(_("This import has started; its mapping can no longer change."), code="import_started")
    _file_kept(import_)


def _file_kept(import_: Import) -> None:
    if import_.file_deleted_at is not None:
        raise Conflict(
            _("The file of this import was deleted after %(days)d days unused; upload it again.") % {"days": settings.IMPORT_FILE_DAYS},
            code="file_deleted",
        )


def clean_mapping(import_: Import, mapping: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the import's mapping with `mapping` laid over it, or raise ValidationFailed naming each bad column."""
    errors = FieldErrors()
    merged = dict(import_.mapping or {})
    if mapping is not None:
        if not isinstance(mapping, Mapping):
            raise ValidationFailed(field_errors={"mapping": [_("Send an object: column name → field.")]})
        merged.update({str(k): str(v or "") for k, v in mapping.items()})
    keys = [k for k, _label in custom_field_pairs(import_.target)]
    cleaned = field_mapping.check_mapping(merged, import_.headers, import_.target, keys, errors)
    errors.raise_if_any()
    return cleaned


def _clean_rule(import_: Import, on_duplicate: str | None, source: str | None, errors: FieldErrors) -> tuple[str, str]:
    """Return the rule for existing records and the source system, adding an error per bad one."""
    rule = on_duplicate or import_.on_duplicate
    if rule not in OnDuplicate.values:
        errors.add("on_duplicate", _("Choose skip, update or create."))
    elif import_.target in COMMERCE_TARGETS and rule == OnDuplicate.CREATE:
        errors.add("on_duplicate", _("Products and orders are known by their code or number: choose skip or update."))
    name = import_.source if source is None else (str(source).strip() or commerce.DEFAULT_SOURCE)
    if len(name) > 50:
        errors.add("source", _("At most %(limit)d characters.") % {"limit": 50})
    elif "\x00" in name or any(ch in name for ch in "\r\n"):
        errors.add("source", _("Write the name on one line, without control characters."))
    return rule, name


@transaction.atomic
def import_configure(
    *, actor: Any, import_: Import, mapping: Mapping[str, Any] | None = None, on_duplicate: str | None = None,
    source: str | None = None,
) -> Import:
    """Change the mapping, the rule for existing records (and for products and orders, their source system).

    A finished dry run must be redone.
    """
    import_ = Import.objects.select_for_update().get(pk=import_.pk)
    _editable(import_)
    errors = FieldErrors()
    rule, source_name = _clean_rule(import_, on_duplicate, source, errors)
    errors.raise_if_any()
    cleaned = clean_mapping(import_, mapping)
    before = {"mapping": import_.mapping, "on_duplicate": import_.on_duplicate, "source": import_.source}
    import_.mapping = cleaned
    import_.on_duplicate = rule
    import_.source = source_name
    if import_.status == ImportStatus.CHECKED:
        _reset(import_)
        import_.status = ImportStatus.UPLOADED
    import_.save()
    after = {"mapping": import_.mapping, "on_duplicate": import_.on_duplicate, "source": import_.source}
    if after != before:
        record(actor=actor, action=AuditAction.UPDATE, instance=import_, before=before, after=after)
    return import_


def _reset(import_: Import) -> None:
    import_.problems.all().delete()
    import_.records.all().delete()
    for name in ("rows_read", "created", "updated", "skipped", "failed", "last_row"):
        setattr(import_, name, 0)
    import_.matches = {}
    import_.error = ""
    import_.started_at = import_.finished_at = import_.heartbeat_at = None


@transaction.atomic
def import_start(*, actor: Any, import_: Import, dry_run: bool = False, enqueue: bool = True) -> Import:
    """Queue the import (or a dry run of it); with enqueue=False the caller runs `run_import` itself."""
    import_ = Import.objects.select_for_update().get(pk=import_.pk)
    _editable(import_)
    import_.mapping = clean_mapping(import_, None)
    _reset(import_)
    import_.dry_run = dry_run
    import_.status = ImportStatus.CHECKING if dry_run else ImportStatus.QUEUED
    import_.runner = secrets.token_hex(8)
    import_.heartbeat_at = timezone.now()
    import_.save()
    record(actor=actor, action=AuditAction.UPDATE, instance=import_, after={
        "status": import_.status, "dry_run": dry_run, "mapping": import_.mapping, "on_duplicate": import_.on_duplicate,
        **({"source": import_.source} if import_.is_commerce else {}),
    })
    if enqueue:
        _enqueue_run(import_)
    return import_


def _enqueue_run(import_: Import) -> None:
    from kliyan.imports.tasks import run_import_task

    pk, runner = import_.pk, import_.runner
    transaction.on_commit(lambda: run_import_task.enqueue(pk, runner))


@transaction.atomic
def import_resume(*, actor: Any, import_: Import, enqueue: bool = True) -> Import:
    """Take over an interrupted run (its process died) and go on after its last committed row."""
    import_ = Import.objects.select_for_update().get(pk=import_.pk)
    if import_.status in (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.DONE, ImportStatus.UNDONE):
        raise Conflict(_("This import is not interrupted; there is nothing to resume."), code="not_interrupted")
    if import_.status != ImportStatus.UNDOING:  # an undo reads the records it wrote, not the file
        _file_kept(import_)
    import_.runner = secrets.token_hex(8)
    import_.heartbeat_at = timezone.now()
    if import_.status == ImportStatus.FAILED:
        import_.status = ImportStatus.CHECKING if import_.dry_run else ImportStatus.QUEUED
        import_.error = ""
    import_.save(update_fields=["runner", "heartbeat_at", "status", "error"])
    record(actor=actor, action=AuditAction.UPDATE, instance=import_, after={"resumed_after_row": import_.last_row})
    if enqueue:
        if import_.status == ImportStatus.UNDOING:
            _enqueue_undo(import_)
        else:
            _enqueue_run(import_)
    return import_


def run_import(*, import_id: int, runner: str, batch_size: int = BATCH_SIZE, on_progress: ProgressCallback | None = None) -> Import:
    """Read the file after `last_row` and commit it a batch at a time; return the import as it ends."""
    import_ = get_import(import_id)
    if import_.runner != runner or import_.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.CHECKING):
        return import_
    now = timezone.now()
    status = ImportStatus.CHECKING if import_.dry_run else ImportStatus.RUNNING
    Import.objects.filter(pk=import_.pk, runner=runner).update(status=status, started_at=Coalesce(F("started_at"), now), heartbeat_at=now)
    context = RunContext(
        import_id=import_.pk, target=import_.target, on_duplicate=import_.on_duplicate, dry_run=import_.dry_run,
        actor=import_.created_by, source_detail=import_.original_name, seen=set() if import_.dry_run else None,
    )
    reader = commerce.reader_for(import_) if import_.is_commerce else None
    try:
        with (
            database_tuned_for_import(), quiet_garbage_collector(),
            cleaned_batches(import_, batch_size=batch_size, commerce_reader=reader) as batches,
        ):
            pending = iter(batches)
            while True:
                with transaction.atomic():
                    state = _commit_batches(import_.pk, runner, pending, context, reader)
                if state == "lost":
                    return get_import(import_.pk)
                if on_progress:
                    on_progress(get_import(import_.pk))
                if state == "done":
                    break
    except (UnreadableFile, ReaderFailed, OSError) as error:
        Import.objects.filter(pk=import_.pk, runner=runner).update(
            status=ImportStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now(), runner="",
        )
        return get_import(import_.pk)
    Import.objects.filter(pk=import_.pk, runner=runner).update(
        status=ImportStatus.CHECKED if import_.dry_run else ImportStatus.DONE, finished_at=timezone.now(), runner="",
        heartbeat_at=timezone.now(),
    )
    return get_import(import_.pk)


def _commit_batches(
    import_id: int, runner: str, batches: Iterator[CleanBatch], context: RunContext, reader: commerce.CommerceReader | None,
) -> str:
    """Write batches in the caller's transaction until it holds SHARED_COMMIT_BATCHES of them or SHARED_COMMIT_SECONDS.

    Return "more", "done" (no batch left) or "lost" (another runner holds the import).
    On SQLite a commit writes every page the transaction touched (the contact's name, e-mail
    and phone indexes, the full-text index: pages all over the file), so five batches in one
    commit write far fewer pages than five commits (docs/performance.md). Elsewhere each
    batch commits alone.
    """
    limit = SHARED_COMMIT_BATCHES if connection.vendor == "sqlite" else 1
    written, started = 0, time.monotonic()
    for batch in batches:
        if not _commit_batch(import_id, runner, batch, context, reader):
            return "lost"
        written += 1
        if written >= limit or time.monotonic() - started >= SHARED_COMMIT_SECONDS:
            return "more"
    return "done"


def _problem_rows(import_id: int, number: int, problems: list[Problem]) -> list[ImportProblem]:
    return [
        ImportProblem(import_run_id=import_id, row=number, column=storable(p.column)[:255], value=storable(p.value)[:200],
                      message=storable(p.message)[:500])
        for p in problems
    ]


def _commit_batch(import_id: int, runner: str, batch: CleanBatch, context: RunContext, reader: commerce.CommerceReader | None) -> bool:
    """Write one batch and the import's progress in one transaction; False if another runner holds the import."""
    problems = [p for number, problem in batch.problems for p in _problem_rows(import_id, number, [problem])]
    failed = batch.failed
    with transaction.atomic():
        locked = list(Import.objects.select_for_update().filter(pk=import_id, runner=runner).values_list("matches", flat=True))
        if not locked:
            return False
        if reader is not None:
            outcome, found, failed_records = commerce.write_items(batch.records, context, reader)
            failed += failed_records
            problems += [p for number, problem in found for p in _problem_rows(import_id, number, [problem])]
        else:
            outcome, unstored = _write_safely(batch.records, context)
            failed += len(unstored)
            problems += [p for number in unstored for p in _problem_rows(import_id, number, [
                Problem("", "", _("The row could not be stored; the error has been logged."))])]
        ImportProblem.objects.bulk_create(problems)
        matches = dict(locked[0] or {})
        for reason, count in outcome.matched.items():
            matches[reason] = matches.get(reason, 0) + count
        Import.objects.filter(pk=import_id).update(
            last_row=batch.last_row, rows_read=F("rows_read") + batch.rows, created=F("created") + outcome.created,
            updated=F("updated") + outcome.updated, skipped=F("skipped") + outcome.skipped, failed=F("failed") + failed,
            matches=matches, heartbeat_at=timezone.now(),
        )
    return True


@contextmanager
def quiet_garbage_collector() -> Iterator[None]:
    """Keep Python's cycle collector off the objects that exist before the run (Django's, the app's).

    A batch allocates a million small objects; each full collection walked every object of
    the process as well, which cost about a third of the writing time. Freezing moves the
    objects alive now out of its reach; the batches' own garbage is collected as usual.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def database_tuned_for_import() -> Iterator[None]:
    """On SQLite, hold the run's connection to a page cache of IMPORT_CACHE_KB, no memory map, temporary files on disk.

    The pages a memory map reads count as the process's memory: over a database of a
    million contacts the default 256 MB map alone would take a run past the 500 MB it is
    allowed (bench/bench_import.py). A larger cache (150 MB) did not make an import into a
    million contacts faster, so the run keeps the usual 64 MB. What a statement or a batch's
    savepoint may have to undo goes to temporary files instead of memory (the settings'
    temp_store=MEMORY): inside a commit shared by several batches it had grown to about
    150 MB of the writer's memory, and the files cost no time. All three are put back
    afterwards (the connection may serve other work in a worker).
    """
    if connection.vendor != "sqlite":
        yield
        return
    before = {}
    with connection.cursor() as cursor:
        tuning = [("cache_size", -IMPORT_CACHE_KB), ("mmap_size", 0)]
        if not connection.in_atomic_block:  # SQLite refuses to change it inside a transaction
            tuning.append(("temp_store", TEMP_STORE_FILE))
        for name, value in tuning:
            cursor.execute(f"PRAGMA {name}")
            row = cursor.fetchone()  # an in-memory database has no memory map: no row
            if row is not None:
                before[name] = int(row[0])
                cursor.execute(f"PRAGMA {name}={int(value)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name}={value}")


def _write_safely(records: list, context: RunContext) -> tuple[BatchOutcome, list[int]]:
    """Write the records in a savepoint; if the database refuses, write them one by one so only the culprit fails."""
    if not records:
        return BatchOutcome(), []
    try:
        with transaction.atomic():
            return write_batch(records, context), []
    except DatabaseError:
        if len(records) == 1:
            logger.exception("An imported row could not be stored (import %s, row %s)", context.import_id, records[0].number)
            return BatchOutcome(), [records[0].number]
    total, unstored = BatchOutcome(), []
    for one in records:
        outcome, failed = _write_safely([one], context)
        total.add(outcome)
        unstored += failed
    return total, unstored


# --- Undo -----------------------------------------------------------------------------

@transaction.atomic
def import_undo(*, actor: Any, import_: Import, enqueue: bool = True) -> Import:
    """Queue the undo of a finished import (see kliyan.imports.undo for what it keeps)."""
    import_ = Import.objects.select_for_update().get(pk=import_.pk)
    if import_.is_commerce:
        raise Conflict(_("Products and orders are not undone: import a corrected file instead, it updates them."), code="not_undoable")
    if import_.status != ImportStatus.DONE or import_.dry_run:
        raise Conflict(_("Only a finished import can be undone."), code="not_undoable")
    import_.status = ImportStatus.UNDOING
    import_.runner = secrets.token_hex(8)
    import_.heartbeat_at = timezone.now()
    import_.undo_cursor = 0
    import_.undo_summary = {}
    import_.save(update_fields=["status", "runner", "heartbeat_at", "undo_cursor", "undo_summary"])
    record(actor=actor, action=AuditAction.UPDATE, instance=import_, after={"status": import_.status})
    if enqueue:
        _enqueue_undo(import_, actor_id=getattr(_user(actor), "pk", None))
    return import_


def _enqueue_undo(import_: Import, actor_id: int | None = None) -> None:
    from kliyan.imports.tasks import undo_import_task

    pk, runner = import_.pk, import_.runner
    transaction.on_commit(lambda: undo_import_task.enqueue(pk, runner, actor_id))


def run_undo(*, import_id: int, runner: str, actor: Any = None) -> Import:
    """Undo the import a chunk at a time until nothing is left; return the import as it ends."""
    import_ = get_import(import_id)
    while True:
        finished = undo_chunk(import_, actor=actor or import_.created_by, runner=runner)
        if finished is None:
            return get_import(import_id)
        if finished:
            break
    Import.objects.filter(pk=import_id, runner=runner).update(status=ImportStatus.UNDONE, undone_at=timezone.now(), runner="")
    return get_import(import_id)
