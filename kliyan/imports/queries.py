"""Reads for the import pages and API: the list, the preview of the first rows, the report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kliyan.core.organisation import default_region
from kliyan.imports import commerce
from kliyan.imports import mapping as field_mapping
from kliyan.imports.export_formats import neutralise
from kliyan.imports.models import Import, ImportProblem
from kliyan.imports.readers import Problem, UnreadableFile, read_rows
from kliyan.imports.rows import Record, RowCleaner
from kliyan.imports.services import custom_field_pairs, file_info, open_stored

PREVIEW_ROWS = 10
REPORT_CHUNK = 2000


def imports_for_list() -> QuerySet[Import]:
    return Import.objects.select_related("created_by").defer("headers", "mapping", "undo_summary").order_by("-created_at", "-id")


@dataclass
class PreviewRow:
    number: int
    cells: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Preview:
    columns: list[tuple[str, str]]
    rows: list[PreviewRow]
    error: str = ""


def _stored_value(record: Record, key: str) -> str:
    """Return a field of a clean record the way it will be stored (phones in E.164, e-mails lower-cased)."""
    if key == "email":
        return ", ".join(record.emails)
    if key.startswith("phone"):
        return ", ".join(p.e164 for p in record.phones)
    if key in ("street", "city", "region", "postal_code", "country"):
        return record.address.get(key, "")
    if key == "company":
        return record.company
    if key == "tags":
        return ", ".join(record.tags)
    if key.startswith(field_mapping.CUSTOM_PREFIX):
        value = record.custom_fields.get(key[len(field_mapping.CUSTOM_PREFIX):])
        return "" if value is None else str(value)
    if key == "full_name":
        return " ".join(p for p in (record.values.get("first_name", ""), record.values.get("last_name", "")) if p)
    value = record.values.get(key, "")
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def preview(import_: Import, mapping: Mapping[str, str] | None = None, limit: int = PREVIEW_ROWS) -> Preview:
    """Return the first rows as they would be stored with `mapping` (default: the import's), with their problems."""
    mapping = dict(mapping if mapping is not None else import_.mapping)
    labels = dict(field_mapping.field_choices(import_.target, custom_field_pairs(import_.target)))
    keys: list[str] = []
    for key in (mapping.get(h, "") for h in import_.headers):
        if key and key not in keys:
            keys.append(key)
    phone_keys = [k for k in keys if k.startswith("phone")]
    keys = [k for k in keys if not k.startswith("phone") or k == phone_keys[0]]
    columns = [(k, str(labels.get(k, k)) if not k.startswith("phone") else _("Phones")) for k in keys]
    if import_.is_commerce:
        return _commerce_preview(import_, mapping, columns, limit)
    cleaner = RowCleaner(target=import_.target, mapping=mapping, region=default_region(), headers=import_.headers)
    rows: list[PreviewRow] = []
    try:
        with open_stored(import_) as stream:
            for source in islice(read_rows(stream, file_info(import_)), limit):
                record, problems = cleaner.clean(source)
                row = PreviewRow(number=source.number, problems=problems)
                if record is not None:
                    values = [_stored_value(record, k) for k in keys]
                else:
                    values = [_raw(source.values, mapping, k) for k in keys]
                row.cells = [(label, value) for (_key, label), value in zip(columns, values, strict=True)]
                rows.append(row)
    except (UnreadableFile, OSError) as error:
        return Preview(columns=columns, rows=rows, error=str(error))
    return Preview(columns=columns, rows=rows)


def _commerce_preview(import_: Import, mapping: Mapping[str, str], columns: list[tuple[str, str]], limit: int) -> Preview:
    """Show products' and orders' first rows as the ingestion will receive them (numbers and dates read)."""
    reader = commerce.CommerceReader(
        target=import_.target, mapping=mapping, headers=import_.headers, source=import_.source, version=import_.created_at,
    )
    rows: list[PreviewRow] = []
    try:
        with open_stored(import_) as stream:
            for source in islice(read_rows(stream, file_info(import_)), limit):
                values, problems = reader.preview(source)
                rows.append(PreviewRow(number=source.number, problems=problems,
                                       cells=[(label, values.get(key, "")) for key, label in columns]))
    except (UnreadableFile, OSError) as error:
        return Preview(columns=columns, rows=rows, error=str(error))
    return Preview(columns=columns, rows=rows)


def _raw(values: Mapping[str, str], mapping: Mapping[str, str], key: str) -> str:
    matches = [h for h in values if (k := mapping.get(h, "")) and (k == key or (key.startswith("phone") and k.startswith("phone")))]
    return ", ".join(values.get(h, "") for h in matches if values.get(h, ""))[:200]


def report_lines(import_: Import) -> Iterator[str]:
    """Yield the validation report as CSV lines (row, column, value, problem), a chunk of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("row"), _("column"), _("value"), _("problem")])
    yield "\ufeff" + buffer.getvalue()  # a BOM, so Excel reads the accents as UTF-8
    rows = ImportProblem.objects.filter(import_run=import_).order_by("row", "id").values_list("row", "column", "value", "message")
    for row, column, value, message in rows.iterator(chunk_size=REPORT_CHUNK):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([row, neutralise(column), neutralise(value), message])
        yield buffer.getvalue()


def first_problems(import_: Import, limit: int = 20) -> list[ImportProblem]:
    return list(ImportProblem.objects.filter(import_run=import_).order_by("row", "id")[:limit])


def problem_count(import_: Import) -> int:
    return ImportProblem.objects.filter(import_run=import_).count()
