"""Writes of the commerce app: records other systems send (products, stock, orders, invoices, payments).

One record (the API's PUT) and many (NDJSON bulk, `kliyan ingest`) take the same path,
kliyan.commerce.ingest, which validates, writes, audits and announces domain events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kliyan.commerce.ingest import KINDS, Summary, ingest_chunk, ingest_records
from kliyan.commerce.ingest_ndjson import read_lines
from kliyan.commerce.ingest_plan import Result
from kliyan.core.errors import NotFound, ValidationFailed

INGEST_KINDS = tuple(KINDS)


@dataclass(frozen=True)
class Upserted:
    """What one upsert did: created, updated, unchanged or stale, and the row's id."""

    result: Result
    id: int


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise NotFound(_("Unknown kind “%(kind)s”; use one of: %(kinds)s.") % {"kind": kind, "kinds": ", ".join(KINDS)})


def record_upsert(*, actor: Any, kind: str, source: str, external_id: str, data: Any) -> Upserted:
    """Create or update one record of `kind` known as (source, external_id); raise ValidationFailed naming each bad field.

    An older `updated_at` than the stored one is answered "stale" and changes nothing.
    """
    _check_kind(kind)
    (outcome,) = ingest_chunk(kind, [(0, data)], actor=actor, source=source, external_id=external_id)
    if outcome.result == Result.FAILED:
        raise ValidationFailed(field_errors=outcome.errors)
    assert outcome.id is not None
    return Upserted(result=outcome.result, id=outcome.id)


def records_ingest(*, actor: Any, kind: str, records: Iterable[tuple[int, Any]], default_source: str = "") -> Summary:
    """Store many (line number, decoded record) pairs of `kind`; each fails alone."""
    _check_kind(kind)
    return ingest_records(kind, records, actor=actor, default_source=default_source)


def ndjson_ingest(*, actor: Any, kind: str, lines: Iterable[bytes | str], default_source: str = "") -> Summary:
    """Store the records of NDJSON `lines` (one JSON object a line); a malformed line fails alone."""
    return records_ingest(actor=actor, kind=kind, records=read_lines(lines), default_source=default_source)
