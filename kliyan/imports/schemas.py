"""API shapes for imports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from ninja import Schema
from pydantic import Field

from kliyan.imports.models import Import


class ImportCounts(Schema):
    rows_read: int
    created: int
    updated: int
    skipped: int
    failed: int


class ImportOut(Schema):
    id: int
    target: str = Field(description="contacts, companies, products or orders")
    file_name: str
    file_format: str = Field(description="csv, xlsx or vcard")
    encoding: str
    delimiter: str
    status: str = Field(description="uploaded, checking, checked, queued, running, done, failed, undoing or undone")
    dry_run: bool = Field(description="True while the counts are what the import would do (nothing written)")
    on_duplicate: str = Field(description="skip, update or create")
    source: str = Field(description="products and orders: the source system they are filed under with their code or number")
    headers: list[str]
    mapping: dict[str, str] = Field(description="column → field (\"\" = not imported)")
    percent_done: int
    rows_estimate: int
    last_row: int = Field(description="the last row committed; a resumed run goes on after it")
    interrupted: bool = Field(description="the run stopped without finishing and may be resumed")
    counts: ImportCounts
    matched_by: dict[str, int] = Field(description=(
        "rows taken for an existing record (or an earlier row of the file), by reason: email, phone, "
        "name (a similar name at the same company) or same_name (a company of the same name)"
    ))
    error: str
    undo: dict[str, int] = Field(description="after an undo: deleted, archived, reverted, kept")
    report_url: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    undone_at: dt.datetime | None
    file_deleted_at: dt.datetime | None = Field(description="when the uploaded file was deleted (kept KLIYAN_IMPORT_FILE_DAYS after its last use)")


class ImportPage(Schema):
    items: list[ImportOut]
    next_cursor: str | None


class ImportStart(Schema):
    mapping: dict[str, str] | None = None
    on_duplicate: str | None = Field(None, description="skip, update or create")
    source: str | None = Field(None, description="products and orders: the source system (default \"import\")")
    dry_run: bool = False


def import_out(import_: Import) -> dict[str, Any]:
    return {
        "id": import_.pk, "target": import_.target, "file_name": import_.original_name, "file_format": import_.file_format,
        "encoding": import_.encoding, "delimiter": import_.delimiter, "status": import_.status, "dry_run": import_.dry_run,
        "on_duplicate": import_.on_duplicate, "source": import_.source, "headers": import_.headers, "mapping": import_.mapping,
        "percent_done": import_.percent_done, "rows_estimate": import_.rows_estimate, "last_row": import_.last_row,
        "interrupted": import_.is_interrupted,
        "counts": {name: getattr(import_, name) for name in ("rows_read", "created", "updated", "skipped", "failed")},
        "matched_by": dict(import_.matches or {}),
        "error": import_.error, "undo": import_.undo_summary or {},
        "report_url": reverse("api-v1:import_report", kwargs={"import_id": import_.pk}),
        "created_at": import_.created_at, "started_at": import_.started_at, "finished_at": import_.finished_at,
        "undone_at": import_.undone_at,
        "file_deleted_at": import_.file_deleted_at,
    }
