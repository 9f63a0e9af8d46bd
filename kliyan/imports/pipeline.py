"""Read and clean an import's rows a batch at a time: in this process, or in a second one for large files.

Reading, validating and normalising a row (the CSV parser, e-mail and phone checks, dates,
the search words) costs about as much as writing it. A large file is therefore read and
cleaned by a second process (kliyan.imports.reader_process) while this one writes, so the
two halves run on two cores at once. The second process never touches the database:
everything it needs (the file's path, format and mapping, the organisation's country, the
custom field definitions, the language of the messages) is handed to it, and it hands back
batches of clean records and problems through a pipe, one batch in flight at a time, so
memory stays flat however large the file is.

Small files, files not on the local disk and machines with one core are read in this process.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

import kliyan
from kliyan.contacts.models import CustomFieldDefinition
from kliyan.core.organisation import default_region
from kliyan.imports.choices import ImportTarget
from kliyan.imports.models import Import
from kliyan.imports.reader_process import read_frame
from kliyan.imports.readers import FileInfo, Problem, SourceRow, UnreadableFile, read_rows
from kliyan.imports.rows import Record, RowCleaner

# Below this many rows left to read, starting a second process (about a second) is not worth it.
PARALLEL_MIN_ROWS = 20_000
# What the reading process needs of each custom field to validate its values.
DEFINITION_FIELDS = ("target", "key", "label", "field_type", "choices", "required")


@dataclass
class CleanBatch:
    """One batch of rows, cleaned: the records to write and the rows that failed, with their problems."""

    last_row: int
    rows: int
    records: list[Record] = field(default_factory=list)
    problems: list[tuple[int, Problem]] = field(default_factory=list)
    failed: int = 0


class ReaderFailed(Exception):
    """The reading process stopped without saying why (killed, out of memory)."""


@contextlib.contextmanager
def open_stored(import_: Import) -> Iterator[IO[bytes]]:
    """Open the import's stored file for reading as bytes."""
    handle = import_.file.storage.open(import_.file.name, "rb")
    try:
        yield getattr(handle, "file", handle)
    finally:
        handle.close()


def file_info(import_: Import) -> FileInfo:
    return FileInfo(file_format=import_.file_format, encoding=import_.encoding, delimiter=import_.delimiter, headers=list(import_.headers))


def clean_rows(rows: Iterable[SourceRow], cleaner: RowCleaner, batch_size: int) -> Iterator[CleanBatch]:
    """Clean the rows and yield them `batch_size` at a time."""
    batch: CleanBatch | None = None
    for row in rows:
        if batch is None:
            batch = CleanBatch(last_row=row.number, rows=0)
        record, problems = cleaner.clean(row)
        batch.rows += 1
        batch.last_row = row.number
        if record is None:
            batch.failed += 1
            batch.problems += [(row.number, p) for p in problems]
        else:
            batch.records.append(record)
        if batch.rows >= batch_size:
            yield batch
            batch = None
    if batch is not None:
        yield batch


def rows_after(stream: IO[bytes], info: FileInfo, after_row: int) -> Iterator[SourceRow]:
    return (row for row in read_rows(stream, info) if row.number > after_row)


def _definitions(target: str) -> list[CustomFieldDefinition]:
    kind = "company" if target == ImportTarget.COMPANIES else "contact"
    return list(CustomFieldDefinition.objects.active().filter(target=kind))


def _local_path(import_: Import) -> str | None:
    try:
        return import_.file.path
    except (NotImplementedError, AttributeError, ValueError):
        return None


def _parallel(import_: Import) -> bool:
    left = import_.rows_estimate - import_.last_row
    return left >= PARALLEL_MIN_ROWS and (os.cpu_count() or 1) > 1 and _local_path(import_) is not None


@contextlib.contextmanager
def cleaned_batches(import_: Import, *, batch_size: int, commerce_reader: Any = None) -> Iterator[Iterator[CleanBatch]]:
    """Yield the batches of the import's rows after `last_row`, cleaned; stop the reading process on leaving.

    Products and orders (`commerce_reader`, kliyan.imports.commerce) are read in this process.
    """
    if commerce_reader is not None:
        from kliyan.imports.commerce import clean_rows as clean_commerce_rows

        with open_stored(import_) as stream:
            yield clean_commerce_rows(rows_after(stream, file_info(import_), import_.last_row), commerce_reader, batch_size)
        return
    definitions = _definitions(import_.target)
    region = default_region()
    if not _parallel(import_):
        cleaner = RowCleaner(target=import_.target, mapping=import_.mapping, region=region, headers=import_.headers, definitions=definitions)
        with open_stored(import_) as stream:
            yield clean_rows(rows_after(stream, file_info(import_), import_.last_row), cleaner, batch_size)
        return
    job = {
        "path": str(_local_path(import_)), "info": asdict(file_info(import_)), "target": import_.target,
        "mapping": dict(import_.mapping), "headers": list(import_.headers), "region": region,
        "definitions": [{name: getattr(d, name) for name in DEFINITION_FIELDS} for d in definitions],
        "after_row": import_.last_row, "batch_size": batch_size,
        "language": translation.get_language() or settings.LANGUAGE_CODE, "settings_module": settings.SETTINGS_MODULE,
    }
    package_root = str(Path(kliyan.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)}
    process = subprocess.Popen(  # noqa: S603 - our own module, run by the same interpreter
        [sys.executable, "-m", "kliyan.imports.reader_process"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(job).encode())
        process.stdin.close()
        yield _received(process.stdout)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _received(source: IO[bytes]) -> Iterator[CleanBatch]:
    while True:
        try:
            kind, value = read_frame(source)
        except EOFError:
            raise ReaderFailed(_("The process reading the file stopped unexpectedly.")) from None
        if kind == "batch":
            yield value
        elif kind == "done":
            return
        elif kind == "unreadable":
            raise UnreadableFile(value)
        else:
            raise ReaderFailed(value)
