"""Write audit entries. Every service that changes customer data calls `record`.

Signal-based audit would miss bulk writes and `QuerySet.update()`, so the services write
their own entries (in the same transaction as the change) and bulk paths call
`record_many`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils import timezone

from kliyan.core.models import AuditAction, AuditEntry


@dataclass(frozen=True)
class AuditContext:
    via: str = ""
    ip_address: str | None = None


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("kliyan_audit", default=AuditContext())


@contextmanager
def audit_context(*, via: str, ip_address: str | None = None) -> Iterator[None]:
    """Tag every entry written inside the block with where the change came from."""
    token = _context.set(AuditContext(via=via, ip_address=ip_address))
    try:
        yield
    finally:
        _context.reset(token)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Return the JSON-able values of `instance`'s concrete fields (foreign keys as ids)."""
    names = list(fields) if fields is not None else [
        f.attname for f in instance._meta.concrete_fields if f.name not in {"search_text"}
    ]
    return {name: _json_value(getattr(instance, name)) for name in names}


def object_type(instance: models.Model) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}"


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_label": ""}
    return {"actor": actor, "actor_label": actor.get_username()}


def record(
    *,
    actor: Any,
    action: AuditAction | str,
    instance: models.Model | None = None,
    object_type_label: str = "",
    object_id: str = "",
    label: str = "",
    contact_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry; call it inside the transaction that made the change."""
    context = _context.get()
    return AuditEntry.objects.create(
        **_actor_fields(actor),
        action=action,
        object_type=object_type(instance) if instance is not None else object_type_label,
        object_id=str(instance.pk) if instance is not None else object_id,
        object_label=(label or (str(instance) if instance is not None else ""))[:255],
        contact_id=contact_id,
        before=_json_value(before) if before is not None else None,
        after=_json_value(after) if after is not None else None,
        ip_address=context.ip_address,
        via=context.via,
    )


def record_many(entries: Iterable[AuditEntry | Mapping[str, Any]]) -> None:
    """Write many entries with one prepared statement (bulk paths: imports, ingestion, merges).

    Entries are AuditEntry instances (not saved, and not given ids) or plain mappings of
    the same field names (`actor_id`, `object_type`, `after`, …) — cheaper for thousands a
    second; a name left out takes the field's default. Unlike bulk_create, which compiles
    every value through the field machinery (a third of the time of a bulk ingestion),
    each column is adapted by one converter chosen once.
    """
    fields = _fields()
    defaults = _defaults(fields)
    # Defaults adapted once, not once per entry (the default time alone cost microseconds a
    # row), and plain values not passed through a converter at all.
    columns_ = [(f.attname, None if to_db is _as_is else to_db, to_db(defaults[f.attname])) for f, to_db in fields]
    rows = []
    for entry in entries:
        values = entry if isinstance(entry, Mapping) else entry.__dict__
        rows.append([
            fallback if (value := values.get(name)) is None or value == "" else value if to_db is None else to_db(value)
            for name, to_db, fallback in columns_
        ])
    _insert([f for f, _to_db in fields], rows)


def record_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write entries given as tuples of `columns`, each value already as the database takes it (JSON: `db_json`).

    For the bulk path that writes most entries (an import creating a million contacts):
    a mapping per entry, read back column by column, cost more than inserting it. Every
    other column takes the value record_many would give it (the time, the context's via
    and IP address, the field's default).
    """
    fields = _fields()
    by_name = {f.attname: (f, to_db) for f, to_db in fields}
    defaults = _defaults(fields)
    rest = [(f, to_db) for f, to_db in fields if f.attname not in columns]
    tail = tuple(to_db(defaults[f.attname]) for f, to_db in rest)
    _insert([by_name[name][0] for name in columns] + [f for f, _to_db in rest], [(*row, *tail) for row in rows])


def _fields() -> list[tuple[models.Field, Any]]:
    """Return the entry's columns (not the id), each with how its values are adapted for the database."""
    return [(f, _db_converter(f)) for f in AuditEntry._meta.concrete_fields if not f.primary_key]


def _defaults(fields: list[tuple[models.Field, Any]]) -> dict[str, Any]:
    context = _context.get()
    defaults = {f.attname: f.get_default() for f, _to_db in fields}
    defaults.update(via=context.via, ip_address=context.ip_address, at=timezone.now())
    return defaults


def _insert(fields: list[models.Field], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    table, columns = quote(AuditEntry._meta.db_table), ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: psycopg writes each value in C, and PostgreSQL plans nothing.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", rows)


def _as_is(value: Any) -> Any:
    return value


def _db_converter(field: models.Field) -> Any:
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None else connection.ops.adapt_json_value(value, field.encoder)
    if isinstance(field, models.GenericIPAddressField):
        return lambda value: field.get_db_prep_save(value, connection)
    return _as_is
