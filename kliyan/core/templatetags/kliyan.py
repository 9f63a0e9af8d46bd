"""Template filters that format for the active language with Babel (CLDR data for all six)."""

from __future__ import annotations

import datetime as dt
import decimal

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from django import template
from django.utils import timezone, translation

from kliyan.core.phones import format_international

register = template.Library()


def _locale() -> str:
    return (translation.get_language() or "en").replace("-", "_")


@register.filter
def kdate(value: dt.date | dt.datetime | None, fmt: str = "medium") -> str:
    """Format a date for the active language ("12 mars 2026", "Mar 12, 2026")."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return babel_dates.format_date(value, format=fmt, locale=_locale())


@register.filter
def kdatetime(value: dt.datetime | None, fmt: str = "medium") -> str:
    """Format a date and time in the active time zone and language."""
    if value is None or value == "":
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    date_part = babel_dates.format_date(value.date(), format=fmt, locale=_locale())
    time_part = babel_dates.format_time(value.time(), format="short", locale=_locale())
    return f"{date_part} {time_part}"


@register.filter
def knumber(value: int | float | decimal.Decimal | None) -> str:
    """Format a number with the active language's separators ("1 234,5" in French)."""
    if value is None or value == "":
        return ""
    return babel_numbers.format_decimal(value, locale=_locale())


@register.filter
def kmoney(value: decimal.Decimal | None, currency: str) -> str:
    if value is None or value == "":
        return ""
    return babel_numbers.format_currency(value, currency, locale=_locale())


@register.filter
def phone(value: str) -> str:
    """Show an E.164 number in readable international form."""
    return format_international(value) if value else ""
