"""The catalogue of what a segment rule can ask: fields, their operators and the kind of value each takes.

The rule builder page reads it (through GET /segments/fields) to offer, for each field, the
operators that make sense and a value input that follows the field's kind; kliyan.marketing.segments
checks every rule against it and compiles each condition.

Value kinds:
    none      no value ("has an open ticket")
    text      a non-empty string
    number    a number
    money     an amount ≥ 0 in the organisation's currency
    date      "YYYY-MM-DD"
    days      a whole number of days, 1–3650
    month     1–12
    choice    one of the field's choices; choices: a list of them
    tag, interest, company, user, product, category, ticket_category: the id of one such record
Operators marked `days` take a number of days in "days" beside their value
({"field": "purchased_category", "op": "bought_in_last_days", "value": 12, "days": 90}).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kliyan.contacts.choices import ConsentChannel, CustomFieldType, Source
from kliyan.core.choices import Country, Language

# The records a value may name, each with the label of its kind (for "unknown tag 12").
REFERENCES: dict[str, Promise] = {
    "tag": _("tag"),
    "interest": _("interest"),
    "company": _("company"),
    "user": _("user"),
    "product": _("product"),
    "category": _("product category"),
    "ticket_category": _("ticket category"),
}
VALUE_KINDS = frozenset({"none", "text", "number", "money", "date", "days", "month", "choice", "choices", *REFERENCES})


@dataclass(frozen=True)
class Op:
    key: str
    label: Promise
    days: bool = False


OPS: dict[str, Op] = {op.key: op for op in (
    Op("is", _("is")),
    Op("is_not", _("is not")),
    Op("in", _("is one of")),
    Op("contains", _("contains")),
    Op("starts_with", _("starts with")),
    Op("is_empty", _("is empty")),
    Op("is_not_empty", _("is not empty")),
    Op("eq", _("equals")),
    Op("gte", _("at least")),
    Op("lte", _("at most")),
    Op("gt", _("more than")),
    Op("lt", _("less than")),
    Op("before", _("before")),
    Op("after", _("after")),
    Op("on", _("on")),
    Op("within_days", _("in the last … days")),
    Op("more_than_days_ago", _("more than … days ago")),
    Op("in_month", _("in the month of")),
    Op("this_month", _("this month")),
    Op("next_days", _("in the next … days")),
    Op("has", _("has")),
    Op("has_not", _("does not have")),
    Op("shown_in_last_days", _("shown in an interaction in the last … days"), days=True),
    Op("granted", _("granted for")),
    Op("withdrawn", _("withdrawn for")),
    Op("never", _("never given for")),
    Op("bought", _("bought, ever")),
    Op("bought_in_last_days", _("bought in the last … days"), days=True),
    Op("not_bought_in_last_days", _("did not buy in the last … days"), days=True),
    Op("never_bought", _("never bought")),
    Op("none", _("never")),
    Op("has_open", _("has an open ticket")),
    Op("had_in_last_days", _("had a ticket in the last … days")),
    Op("in_category", _("had a ticket of the category")),
    Op("is_true", _("is yes")),
    Op("is_false", _("is no")),
)}


@dataclass(frozen=True)
class Field:
    key: str
    label: Promise
    group: Promise
    # operator → value kind
    ops: dict[str, str]
    choices: Callable[[], list[tuple[str, Any]]] | None = field(default=None, compare=False)


TEXT_OPS = {"is": "text", "is_not": "text", "contains": "text", "starts_with": "text", "is_empty": "none",
            "is_not_empty": "none"}
CHOICE_OPS = {"is": "choice", "is_not": "choice", "in": "choices", "is_empty": "none"}
DATE_OPS = {"before": "date", "after": "date", "on": "date", "within_days": "days", "more_than_days_ago": "days"}
PURCHASE_DATE_OPS = {"before": "date", "after": "date", "within_days": "days", "more_than_days_ago": "days", "none": "none"}
PURCHASE_OPS = ("bought", "bought_in_last_days", "not_bought_in_last_days", "never_bought")

_CONTACT, _ACTIVITY, _PURCHASES, _SERVICE = _("Contact"), _("Consent and interests"), _("Purchases"), _("Service")


def _purchase_ops(kind: str) -> dict[str, str]:
    return dict.fromkeys(PURCHASE_OPS, kind)


FIELDS: dict[str, Field] = {f.key: f for f in (
    Field("first_name", _("First name"), _CONTACT, TEXT_OPS),
    Field("last_name", _("Last name"), _CONTACT, TEXT_OPS),
    Field("city", _("City"), _CONTACT, TEXT_OPS),
    Field("country", _("Country"), _CONTACT, CHOICE_OPS, lambda: list(Country.choices)),
    Field("language", _("Language"), _CONTACT, CHOICE_OPS, lambda: list(Language.choices)),
    Field("company", _("Company"), _CONTACT, {"is": "company", "is_not": "company", "is_empty": "none", "is_not_empty": "none"}),
    Field("owner", _("Owner"), _CONTACT, {"is": "user", "is_not": "user", "is_empty": "none"}),
    Field("created_at", _("Added on"), _CONTACT, DATE_OPS),
    Field("source", _("How they found us"), _CONTACT, CHOICE_OPS, lambda: list(Source.choices)),
    Field("status", _("Status"), _CONTACT, {"is": "choice"}, lambda: [("active", _("Active")), ("archived", _("Archived"))]),
    Field("birthday", _("Birthday"), _CONTACT,
          {"this_month": "none", "in_month": "month", "next_days": "days", "is_empty": "none"}),
    Field("tag", _("Tag"), _CONTACT, {"has": "tag", "has_not": "tag"}),
    Field("consent", _("Consent"), _ACTIVITY, dict.fromkeys(("granted", "withdrawn", "never"), "choice"),
          lambda: list(ConsentChannel.choices)),
    Field("interest", _("Interest shown"), _ACTIVITY,
          {"has": "interest", "has_not": "interest", "shown_in_last_days": "interest"}),
    Field("purchased_category", _("Bought from the category"), _PURCHASES, _purchase_ops("category")),
    Field("purchased_product", _("Bought the product"), _PURCHASES, _purchase_ops("product")),
    Field("total_spend", _("Total spend"), _PURCHASES, {"gte": "money", "lte": "money"}),
    Field("order_count", _("Number of orders"), _PURCHASES, {"gte": "number", "lte": "number"}),
    Field("first_purchase", _("First purchase"), _PURCHASES, PURCHASE_DATE_OPS),
    Field("last_purchase", _("Last purchase"), _PURCHASES, PURCHASE_DATE_OPS),
    Field("ticket", _("Tickets"), _SERVICE,
          {"has_open": "none", "had_in_last_days": "days", "in_category": "ticket_category", "none": "none"}),
)}

# Custom fields are named "custom.<key>"; their operators follow the definition's type.
CUSTOM_PREFIX = "custom."
CUSTOM_OPS: dict[str, dict[str, str]] = {
    CustomFieldType.TEXT: TEXT_OPS,
    CustomFieldType.NUMBER: {"eq": "number", "gte": "number", "lte": "number", "gt": "number", "lt": "number",
                             "is_empty": "none"},
    CustomFieldType.DATE: {"before": "date", "after": "date", "on": "date", "is_empty": "none"},
    CustomFieldType.CHOICE: {"is": "text", "is_not": "text", "in": "choices", "is_empty": "none"},
    CustomFieldType.BOOLEAN: {"is_true": "none", "is_false": "none", "is_empty": "none"},
}
# Without the definition (contacts_in reads none), an operator alone decides the value's kind.
CUSTOM_ANY_OPS: dict[str, str] = {op: kind for ops in CUSTOM_OPS.values() for op, kind in ops.items()}


def op_entry(key: str, kind: str) -> dict[str, Any]:
    op = OPS[key]
    return {"key": key, "label": str(op.label), "value": kind, "days": op.days}


def field_entry(f: Field) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key": f.key, "label": str(f.label), "group": str(f.group),
        "ops": [op_entry(key, kind) for key, kind in f.ops.items()],
    }
    if f.choices is not None:
        entry["choices"] = [{"value": value, "label": str(label)} for value, label in f.choices()]
    return entry
