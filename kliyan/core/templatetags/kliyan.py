"""Template filters that format for the active language with Babel (CLDR data for all six)."""

from __future__ import annotations

import datetime as dt
import decimal

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from django import template
from django.forms import BoundField
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from kliyan.core.icons import icon_svg
from kliyan.core.phones import format_international

register = template.Library()


# CLDR's Haitian Creole data has only "basic" coverage (newer Babel releases
# write "2026 M03 12"); Haiti writes dates and numbers the French way.
_FORMAT_LOCALES = {"ht": "fr_HT"}


def _locale() -> str:
    code = (translation.get_language() or "en").replace("-", "_")
    return _FORMAT_LOCALES.get(code, code)


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


@register.simple_tag
def icon(name: str, extra_class: str = "") -> SafeString:
    """Render a named inline SVG icon (decorative: hidden from screen readers)."""
    return icon_svg(name, extra_class)


@register.simple_tag
def field_input(field: BoundField) -> SafeString:
    """Render a field's widget tied to its help and error texts for screen readers."""
    attrs: dict[str, str] = {}
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_help")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)


# Which main-menu entry a page belongs to, from its URL name (a page may be reached from two).
_SECTIONS: dict[tuple[str, str], str] = {
    ("interactions", "my_day"): "my_day",
    ("core", "settings"): "settings",
    ("core", "audit_log"): "audit",
    ("accounts", "user_list"): "users",
    ("accounts", "token_list"): "tokens",
}


@register.simple_tag(takes_context=True)
def nav_section(context: template.Context) -> str:
    """Return the main-menu section of the current page ("contacts", "tasks", …)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    namespace, name = match.namespace, match.url_name or ""
    if (namespace, name) in _SECTIONS:
        return _SECTIONS[(namespace, name)]
    if namespace == "contacts":
        return "companies" if name.startswith("compan") else "contacts"
    if namespace == "interactions":
        return "tasks" if name.startswith("task") else "contacts"
    if namespace == "accounts" and name.startswith("user"):
        return "users"
    if namespace == "accounts" and name.startswith("token"):
        return "tokens"
    if namespace == "webhooks":
        return "webhooks"
    return ""
