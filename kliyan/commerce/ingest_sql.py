"""Insert and update rows of the commerce tables in bulk, without building model instances.

Why not `bulk_create`/`bulk_update`: for thousands of orders a second, Django spends
most of its time compiling each value through the field machinery (and `bulk_update`
writes one CASE per column). The values here are already clean Python values of known
types, so they only need the backend's adaptation. Only the commerce app's own tables
go through here; audit entries still go through kliyan.core.audit.record_many.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

# PostgreSQL takes 65,535 parameters a statement.
DEFAULT_MAX_PARAMS = 65_535
MAX_ROWS = 1000


def _row_adapter(model: type[models.Model], names: Sequence[str]) -> Any:
    """Return a function giving the parameters for rows of `names` values, in the form the driver expects.

    Only date and date-time columns need converting (the drivers take Decimals, ints and
    text as they are), so the columns to convert are chosen once from the model's fields
    instead of asking every value its type.
    """
    ops = connection.ops
    fields = {f.attname: f for f in model._meta.concrete_fields}
    # A chunk repeats the same few date-times (its write time, the sender's stamps), and
    # converting one to the backend's form is the slowest part of adapting a row.
    moments: dict[dt.datetime, Any] = {}

    def moment(value: dt.datetime) -> Any:
        adapted = moments.get(value)
        if adapted is None:
            adapted = moments[value] = ops.adapt_datetimefield_value(value)
        return adapted

    converted = []
    for position, name in enumerate(names):
        if isinstance(fields[name], models.DateTimeField):
            converted.append((position, moment))
        elif isinstance(fields[name], models.DateField):
            converted.append((position, ops.adapt_datefield_value))

    def params_of(rows: Sequence[Sequence[Any]]) -> list[Any]:
        params: list[Any] = []
        if not converted:
            for row in rows:
                params.extend(row)
            return params
        for row in rows:
            values = list(row)
            for position, convert in converted:
                if values[position] is not None:
                    values[position] = convert(values[position])
            params.extend(values)
        return params

    return params_of


def max_params() -> int:
    """Return how many parameters one statement may carry on this database."""
    if connection.vendor == "sqlite":
        # Django assumes SQLite's old limit of 999; builds since 3.32 allow 32,766.
        import sqlite3

        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or DEFAULT_MAX_PARAMS


def _columns(model: type[models.Model], names: Sequence[str]) -> list[str]:
    fields = {f.attname: f.column for f in model._meta.concrete_fields}
    return [connection.ops.quote_name(fields[name]) for name in names]


def insert_returning_ids(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Insert `rows` (values in the order of `names`); return their new ids in the same order.

    Multi-row INSERT … RETURNING answers in the order of VALUES on SQLite and PostgreSQL,
    which Django's own bulk_create relies on too.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        ids = _next_ids(model, len(rows))
        _copy(model, [model._meta.pk.attname, *names], [(pk_value, *row) for pk_value, row in zip(ids, rows, strict=True)])
        return ids
    params_of = _row_adapter(model, names)
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    columns = ", ".join(_columns(model, names))
    per_row = "(" + ", ".join(["%s"] * len(names)) + ")"
    batch = max(1, min(MAX_ROWS, max_params() // len(names)))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            part = rows[start:start + batch]
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([per_row] * len(part))} RETURNING {pk}"
            cursor.execute(sql, params_of(part))
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def insert_rows(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert `rows` whose ids nobody needs back, many rows a statement.

    Not executemany: PostgreSQL would then run one INSERT a row.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy(model, names, rows)
        return
    params_of = _row_adapter(model, names)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_columns(model, names))
    per_row = "(" + ", ".join(["%s"] * len(names)) + ")"
    batch = max(1, min(MAX_ROWS, max_params() // len(names)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            part = rows[start:start + batch]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([per_row] * len(part))}",
                params_of(part),
            )


def _next_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` ids from the table's sequence (PostgreSQL), in order."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Load rows with COPY (PostgreSQL): psycopg turns each value into COPY's text in C.

    A multi-row INSERT makes psycopg adapt every one of tens of thousands of parameters
    and PostgreSQL parse and plan a statement that long: COPY does neither.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_columns(model, names))
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def update_rows(model: type[models.Model], names: Sequence[str], rows: Sequence[tuple[int, Sequence[Any]]]) -> None:
    """Set `names` to the given values on each (id, values) row."""
    if not rows:
        return
    params_of = _row_adapter(model, names)
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    assignments = ", ".join(f"{column} = %s" for column in _columns(model, names))
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[*params_of([values]), pk_value] for pk_value, values in rows])


def lookup(model: type[models.Model], key: str, value: str, keys: Sequence[Any]) -> dict[Any, Any]:
    """Return {key: value} for the rows whose `key` column is one of `keys` (for thousands of SKUs a chunk)."""
    if not keys:
        return {}
    table = connection.ops.quote_name(model._meta.db_table)
    key_column, value_column = _columns(model, [key, value])
    limit = max_params()
    found: dict[Any, Any] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), limit):
            part = keys[start:start + limit]
            cursor.execute(
                f"SELECT {key_column}, {value_column} FROM {table} WHERE {key_column} IN ({', '.join(['%s'] * len(part))})",
                list(part),
            )
            found.update(cursor.fetchall())
    return found
