"""Keyset (cursor) pagination: the same cost for page 1 and page 40,000.

A cursor is the sort values of the last row of the previous page, opaque to clients.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Model, Q, QuerySet
from django.utils.translation import gettext as _

from kliyan.core.errors import ValidationFailed

T = TypeVar("T")
# The widest integer any backend stores (64-bit signed).
MAX_INT = 2**63 - 1


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode(values: list[Any]) -> str:
    payload = [v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, json.JSONDecodeError):
        raise ValidationFailed(field_errors={"cursor": [_("This cursor is not valid.")]}) from None
    if not isinstance(values, list) or len(values) != count:
        raise ValidationFailed(field_errors={"cursor": [_("This cursor is not valid.")]})
    return values


def _clean(model: type[Model], ordering: list[str], values: list[Any]) -> list[Any]:
    """Return the cursor's values as the sort fields' types; refuse any that could not come from a page.

    A cursor is opaque but client-held: a hand-made one must get a 422, not reach the database.
    """
    cleaned = []
    for name, value in zip(ordering, values, strict=True):
        field = _field(model, name.lstrip("-"))
        if value is None and field.null:
            cleaned.append(None)
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValidationFailed(field_errors={"cursor": [_("This cursor is not valid.")]})
        try:
            value = field.to_python(value)
        except (DjangoValidationError, TypeError, ValueError):
            raise ValidationFailed(field_errors={"cursor": [_("This cursor is not valid.")]}) from None
        if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
            raise ValidationFailed(field_errors={"cursor": [_("This cursor is not valid.")]})
        cleaned.append(value)
    return cleaned


def _field(model: type[Model], name: str) -> Field:
    *path, last = name.split("__")
    for part in path:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(last)


def _after(ordering: list[str], values: list[Any]) -> Q:
    """Return the condition "row comes after `values` in `ordering`" (a lexicographic keyset)."""
    condition = Q()
    for n in range(len(ordering) - 1, -1, -1):
        name = ordering[n].lstrip("-")
        lookup = "lt" if ordering[n].startswith("-") else "gt"
        step = Q(**{f"{name}__{lookup}": values[n]})
        if n < len(ordering) - 1:
            step |= Q(**{name: values[n]}) & condition
        condition = step
    first = ordering[0].lstrip("-")
    if values[0] is not None:
        # The same condition, but with a plain range on the leading column that SQLite can
        # seek an index with; the OR alone makes it scan from the start (seconds at 1M rows).
        bound = "lte" if ordering[0].startswith("-") else "gte"
        condition = Q(**{f"{first}__{bound}": values[0]}) & condition
    return condition


def keyset_page(queryset: QuerySet, *, ordering: list[str], cursor: str | None, size: int) -> Page:
    """Return one page of `queryset` ordered by `ordering` (which must end with a unique field)."""
    if cursor:
        values = _clean(queryset.model, ordering, _decode(cursor, len(ordering)))
        queryset = queryset.filter(_after(ordering, values))
    rows = list(queryset.order_by(*ordering)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = _encode([_value(last, f.lstrip("-")) for f in ordering])
    return Page(items=rows, next_cursor=next_cursor)


def _value(row: Any, name: str) -> Any:
    value = row
    for part in name.split("__"):
        value = getattr(value, part)
    return value
