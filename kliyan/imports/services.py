"""Imports: upload, map, check (dry run), run in batches, resume, undo. Each write audits itself.

The run (`run_import`) reads the stored file as a stream and commits a batch at a time:
the batch's records, their links to the import, their audit entries, the report's
problems and the import's progress (`last_row` and the counts) in one transaction. A
process killed mid-way leaves whole batches only; `import_resume` starts a new runner that
skips every row up to `last_row`. A runner commits only while it still holds the import
(`runner`), so an old process that wakes up after a resume cannot write a batch twice.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.contacts.models import CustomFieldDefinition
from kliyan.core.audit import record
from kliyan.core.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.core.organisation import default_region
from kliyan.imports import mapping as field_mapping
from kliyan.imports.choices import ImportStatus, ImportTarget, OnDuplicate
from kliyan.imports.models import Import, ImportProblem
from kliyan.imports.readers import FileInfo, Problem, SourceRow, UnreadableFile, inspect_file, read_rows, storable
from kliyan.imports.rows import RowCleaner
from kliyan.imports.undo import undo_chunk
from kliyan.imports.writers import BatchOutcome, RunContext, write_batch

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
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


@contextmanager
def open_stored(import_: Import) -> Iterator[IO[bytes]]:
    """Open the import's stored file for reading as bytes."""
    handle = import_.file.storage.open(import_.file.name, "rb")
    try:
        yield getattr(handle, "file", handle)
    finally:
        handle.close()


def file_info(import_: Import) -> FileInfo:
    return FileInfo(file_format=import_.file_format, encoding=import_.encoding, delimiter=import_.delimiter, headers=list(import_.headers))


def _check_target(target: str, errors: FieldErrors) -> None:
    if target not in ImportTarget.values:
        errors.add("target", _("Choose contacts or companies."))


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
    on_duplicate: str | None = None, start: bool = True, dry_run: bool = False, enqueue: bool = True,
) -> Import:
    """Upload, map and (unless start=False) start, all or nothing: a bad mapping leaves no import behind."""
    stored: Import | None = None
    try:
        with transaction.atomic():
            stored = import_upload(actor=actor, upload=upload, target=target, name=name)
            import_ = import_configure(actor=actor, import_=stored, mapping=mapping, on_duplicate=on_duplicate)
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


@transaction.atomic
def import_configure(*, actor: Any, import_: Import, mapping: Mapping[str, Any] | None = None, on_duplicate: str | None = None) -> Import:
    """Change the mapping and the rule for existing records; a finished dry run must be redone."""
    import_ = Import.objects.select_for_update().get(pk=import_.pk)
    _editable(import_)
    if on_duplicate is not None and on_duplicate not in OnDuplicate.values:
        raise ValidationFailed(field_errors={"on_duplicate": [_("Choose skip, update or create.")]})
    cleaned = clean_mapping(import_, mapping)
    before = {"mapping": import_.mapping, "on_duplicate": import_.on_duplicate}
    import_.mapping = cleaned
    import_.on_duplicate = on_duplicate or import_.on_duplicate
    if import_.status == ImportStatus.CHECKED:
        _reset(import_)
        import_.status = ImportStatus.UPLOADED
    import_.save()
    after = {"mapping": import_.mapping, "on_duplicate": import_.on_duplicate}
    if after != before:
        record(actor=actor, action=AuditAction.UPDATE, instance=import_, before=before, after=after)
    return import_


def _reset(import_: Import) -> None:
    import_.problems.all().delete()
    import_.records.all().delete()
    for name in ("rows_read", "created", "updated", "skipped", "failed", "last_row"):
        setattr(import_, name, 0)
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


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    chunk: list[SourceRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_import(*, import_id: int, runner: str, batch_size: int = BATCH_SIZE, on_progress: ProgressCallback | None = None) -> Import:
    """Read the file after `last_row` and commit it a batch at a time; return the import as it ends."""
    import_ = get_import(import_id)
    if import_.runner != runner or import_.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.CHECKING):
        return import_
    now = timezone.now()
    status = ImportStatus.CHECKING if import_.dry_run else ImportStatus.RUNNING
    Import.objects.filter(pk=import_.pk, runner=runner).update(status=status, started_at=Coalesce(F("started_at"), now), heartbeat_at=now)
    cleaner = RowCleaner(target=import_.target, mapping=import_.mapping, region=default_region(), headers=import_.headers)
    context = RunContext(
        import_id=import_.pk, target=import_.target, on_duplicate=import_.on_duplicate, dry_run=import_.dry_run,
        actor=import_.created_by, source_detail=import_.original_name, seen=set() if import_.dry_run else None,
    )
    try:
        with open_stored(import_) as stream:
            rows = (row for row in read_rows(stream, file_info(import_)) if row.number > import_.last_row)
            for batch in _chunks(rows, batch_size):
                if not _commit_batch(import_.pk, runner, batch, cleaner, context):
                    return get_import(import_.pk)
                if on_progress:
                    on_progress(get_import(import_.pk))
    except (UnreadableFile, OSError) as error:
        Import.objects.filter(pk=import_.pk, runner=runner).update(
            status=ImportStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now(), runner="",
        )
        return get_import(import_.pk)
    Import.objects.filter(pk=import_.pk, runner=runner).update(
        status=ImportStatus.CHECKED if import_.dry_run else ImportStatus.DONE, finished_at=timezone.now(), runner="",
        heartbeat_at=timezone.now(),
    )
    return get_import(import_.pk)


def _problem_rows(import_id: int, number: int, problems: list[Problem]) -> list[ImportProblem]:
    return [
        ImportProblem(import_run_id=import_id, row=number, column=storable(p.column)[:255], value=storable(p.value)[:200],
                      message=storable(p.message)[:500])
        for p in problems
    ]


def _commit_batch(import_id: int, runner: str, batch: list[SourceRow], cleaner: RowCleaner, context: RunContext) -> bool:
    """Write one batch and the import's progress in one transaction; False if another runner holds the import."""
    records = []
    problems: list[ImportProblem] = []
    failed = 0
    for row in batch:
        record_, row_problems = cleaner.clean(row)
        if record_ is None:
            failed += 1
            problems += _problem_rows(import_id, row.number, row_problems)
        else:
            records.append(record_)
    with transaction.atomic():
        if not list(Import.objects.select_for_update().filter(pk=import_id, runner=runner).values_list("pk", flat=True)):
            return False
        outcome, unstored = _write_safely(records, context)
        failed += len(unstored)
        problems += [p for number in unstored for p in _problem_rows(import_id, number, [
            Problem("", "", _("The row could not be stored; the error has been logged."))])]
        ImportProblem.objects.bulk_create(problems)
        Import.objects.filter(pk=import_id).update(
            last_row=batch[-1].number, rows_read=F("rows_read") + len(batch), created=F("created") + outcome.created,
            updated=F("updated") + outcome.updated, skipped=F("skipped") + outcome.skipped, failed=F("failed") + failed,
            heartbeat_at=timezone.now(),
        )
    return True


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
        total.created += outcome.created
        total.updated += outcome.updated
        total.skipped += outcome.skipped
        unstored += failed
    return total, unstored


# --- Undo -----------------------------------------------------------------------------

@transaction.atomic
def import_undo(*, actor: Any, import_: Import, enqueue: bool = True) -> Import:
    """Queue the undo of a finished import (see kliyan.imports.undo for what it keeps)."""
    import_ = Import.objects.select_for_update().get(pk=import_.pk)
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
