"""Value types for API parameters, bounded to what the database can hold.

Without these bounds a client's 20-digit id or a date-time in year 9999 at UTC-14 reaches
the database driver and fails there (a 500); with them the 422 names the parameter.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

# The largest value of a 64-bit signed integer column, the widest id any backend stores.
MAX_ID = 2**63 - 1

ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]


def storable_datetime(value: dt.datetime) -> dt.datetime:
    """Refuse a date-time that cannot be converted to UTC (the first and last day of the calendar)."""
    # An offset (or the organisation's time zone, for a naive value) is less than a day.
    try:
        value + dt.timedelta(days=1)
        value - dt.timedelta(days=1)
    except OverflowError:
        raise PydanticCustomError("datetime_range", _("Use a date between the years 1 and 9999.")) from None
    return value


def iso_only(value: Any) -> Any:
    """Refuse a bare number: pydantic would read "0.5" as seconds since 1970, which no client means."""
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        raise PydanticCustomError("datetime_format", _("Use an ISO 8601 date-time, e.g. 2026-03-14T09:30:00Z."))
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


ApiDateTime = Annotated[dt.datetime, BeforeValidator(iso_only), AfterValidator(storable_datetime)]
