"""Check and normalise one record another system sends, in pure Python (no queries).

Each `clean_<kind>` takes the record as decoded from JSON (numbers as Decimal, see
`kliyan.commerce.ingest_ndjson.loads`) and returns a plain dict of clean values, adding
to `errors` one message per bad field, named as the sender wrote it ("lines[2].quantity").
References to other rows (SKUs, customers, orders, invoices) are only read here; the
chunk resolves them all at once (kliyan.commerce.ingest).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel.numbers import list_currencies
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kliyan.commerce.choices import OrderStatus, PaymentMethod, SalesChannel
from kliyan.core.errors import FieldErrors
from kliyan.core.phones import InvalidPhone, parse_phone

Record = dict[str, Any]

# Model limits (kliyan/commerce/models.py): digits after the point, and in all.
MONEY_PLACES, MONEY_DIGITS = 4, 18
QUANTITY_PLACES, QUANTITY_DIGITS = 3, 14
CENT = Decimal("0.01")
ZERO = Decimal("0")
MAX_LINES = 1000
CATEGORY_SEPARATOR = "/"
CUSTOMER_FIELDS = ("contact_id", "contact_email", "contact_phone", "company_id")
# Read once: TextChoices.values builds a new list on every call.
ORDER_STATUSES = list(OrderStatus.values)
SALES_CHANNELS = list(SalesChannel.values)
PAYMENT_METHODS = list(PaymentMethod.values)


@cache
def currencies() -> frozenset[str]:
    """Return the ISO 4217 codes Babel (CLDR) knows."""
    return frozenset(list_currencies())


# --- single values ------------------------------------------------------------------------

def text(raw: Record, field: str, errors: FieldErrors, *, limit: int, required: bool = False, name: str | None = None) -> str:
    name = name or field
    value = raw.get(field)
    if value is None:
        value = ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        errors.add(name, _("Send text."))
        return ""
    value = str(value).strip()
    if "\x00" in value:
        # PostgreSQL cannot store it; SQLite would, and the two must behave alike.
        errors.add(name, _("Text may not contain the NUL character."))
        return ""
    if required and not value:
        errors.add(name, _("This field is required."))
    elif len(value) > limit:
        errors.add(name, _("At most %(limit)d characters.") % {"limit": limit})
    return value


def decimal(
    raw: Record, field: str, errors: FieldErrors, *, places: int = MONEY_PLACES, digits: int = MONEY_DIGITS,
    required: bool = False, positive: bool = False, default: Decimal | None = None, name: str | None = None,
) -> Decimal | None:
    """Return the field as a Decimal that fits the column; never negative."""
    value = raw.get(field)
    if value is None or value == "":
        if required:
            errors.add(name or field, _("This field is required."))
        return default
    kind = type(value)
    if kind is bool or kind not in _NUMBER_TYPES:
        errors.add(name or field, _("Send a number."))
        return None
    try:
        # Decimal() reads text with surrounding spaces; a float went through binary
        # already, and str() gives back the digits the sender wrote.
        number = value if kind is Decimal else Decimal(value if kind is str else str(value))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors.add(name or field, _("“%(value)s” is not a number.") % {"value": value})
        return None
    exponent = number.as_tuple().exponent
    problem = _decimal_problem(number, exponent, places, digits, positive)  # type: ignore[arg-type]
    if problem:
        errors.add(name or field, problem)
        return None
    return number.quantize(_STEPS[places]) if exponent < -places else number  # type: ignore[operator]


_NUMBER_TYPES = frozenset({Decimal, int, float, str})
_STEPS = {places: Decimal(1).scaleb(-places) for places in range(0, 7)}


def _decimal_problem(number: Decimal, exponent: int, places: int, digits: int, positive: bool) -> str:
    if number < 0:
        return _("May not be negative.")
    if positive and number == 0:
        return _("Must be more than zero.")
    if exponent < -places and number != number.quantize(_STEPS[places]):
        return _("At most %(places)d digits after the decimal point.") % {"places": places}
    if number.adjusted() >= digits - places:
        return _("This number is too large.")
    return ""


def moment(raw: Record, field: str, errors: FieldErrors, *, required: bool = True) -> dt.datetime | None:
    """Return an aware date-time from ISO 8601 text (a time without offset is UTC)."""
    value = raw.get(field)
    if value is None or value == "":
        if required:
            errors.add(field, _("This field is required."))
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        errors.add(field, _("“%(value)s” is not a date and time (use ISO 8601, e.g. 2026-11-29T14:30:00Z).") % {"value": value})
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    try:
        # The database stores UTC: an offset at the calendar's ends would overflow there.
        parsed.astimezone(dt.UTC)
    except OverflowError:
        errors.add(field, _("Use a date between the years 1 and 9999."))
        return None
    return parsed


def day(raw: Record, field: str, errors: FieldErrors, *, required: bool = True) -> dt.date | None:
    value = raw.get(field)
    if value is None or value == "":
        if required:
            errors.add(field, _("This field is required."))
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(field, _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": value})
        return None


def currency(raw: Record, field: str, errors: FieldErrors, *, required: bool = True, name: str | None = None) -> str:
    name = name or field
    value = raw.get(field)
    if value is None or value == "":
        if required:
            errors.add(name, _("This field is required."))
        return ""
    code = str(value).strip().upper()
    if code not in currencies():
        errors.add(name, _("“%(value)s” is not an ISO 4217 currency code (e.g. HTG, EUR, USD).") % {"value": value})
        return ""
    return code


def choice(raw: Record, field: str, errors: FieldErrors, allowed: list[str], default: str) -> str:
    value = raw.get(field)
    if value is None or value == "":
        return default
    code = str(value).strip().lower()
    if code not in allowed:
        errors.add(field, _("“%(value)s” is not one of: %(choices)s.") % {"value": value, "choices": ", ".join(allowed)})
        return default
    return code


def flag(raw: Record, field: str, errors: FieldErrors, *, default: bool) -> bool:
    value = raw.get(field)
    if value is None:
        return default
    if not isinstance(value, bool):
        errors.add(field, _("Send true or false."))
        return default
    return value


def object_id(raw: Record, field: str, errors: FieldErrors) -> int | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        errors.add(field, _("“%(value)s” is not a valid id.") % {"value": value})
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(field, _("“%(value)s” is not a valid id.") % {"value": value})
        return None
    if not 0 < number < 2**63:
        errors.add(field, _("“%(value)s” is not a valid id.") % {"value": value})
        return None
    return number


def category_path(raw: Record, field: str, errors: FieldErrors) -> list[str]:
    """Split "Shoes/Children" into ["Shoes", "Children"]."""
    path = text(raw, field, errors, limit=1000)
    parts = [part.strip() for part in path.split(CATEGORY_SEPARATOR)] if path else []
    if any(not part for part in parts):
        errors.add(field, _("A category path is names separated by “/”, e.g. “Shoes/Children”."))
        return []
    if any(len(part) > 120 for part in parts):
        errors.add(field, _("At most %(limit)d characters.") % {"limit": 120})
        return []
    return parts


# --- the fields every record has ----------------------------------------------------------

def key_and_version(raw: Record, errors: FieldErrors, *, source: str | None, external_id: str | None) -> Record:
    """Return source, external_id and updated_at; the address (PUT) names the key when given."""
    clean: Record = {}
    for field, given in (("source", source), ("external_id", external_id)):
        limit = 50 if field == "source" else 100
        sent = text(raw, field, errors, limit=limit)
        if given is not None:
            if sent and sent != given:
                errors.add(field, _("Differs from the one in the address (“%(value)s”).") % {"value": given})
            if len(given) > limit:
                errors.add(field, _("At most %(limit)d characters.") % {"limit": limit})
            if "\x00" in given:
                errors.add(field, _("Text may not contain the NUL character."))
            sent = given
        if not sent and field not in errors.errors:
            errors.add(field, _("This field is required."))
        clean[field] = sent
    clean["updated_at"] = moment(raw, "updated_at", errors)
    return clean


def customer(raw: Record, errors: FieldErrors) -> Record:
    """Read the customer references: a contact (id, e-mail or phone) and/or a company id."""
    refs: Record = {"contact_id": object_id(raw, "contact_id", errors), "company_id": object_id(raw, "company_id", errors)}
    email = text(raw, "contact_email", errors, limit=254).lower()
    if email and "@" not in email:
        errors.add("contact_email", _("“%(value)s” is not an e-mail address.") % {"value": email})
        email = ""
    refs["contact_email"] = email
    phone = text(raw, "contact_phone", errors, limit=40)
    refs["contact_phone"] = ""
    if phone:
        try:
            refs["contact_phone"] = parse_phone(phone).e164
        except InvalidPhone:
            errors.add("contact_phone", _("“%(value)s” is not a phone number.") % {"value": phone})
    return refs


def _unknown_fields(raw: Record, allowed: frozenset[str], errors: FieldErrors, prefix: str = "") -> None:
    # A misspelt field would otherwise be dropped without a word.
    if raw.keys() <= allowed:
        return
    for field in raw:
        if field not in allowed:
            errors.add(f"{prefix}{field}", _("Unknown field."))


COMMON = frozenset({"source", "external_id", "updated_at"})


# --- one function per kind ----------------------------------------------------------------

CATEGORY_FIELDS = COMMON | {"name", "parent", "parent_external_id"}


def clean_category(raw: Record, errors: FieldErrors, **key: str | None) -> Record:
    _unknown_fields(raw, CATEGORY_FIELDS, errors)
    clean = key_and_version(raw, errors, **key)
    clean["name"] = text(raw, "name", errors, limit=120, required=True)
    if CATEGORY_SEPARATOR in clean["name"]:
        errors.add("name", _("A category name may not contain “/”; send the parent in “parent”."))
    clean["parent_path"] = category_path(raw, "parent", errors)
    clean["parent_external_id"] = text(raw, "parent_external_id", errors, limit=100)
    return clean


PRODUCT_FIELDS = COMMON | {"sku", "name", "category", "category_external_id", "price", "currency", "cost", "active"}


def clean_product(raw: Record, errors: FieldErrors, **key: str | None) -> Record:
    _unknown_fields(raw, PRODUCT_FIELDS, errors)
    clean = key_and_version(raw, errors, **key)
    clean["sku"] = text(raw, "sku", errors, limit=64, required=True)
    clean["name"] = text(raw, "name", errors, limit=200, required=True)
    clean["category_path"] = category_path(raw, "category", errors)
    clean["category_external_id"] = text(raw, "category_external_id", errors, limit=100)
    clean["price"] = decimal(raw, "price", errors, required=True)
    clean["currency"] = currency(raw, "currency", errors)
    clean["cost"] = decimal(raw, "cost", errors)
    clean["active"] = flag(raw, "active", errors, default=True)
    return clean


STOCK_FIELDS = COMMON | {"sku", "location", "quantity"}


def clean_stock(raw: Record, errors: FieldErrors, **key: str | None) -> Record:
    _unknown_fields(raw, STOCK_FIELDS, errors)
    clean = key_and_version(raw, errors, **key)
    clean["sku"] = text(raw, "sku", errors, limit=64, required=True)
    clean["location"] = text(raw, "location", errors, limit=100)
    clean["quantity"] = decimal(raw, "quantity", errors, places=QUANTITY_PLACES, digits=QUANTITY_DIGITS, required=True)
    return clean


ORDER_FIELDS = COMMON | set(CUSTOMER_FIELDS) | {
    "number", "ordered_at", "currency", "status", "sales_channel", "note", "lines", "discount", "tax", "total",
}
LINE_FIELDS = frozenset({"sku", "description", "quantity", "unit_price", "discount", "currency"})


def _clean_line(raw: Any, n: int, order_currency: str, errors: FieldErrors) -> Record | None:
    prefix = f"lines[{n}]."
    if not isinstance(raw, dict):
        errors.add(f"lines[{n}]", _("Send a JSON object."))
        return None
    before = len(errors.errors)
    _unknown_fields(raw, LINE_FIELDS, errors, prefix)
    line: Record = {
        "sku": text(raw, "sku", errors, limit=64, name=prefix + "sku"),
        "description": text(raw, "description", errors, limit=255, name=prefix + "description"),
        "quantity": decimal(raw, "quantity", errors, places=QUANTITY_PLACES, digits=QUANTITY_DIGITS, required=True,
                            positive=True, name=prefix + "quantity"),
        "unit_price": decimal(raw, "unit_price", errors, required=True, name=prefix + "unit_price"),
        "discount": decimal(raw, "discount", errors, default=ZERO, name=prefix + "discount"),
    }
    if not line["sku"] and not line["description"]:
        errors.add(prefix + "sku", _("A line needs a product SKU or a description."))
    line_currency = currency(raw, "currency", errors, required=False, name=prefix + "currency")
    if line_currency and order_currency and line_currency != order_currency:
        errors.add(prefix + "currency", _("Currency mismatch: the line is in %(line)s, the order in %(order)s.")
                   % {"line": line_currency, "order": order_currency})
    if len(errors.errors) != before or line["quantity"] is None or line["unit_price"] is None or line["discount"] is None:
        return None
    gross = line["quantity"] * line["unit_price"]
    if line["discount"] > gross:
        errors.add(prefix + "discount", _("The discount is more than the line (%(gross)s).") % {"gross": gross})
        return None
    line["line_total"] = (gross - line["discount"]).quantize(Decimal(1).scaleb(-MONEY_PLACES))
    return line


def clean_order(raw: Record, errors: FieldErrors, **key: str | None) -> Record:
    _unknown_fields(raw, ORDER_FIELDS, errors)
    clean = key_and_version(raw, errors, **key)
    clean["number"] = text(raw, "number", errors, limit=64, required=True)
    clean["ordered_at"] = moment(raw, "ordered_at", errors)
    clean["currency"] = currency(raw, "currency", errors)
    clean["status"] = choice(raw, "status", errors, ORDER_STATUSES, OrderStatus.PLACED.value)
    clean["sales_channel"] = choice(raw, "sales_channel", errors, SALES_CHANNELS, SalesChannel.SHOP.value)
    clean["note"] = text(raw, "note", errors, limit=20000)
    clean.update(customer(raw, errors))
    clean["discount"] = decimal(raw, "discount", errors, default=ZERO)
    clean["tax"] = decimal(raw, "tax", errors, default=ZERO)
    given_total = decimal(raw, "total", errors)
    lines = raw.get("lines")
    clean["lines"] = []
    if not isinstance(lines, list) or not lines:
        errors.add("lines", _("An order needs at least one line.") if isinstance(lines, list | type(None)) else _("Send a list of lines."))
        return clean
    if len(lines) > MAX_LINES:
        errors.add("lines", _("At most %(limit)d lines.") % {"limit": MAX_LINES})
        return clean
    for n, raw_line in enumerate(lines):
        line = _clean_line(raw_line, n, clean["currency"], errors)
        if line is not None:
            clean["lines"].append(line)
    if errors or clean["discount"] is None or clean["tax"] is None:
        return clean
    subtotal = sum((line["line_total"] for line in clean["lines"]), ZERO)
    total = subtotal - clean["discount"] + clean["tax"]
    if total < 0:
        errors.add("discount", _("The discount is more than the order (%(subtotal)s).") % {"subtotal": subtotal})
    if given_total is not None and abs(given_total - total) > CENT:
        errors.add("total", _("The total %(given)s does not match the lines: %(computed)s (lines − discount + tax).")
                   % {"given": given_total, "computed": total})
    clean["subtotal"], clean["total"] = subtotal, total
    return clean


INVOICE_FIELDS = COMMON | set(CUSTOMER_FIELDS) | {
    "number", "issued_on", "due_on", "currency", "total", "status", "order_external_id", "order_number",
}
INVOICE_STATUSES = ["open", "void"]


def clean_invoice(raw: Record, errors: FieldErrors, **key: str | None) -> Record:
    _unknown_fields(raw, INVOICE_FIELDS, errors)
    clean = key_and_version(raw, errors, **key)
    clean["number"] = text(raw, "number", errors, limit=64, required=True)
    clean["issued_on"] = day(raw, "issued_on", errors)
    clean["due_on"] = day(raw, "due_on", errors, required=False) or clean["issued_on"]
    if clean["issued_on"] and clean["due_on"] and clean["due_on"] < clean["issued_on"]:
        errors.add("due_on", _("Due before it was issued."))
    clean["currency"] = currency(raw, "currency", errors)
    clean["total"] = decimal(raw, "total", errors, required=True)
    # "paid" is not sent: it follows from the payments applied to the invoice.
    clean["void"] = choice(raw, "status", errors, INVOICE_STATUSES, "open") == "void"
    clean["order_external_id"] = text(raw, "order_external_id", errors, limit=100)
    clean["order_number"] = text(raw, "order_number", errors, limit=64)
    clean.update(customer(raw, errors))
    return clean


PAYMENT_FIELDS = COMMON | set(CUSTOMER_FIELDS) | {
    "received_at", "amount", "currency", "method", "reference", "invoice_external_id", "invoice_number",
}


def clean_payment(raw: Record, errors: FieldErrors, **key: str | None) -> Record:
    _unknown_fields(raw, PAYMENT_FIELDS, errors)
    clean = key_and_version(raw, errors, **key)
    clean["received_at"] = moment(raw, "received_at", errors)
    clean["amount"] = decimal(raw, "amount", errors, required=True, positive=True)
    clean["currency"] = currency(raw, "currency", errors)
    clean["method"] = choice(raw, "method", errors, PAYMENT_METHODS, PaymentMethod.OTHER.value)
    clean["reference"] = text(raw, "reference", errors, limit=100)
    clean["invoice_external_id"] = text(raw, "invoice_external_id", errors, limit=100)
    clean["invoice_number"] = text(raw, "invoice_number", errors, limit=64)
    clean.update(customer(raw, errors))
    return clean
