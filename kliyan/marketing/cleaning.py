"""Checks the marketing services share: a record's name, and finding a record by the id a caller sent."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model
from django.utils.translation import gettext as _

from kliyan.core.api_types import MAX_ID
from kliyan.core.errors import FieldErrors, NotFound

NAME_LIMIT = 100
M = TypeVar("M", bound=Model)


def clean_name(value: Any, errors: FieldErrors) -> str:
    """Return `value` stripped; note under "name" when it is missing or too long."""
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        errors.add("name", _("This field is required."))
    elif len(name) > NAME_LIMIT:
        errors.add("name", _("At most %(limit)d characters.") % {"limit": NAME_LIMIT})
    return name


def found(model: type[M], pk: Any, missing: str) -> M:
    """Return the `model` row with id `pk` (an int in the ids' range), or raise NotFound with `missing`."""
    row = model.objects.filter(pk=pk).first() if isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk <= MAX_ID else None
    if row is None:
        raise NotFound(missing)
    return row
