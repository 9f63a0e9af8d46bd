"""Insert imported rows as plain tuples: the columns a writer fills, then every other column's default.

bulk_create builds a model instance per row and compiles each value through the field
machinery: for a million contacts and their e-mails, phones and links that was most of the
import's time. The values here are already clean Python values of known types, so only
dates and times need adapting, and the rows go to the database in the cheapest form each
one takes: on SQLite, multi-row INSERT statements with "?" placeholders straight to the
driver (Django's cursor rewrites every "%s" of a statement with a regular expression:
tens of thousands of them per statement); on PostgreSQL, COPY. Columns that other apps add
to a model later get their default, so the writer keeps working when a model gains a field.

Multi-row statements rather than executemany matter on SQLite for another reason: the
contacts' full-text index (FTS5, kept by a trigger) writes its pending terms to disk at
every statement that fires the trigger inside a transaction; a statement of a thousand rows
costs one such flush instead of a thousand (200 µs a row otherwise).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

# At most this many rows in one SQLite statement (and never more than its placeholder limit allows).
MAX_ROWS = 2000
# A batch's last rows go in statements of these sizes, so that only a few statement texts ever
# exist: the driver keeps up to 128 prepared statements, and one of a thousand rows of twenty
# columns holds megabytes (a different size for every batch filled that cache with hundreds of MB).
REMAINDER_SIZES = (256, 32, 4, 1)


def statement_sizes(count: int, per_statement: int) -> list[int]:
    """Return how many rows each statement carries: full statements, then the rest in REMAINDER_SIZES pieces."""
    sizes = []
    while count:
        size = per_statement if count >= per_statement else next(s for s in REMAINDER_SIZES if s <= count)
        sizes.append(size)
        count -= size
    return sizes


def db_json(value: Any, field: models.JSONField | None = None) -> Any:
    """Return a value for a JSON column in the form the database driver takes."""
    return connection.ops.adapt_json_value(value, field.encoder if field is not None else None)


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    """Return how a value of the field is adapted for the driver, or None when it goes as it is."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        adapt = ops.adapt_datetimefield_value
    elif isinstance(field, models.DateField):
        adapt = ops.adapt_datefield_value
    else:
        return None
    # A batch repeats one time (its "now") in every row: remember the last value adapted.
    last: list[Any] = [None, None]

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if value is not last[0]:
            last[0], last[1] = value, adapt(value)
        return last[1]

    return convert


class Table:
    """The rows of one model's table: `names` first, in order, then every other column at its default."""

    def __init__(self, model: type[models.Model], names: Sequence[str]) -> None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        by_name = {f.attname: f for f in fields}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise ValueError(f"{model.__name__} has no column {unknown[0]!r}")
        rest = [f for f in fields if f.attname not in names]
        for f in rest:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                raise ValueError(f"Give {model.__name__}.{f.attname} a value: its default is the time of saving.")
        self.model = model
        self.names = [*names, *(f.attname for f in rest)]
        self.tail = tuple(self._default(f) for f in rest)
        converters = [(n, _converter(by_name[name])) for n, name in enumerate(names)]
        self.converters = [(n, convert) for n, convert in converters if convert is not None]
        quote = connection.ops.quote_name
        self.sql_table = quote(model._meta.db_table)
        self.sql_columns = ", ".join(quote(by_name[name].column) for name in self.names)
        self.sql_pk = quote(model._meta.pk.column)

    @staticmethod
    def _default(field: models.Field) -> Any:
        value = field.get_default()
        if value is None:
            return None
        if isinstance(field, models.JSONField):
            return db_json(value, field)
        return field.get_db_prep_save(value, connection)

    def _adapted(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not self.converters:
            return [row + self.tail for row in rows]
        adapted = []
        for row in rows:
            values = list(row)
            for position, convert in self.converters:
                values[position] = convert(values[position])
            adapted.append((*values, *self.tail))
        return adapted

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self._insert(self._adapted(rows), returning=False)

    def insert_returning_ids(self, rows: Sequence[tuple[Any, ...]]) -> list[int]:
        """Insert the rows; return their new ids in the order of `rows`."""
        if not rows:
            return []
        return self._insert(self._adapted(rows), returning=True)

    def _insert(self, rows: list[tuple[Any, ...]], *, returning: bool) -> list[int]:
        if connection.vendor == "postgresql":
            return self._copy(rows, returning=returning)
        return self._values(rows, returning=returning)

    def _values(self, rows: list[tuple[Any, ...]], *, returning: bool) -> list[int]:
        """SQLite: multi-row INSERT … VALUES (… RETURNING id), given to the driver as is."""
        from kliyan.commerce.ingest_sql import max_params

        width = len(self.names)
        per_statement = max(1, min(MAX_ROWS, max_params() // width))
        one_row = "(" + ", ".join(["?"] * width) + ")"
        suffix = f" RETURNING {self.sql_pk}" if returning else ""
        ids: list[int] = []
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the driver's cursor under Django's "%s" rewriting
            execute = super(type(raw), raw).execute  # sqlite3.Cursor.execute: no regular expression over the SQL
            start = 0
            for size in statement_sizes(len(rows), per_statement):
                part = rows[start:start + size]
                start += size
                sql = f"INSERT INTO {self.sql_table} ({self.sql_columns}) VALUES {', '.join([one_row] * size)}{suffix}"
                execute(sql, list(itertools.chain.from_iterable(part)))
                if returning:
                    # Multi-row INSERT … RETURNING answers in the order of VALUES (Django's bulk_create relies on it too).
                    ids.extend(row[0] for row in raw.fetchall())
        return ids

    def _copy(self, rows: list[tuple[Any, ...]], *, returning: bool) -> list[int]:
        """PostgreSQL: COPY, with the ids taken from the table's sequence first when they are needed."""
        sql_columns = self.sql_columns
        ids: list[int] = []
        if returning:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [self.model._meta.db_table, self.model._meta.pk.column, len(rows)],
                )
                ids = [row[0] for row in cursor.fetchall()]
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
            sql_columns = f"{self.sql_pk}, {self.sql_columns}"
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {self.sql_table} ({sql_columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return ids
