"""Import products and orders from a spreadsheet through the commerce ingestion.

Each product row, and each group of order-line rows with one order number, becomes the
record another system would send to `POST /api/v1/ingest/{products,orders}/bulk`, and goes
through the same service (kliyan.commerce.ingest.ingest_chunk): the same checks, the same
upsert keyed by (source system, external id), the same audit entries and events. The
source system is the import's `source` ("import" unless the user names another); the
external id is the product's own column if mapped, else its SKU, and an order's number.
The version the ingestion compares (`updated_at`) is the "Changed at" column if mapped,
else the time the file was uploaded: importing a corrected file later updates what an
earlier one created, and importing the same file twice changes nothing the second time.

Spreadsheet habits are read here before the ingestion sees the values: numbers written
"1 250,50" or "1,250.50", dates written 14/03/2026 or 14.03.2026 10:30 (day or month first
as the organisation's country writes them, in its time zone), yes/no in the six languages,
statuses and channels by their names. A value still wrong is refused by the ingestion, and
its message is reported against the row and column it came from.

Orders: the rows of one order must follow each other (a batch never splits them); the
order-level cells (date, customer, currency…) are read from the first row that has them.
The counts of an order import are orders (created, updated, skipped, failed), not rows.
Products and orders are not undone with the import: they belong to the system they are
keyed by, and a corrected file imported again updates them (docs/import.md).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kliyan.commerce.choices import OrderStatus, SalesChannel
from kliyan.commerce.ingest import ingest_chunk
from kliyan.commerce.ingest_plan import Result
from kliyan.commerce.models import Order, Product
from kliyan.core.organisation import get_organisation
from kliyan.core.text import fold
from kliyan.imports.choices import ImportTarget, OnDuplicate, RecordAction, RecordKind
from kliyan.imports.models import ImportedRecord
from kliyan.imports.readers import REPLACEMENT, Problem, SourceRow
from kliyan.imports.rows import parse_date
from kliyan.imports.specs import BatchOutcome, RunContext
from kliyan.imports.sql import Table

DEFAULT_SOURCE = "import"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TIME = re.compile(r"^(\d{1,2})[:h](\d{2})(?::(\d{2}))?$")
_LINE_ERROR = re.compile(r"^lines\[(\d+)\]\.?(\w*)$")
_NUMBER_KEYS = {"price", "cost", "discount", "tax", "total", "line_quantity", "line_unit_price", "line_discount"}
_YES = {"yes", "y", "true", "1", "oui", "o", "vrai", "wi", "inde", "eya", "po", "da", "x", "on", "active", "actif", "aktif", "activ"}
_NO = {"no", "n", "false", "0", "non", "faux", "ayi", "iyayi", "jo", "nu", "off", "inactive", "inactif", "inaktif", "inactiv"}
LINE_FIELDS = {"line_sku": "sku", "line_description": "description", "line_quantity": "quantity",
               "line_unit_price": "unit_price", "line_discount": "discount"}
ORDER_FIELDS = ("ordered_at", "currency", "status", "sales_channel", "note", "contact_email", "contact_phone", "discount", "tax", "total")
PRODUCT_FIELDS = ("sku", "name", "category", "price", "currency", "cost", "active")


@dataclass
class Item:
    """One record for the ingestion: a product row, or the rows of one order."""

    key: str
    record: dict[str, Any]
    rows: list[int]
    # Row number → field key → the cell as written: what a problem shows.
    cells: dict[int, dict[str, str]] = field(default_factory=dict)


def number_text(text: str) -> str:
    """Return a spreadsheet number in the form Decimal reads ("1 250,50" → "1250.50"); anything else as it is."""
    compact = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    if "," in compact and "." in compact:
        decimal_mark = "," if compact.rfind(",") > compact.rfind(".") else "."
        compact = compact.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    elif compact.count(",") == 1:
        compact = compact.replace(",", ".")  # a decimal comma: fr, ht, sq and ro write 12,50
    try:
        Decimal(compact)
    except InvalidOperation:
        return text
    return compact


class CommerceReader:
    """Turn the rows of a products or orders file into ingestion records (no queries once built)."""

    def __init__(
        self, *, target: str, mapping: Mapping[str, str], headers: Sequence[str] | None, source: str, version: dt.datetime,
    ) -> None:
        organisation = get_organisation()
        self.target = target
        self.source = source or DEFAULT_SOURCE
        self.version = version.isoformat()
        self.currency = organisation.currency
        self.region = organisation.country
        try:
            self.zone: dt.tzinfo = zoneinfo.ZoneInfo(organisation.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.zone = dt.UTC
        self.columns: dict[str, str] = {}  # field key → the (first) column that holds it
        for header in headers if headers is not None else list(mapping):
            key = mapping.get(header, "")
            if key:
                self.columns.setdefault(key, header)
        self.statuses = _choice_names(OrderStatus)
        self.channels = _choice_names(SalesChannel)

    def column(self, key: str) -> str:
        return self.columns.get(key, "")

    def values(self, row: SourceRow) -> tuple[dict[str, str], list[Problem]]:
        """Return field key → cell text of the row, and the problems found reading it."""
        problems = list(row.problems)
        values: dict[str, str] = {}
        for key, header in self.columns.items():
            raw = row.values.get(header, "")
            value = raw.strip() if isinstance(raw, str) else str(raw or "")
            if not value or REPLACEMENT in value:
                continue
            if _CONTROL.search(value):
                problems.append(Problem(header, value[:200], _("Contains a control character that cannot be stored.")))
                continue
            values[key] = value
        return values, problems

    def _converted(self, key: str, value: str, problems: list[Problem]) -> Any:
        """Return the value as the ingestion record carries it (numbers, dates, yes/no, choices read)."""
        if key in _NUMBER_KEYS:
            return number_text(value)
        if key in ("ordered_at", "updated_at"):
            return self._moment(value)
        if key == "active":
            folded = fold(value)
            if folded in _YES:
                return True
            if folded in _NO:
                return False
            problems.append(Problem(self.column(key), value[:200], _("Write yes or no.")))
            return None
        if key == "status":
            return self.statuses.get(fold(value), value)
        if key == "sales_channel":
            return self.channels.get(fold(value), value)
        return value

    def _moment(self, value: str) -> str:
        """Return a spreadsheet date (and time) as ISO 8601 in the organisation's time zone; else as written."""
        if "T" in value or value.endswith("Z"):
            return value  # already ISO 8601
        day_part, _sep, time_part = value.partition(" ")
        day = parse_date(day_part, self.region)
        if day is None:
            return value
        hour = minute = second = 0
        if time_part.strip():
            match = _TIME.match(time_part.strip())
            if match is None:
                return value
            hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        try:
            moment = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=self.zone)
        except ValueError:
            return value
        return moment.isoformat()

    def preview(self, row: SourceRow) -> tuple[dict[str, str], list[Problem]]:
        """Return field key → the value as the ingestion will read it (for the preview), and the row's problems."""
        values, problems = self.values(row)
        shown = {}
        for key, value in values.items():
            converted = self._converted(key, value, problems)
            shown[key] = "" if converted is None else _("yes") if converted is True else _("no") if converted is False else str(converted)
        return shown, problems

    def _base(self, key: str, values: Mapping[str, str], problems: list[Problem]) -> dict[str, Any]:
        updated = values.get("updated_at")
        return {
            "source": self.source, "external_id": key,
            "updated_at": self._converted("updated_at", updated, problems) if updated else self.version,
        }

    def product(self, row: SourceRow) -> tuple[Item | None, list[Problem]]:
        values, problems = self.values(row)
        key = values.get("external_id") or values.get("sku", "")
        record = self._base(key, values, problems)
        for name in PRODUCT_FIELDS:
            if name in values:
                converted = self._converted(name, values[name], problems)
                if converted is not None:
                    record[name] = converted
        record.setdefault("currency", self.currency)
        if problems:
            return None, problems
        return Item(key=key, record=record, rows=[row.number], cells={row.number: values}), []

    def order(self, number: str, rows: list[tuple[int, dict[str, str]]]) -> Item:
        """Return the order made of these rows (row number, cells read with `values`), all with this number."""
        problems: list[Problem] = []
        record = self._base(number, rows[0][1], problems)
        record["number"] = number
        for name in ORDER_FIELDS:
            value = next((values[name] for _row, values in rows if name in values), None)
            if value is not None:
                record[name] = self._converted(name, value, problems)
        record.setdefault("currency", self.currency)
        record["lines"] = [
            {line_name: self._converted(key, values[key], problems) for key, line_name in LINE_FIELDS.items() if key in values}
            for _row, values in rows
        ]
        return Item(key=number, record=record, rows=[row for row, _values in rows], cells=dict(rows))


def reader_for(import_: Any) -> CommerceReader:
    """Return the reader of an import of products or orders (its mapping, source and version)."""
    return CommerceReader(
        target=import_.target, mapping=import_.mapping, headers=import_.headers, source=import_.source, version=import_.created_at,
    )


def _choice_names(choices: Any) -> dict[str, str]:
    """Return folded code and name (in the active language) → code."""
    names = {fold(value): value for value in choices.values}
    names.update({fold(str(label)): value for value, label in choices.choices})
    return names


# --- Reading a file into batches ---------------------------------------------------------------

def clean_rows(rows: Iterable[SourceRow], reader: CommerceReader, batch_size: int) -> Iterator[Any]:
    """Yield CleanBatch-es of items; an order's rows are never split between two batches."""
    from kliyan.imports.pipeline import CleanBatch

    if reader.target == ImportTarget.PRODUCTS:
        batch: CleanBatch | None = None
        for row in rows:
            batch = batch or CleanBatch(last_row=row.number, rows=0)
            item, problems = reader.product(row)
            batch.rows += 1
            batch.last_row = row.number
            if item is None:
                batch.failed += 1
                batch.problems += [(row.number, p) for p in problems]
            else:
                batch.records.append(item)
            if batch.rows >= batch_size:
                yield batch
                batch = None
        if batch is not None:
            yield batch
        return
    yield from _order_batches(rows, reader, batch_size)


def _order_batches(rows: Iterable[SourceRow], reader: CommerceReader, batch_size: int) -> Iterator[Any]:
    from kliyan.imports.pipeline import CleanBatch

    earlier: set[int] = set()  # hashed numbers of the orders whose rows have ended (another number came)
    batch = CleanBatch(last_row=0, rows=0)
    # Order number → its rows, each with its cells (None: the row has a problem of its own).
    groups: dict[str, list[tuple[int, dict[str, str] | None]]] = {}
    current = None
    for row in rows:
        values, problems = reader.values(row)
        number = values.get("number", "")
        if batch.rows >= batch_size and number != current:
            yield _finish_orders(batch, groups, reader, earlier)
            batch, groups = CleanBatch(last_row=0, rows=0), {}
        batch.rows += 1
        batch.last_row = row.number
        if number != current and current:
            earlier.add(hash(current))
        current = number
        if not number:
            problems.append(Problem(reader.column("number"), "", _("The order number is empty.")))
        elif hash(number) in earlier:
            problems.append(Problem(reader.column("number"), number[:200], _(
                "The rows of one order must follow each other; this order began earlier in the file.")))
        if problems:
            batch.problems += [(row.number, p) for p in problems]
            if not number:
                batch.failed += 1
        if number:
            groups.setdefault(number, []).append((row.number, None if problems else values))
    if batch.rows:
        yield _finish_orders(batch, groups, reader, earlier)


def _finish_orders(
    batch: Any, groups: dict[str, list[tuple[int, dict[str, str] | None]]], reader: CommerceReader, earlier: set[int],
) -> Any:
    """Turn each order's rows into an item; an order with a bad row fails whole, each of its other rows saying why."""
    for number, rows in groups.items():
        bad = [row for row, values in rows if values is None]
        if bad:
            batch.failed += 1
            batch.problems += [
                (row, Problem("", "", _("Not imported: the order %(number)s has a problem on row %(row)d.") % {"number": number, "row": bad[0]}))
                for row, values in rows if values is not None
            ]
            continue
        batch.records.append(reader.order(number, [(row, values) for row, values in rows if values is not None]))
    return batch


# --- Writing --------------------------------------------------------------------------------------

class _DryRun(Exception):
    def __init__(self, outcomes: list[Any]) -> None:
        super().__init__("dry run")
        self.outcomes = outcomes


def write_items(items: list[Item], ctx: RunContext, reader: CommerceReader) -> tuple[BatchOutcome, list[tuple[int, Problem]], int]:
    """Send the items through the ingestion; return what it did, the problems by row and column, and failed records."""
    outcome = BatchOutcome()
    problems: list[tuple[int, Problem]] = []
    if not items:
        return outcome, problems, 0
    kind, model = ("products", Product) if reader.target == ImportTarget.PRODUCTS else ("orders", Order)
    if ctx.on_duplicate == OnDuplicate.SKIP:
        stored = set(model.objects.filter(source=reader.source, external_id__in=[i.key for i in items]).values_list("external_id", flat=True))
        seen = ctx.seen or set()
        kept = [i for i in items if i.key not in stored and hash(i.key) not in seen]
        outcome.skipped += len(items) - len(kept)
        items = kept
    if not items:
        return outcome, problems, 0
    try:
        with transaction.atomic():
            results = ingest_chunk(kind, [(n, item.record) for n, item in enumerate(items)], actor=ctx.actor)
            if ctx.dry_run:
                raise _DryRun(results)  # roll the writes back: a dry run only counts
    except _DryRun as stop:
        results = stop.outcomes
    failed = 0
    links = []
    record_kind = RecordKind.PRODUCT if kind == "products" else RecordKind.ORDER
    for item, result in zip(items, results, strict=True):
        if result.result == Result.FAILED:
            failed += 1
            problems += _problems(item, result.errors, reader)
            continue
        if ctx.dry_run and ctx.seen is not None and hash(item.key) in ctx.seen and result.result == Result.CREATED:
            outcome.skipped += 1  # a dry run wrote nothing, so an earlier batch's copy reads as new
            continue
        if result.result == Result.CREATED:
            outcome.created += 1
        elif result.result == Result.UPDATED:
            outcome.updated += 1
        else:
            outcome.skipped += 1  # unchanged (the same version) or stale (an older one)
            continue
        if ctx.seen is not None:
            ctx.seen.add(hash(item.key))
        action = RecordAction.CREATED if result.result == Result.CREATED else RecordAction.UPDATED
        links.append((ctx.import_id, item.rows[0], record_kind, result.id, action))
    if not ctx.dry_run:
        Table(ImportedRecord, ("import_run_id", "row", "kind", "object_id", "action")).insert(links)
    return outcome, problems, failed


def _problems(item: Item, errors: Mapping[str, list[str]], reader: CommerceReader) -> list[tuple[int, Problem]]:
    """Place each ingestion error on the row and column it comes from."""
    found: list[tuple[int, Problem]] = []
    first = item.rows[0]
    if reader.column("external_id") == "" and len(errors) > 1:
        errors = {name: messages for name, messages in errors.items() if name != "external_id"}  # said of the SKU or number already
    for name, messages in errors.items():
        row, key = first, name
        match = _LINE_ERROR.match(name)
        if match:
            index = int(match[1])
            row = item.rows[index] if index < len(item.rows) else first
            key = f"line_{match[2]}" if match[2] else ""
        elif name == "lines":
            key = ""
        elif name == "external_id" and "external_id" not in reader.columns:
            key = "sku" if reader.target == ImportTarget.PRODUCTS else "number"
        column = reader.column(key)
        value = item.cells.get(row, {}).get(key, "")
        found += [(row, Problem(column, value[:200], message)) for message in messages]
    if reader.target == ImportTarget.ORDERS:
        placed = {row for row, _problem in found}
        found += [
            (row, Problem("", "", _("Not imported: the order %(number)s has a problem on row %(row)d.") % {
                "number": item.key, "row": found[0][0] if found else first}))
            for row in item.rows if row not in placed
        ]
    return found
