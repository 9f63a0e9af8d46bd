"""Template filters for screen-pop sections, whose data is JSON (dates as ISO 8601 text)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.dateparse import parse_date, parse_datetime

register = template.Library()


@register.filter
def iso_datetime(value: str | None) -> dt.datetime | None:
    """Turn ISO 8601 text back into a date-time, for kdatetime."""
    return parse_datetime(value) if value else None


@register.filter
def iso_date(value: str | None) -> dt.date | None:
    """Turn ISO 8601 text back into a date, for kdate."""
    return parse_date(value) if value else None
