"""Take in records from other systems, a chunk at a time: check, resolve, write, audit, announce.

The same path serves one record (PUT) and ten thousand (NDJSON bulk, the CLI): records
are checked in pure Python (kliyan.commerce.ingest_clean), then each chunk resolves every
reference it needs with one query per kind of reference, writes with bulk_create /
bulk_update, files one `record_many` of audit entries and one `emit_many` per event.

Keys and versions: a record is known by (source, external_id). Its `updated_at` (the
sending system's own time) decides: older than what is stored → "stale", ignored; the
same → "unchanged"; newer → "updated". A record with a bad field, or a reference that
does not resolve, fails alone and writes nothing; the others of the chunk go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from kliyan.commerce import ingest_clean, ingest_writers
from kliyan.commerce.ingest_plan import Malformed, Outcome, Result
from kliyan.core.errors import FieldErrors

logger = logging.getLogger(__name__)

# Each chunk is one transaction. Committing writes every page the chunk touched to the
# write-ahead log, and the pages at the tail of each table and index are touched by every
# chunk: a chunk of 10,000 records (a whole bulk request) commits at about half the cost of
# ten chunks of 1,000 (bench/, 5M orders). SQLite's single writer is then held for about
# two seconds: other writers wait their turn (the busy timeout is 20 s).
CHUNK_SIZE = 10_000

Cleaner = Callable[..., dict[str, Any]]
Writer = Callable[..., None]


@dataclass(frozen=True)
class Kind:
    clean: Cleaner
    write: Writer


KINDS: dict[str, Kind] = {
    "categories": Kind(ingest_clean.clean_category, ingest_writers.write_categories),
    "products": Kind(ingest_clean.clean_product, ingest_writers.write_products),
    "stock": Kind(ingest_clean.clean_stock, ingest_writers.write_stock),
    "orders": Kind(ingest_clean.clean_order, ingest_writers.write_orders),
    "invoices": Kind(ingest_clean.clean_invoice, ingest_writers.write_invoices),
    "payments": Kind(ingest_clean.clean_payment, ingest_writers.write_payments),
}


@dataclass
class Summary:
    """What a batch did, counted per result, with the errors of each failed line."""

    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.received += 1
        setattr(self, outcome.result, getattr(self, outcome.result) + 1)
        if outcome.result == Result.FAILED:
            self.errors.append({
                "line": outcome.line,
                "external_id": outcome.external_id,
                "errors": [{"field": f, "message": m} for f, messages in outcome.errors.items() for m in messages],
            })

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "stale": self.stale, "failed": self.failed, "errors": self.errors,
        }


def _external_id_of(raw: Any, given: str | None) -> str:
    if given is not None:
        return given
    value = raw.get("external_id") if isinstance(raw, dict) else None
    return str(value)[:100] if isinstance(value, str | int) and not isinstance(value, bool) else ""


def ingest_chunk(
    kind: str, items: list[tuple[int, Any]], *, actor: Any, source: str | None = None,
    external_id: str | None = None, default_source: str = "",
) -> list[Outcome]:
    """Check and store one chunk of records, given as (line number, decoded JSON); return one outcome each.

    `source`/`external_id` come from a PUT's address and override the body's;
    `default_source` fills in a record that names no source (the CLI's --source).
    """
    spec = KINDS[kind]
    outcomes: list[Outcome] = []
    valid: list[Outcome] = []
    for line, raw in items:
        errors = FieldErrors()
        outcome = Outcome(line=line, external_id=_external_id_of(raw, external_id))
        outcomes.append(outcome)
        if isinstance(raw, Malformed):
            outcome.fail({"json": [raw.message]})
            continue
        if not isinstance(raw, dict):
            outcome.fail({"body": [_("Send a JSON object.")]})
            continue
        if default_source and source is None and not raw.get("source"):
            raw = {**raw, "source": default_source}
        outcome.record = spec.clean(raw, errors, source=source, external_id=external_id)
        if errors:
            outcome.fail(errors.errors)
        else:
            valid.append(outcome)
    if valid:
        _write(spec, valid, actor)
    return outcomes


def _write(spec: Kind, valid: list[Outcome], actor: Any) -> None:
    try:
        with transaction.atomic():
            spec.write(valid, actor=actor)
        return
    except DatabaseError:
        if len(valid) == 1:
            logger.exception("An ingested record could not be stored")
            valid[0].reset()
            valid[0].fail({"": [_("The record could not be stored; the error has been logged.")]})
            return
    # Something only the database could see (a row written meanwhile by another request):
    # store the records one by one so that only the culprit fails.
    for outcome in valid:
        outcome.reset()
        _write(spec, [outcome], actor)


def ingest_records(
    kind: str, items: Iterable[tuple[int, Any]], *, actor: Any, default_source: str = "", chunk_size: int = CHUNK_SIZE,
) -> Summary:
    """Store every (line number, decoded record) of `items`, a chunk at a time; return the summary."""
    summary = Summary()
    for chunk in _chunks(items, chunk_size):
        for outcome in ingest_chunk(kind, chunk, actor=actor, default_source=default_source):
            summary.add(outcome)
    return summary


def _chunks(items: Iterable[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
