"""Check a segment rule: its shape, each condition's operator and value, and the records it names.

Every problem is reported at once, each under the path of its node ("rule.all[2].value"), with a
message a marketer can act on. kliyan.marketing.segments compiles only rules that pass.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from kliyan.commerce.models import Product, ProductCategory
from kliyan.contacts.choices import CustomFieldTarget
from kliyan.contacts.models import Company, CustomFieldDefinition, Interest, Tag
from kliyan.core.api_types import MAX_ID
from kliyan.core.errors import FieldErrors
from kliyan.marketing.segment_fields import CUSTOM_ANY_OPS, CUSTOM_OPS, CUSTOM_PREFIX, FIELDS, OPS, REFERENCES
from kliyan.service.models import TicketCategory

MAX_DEPTH = 5
MAX_CONDITIONS = 100
MAX_DAYS = 3650
MAX_TEXT = 200
MAX_AMOUNT = Decimal("1e14")
LEAF_KEYS = frozenset({"field", "op", "value", "days"})
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

@dataclass
class _Reference:
    kind: str
    pk: int
    path: str


@dataclass
class _CustomUse:
    key: str
    op: str
    value: Any
    path: str


class _Checker:
    """Walk a rule once, noting every problem with the path of its node and what it refers to."""

    def __init__(self) -> None:
        self.errors = FieldErrors()
        self.references: list[_Reference] = []
        self.custom: list[_CustomUse] = []
        self.conditions = 0
        self.mentions_status = False

    def root(self, rule: Any) -> None:
        if not isinstance(rule, dict) or set(rule) not in ({"all"}, {"any"}):
            self.errors.add("rule", _('A rule is a group: {"all": [ … ]} or {"any": [ … ]}.'))
            return
        self.group(rule, "rule", 1)

    def node(self, node: Any, path: str, depth: int) -> None:
        if isinstance(node, dict) and ("all" in node or "any" in node):
            if set(node) not in ({"all"}, {"any"}):
                self.errors.add(path, _('A group holds only "all" or only "any".'))
            elif depth > MAX_DEPTH:
                self.errors.add(path, _("Groups may be nested at most %(depth)d deep.") % {"depth": MAX_DEPTH})
            else:
                self.group(node, path, depth)
        elif isinstance(node, dict) and "field" in node:
            self.leaf(node, path)
        else:
            self.errors.add(path, _('Each part of a rule is a group ({"all": [ … ]} or {"any": [ … ]}) or a condition '
                                    '({"field": …, "op": …, "value": …}).'))

    def group(self, node: dict, path: str, depth: int) -> None:
        kind = "all" if "all" in node else "any"
        children = node[kind]
        if not isinstance(children, list):
            self.errors.add(f"{path}.{kind}", _("A group holds a list of conditions and groups."))
            return
        for index, child in enumerate(children):
            self.node(child, f"{path}.{kind}[{index}]", depth + 1)

    def leaf(self, node: dict, path: str) -> None:
        self.conditions += 1
        if self.conditions == MAX_CONDITIONS + 1:
            self.errors.add(path, _("A rule may hold at most %(count)d conditions.") % {"count": MAX_CONDITIONS})
        for key in sorted(set(node) - LEAF_KEYS, key=str):
            self.errors.add(f"{path}.{key}", _("A condition has no “%(key)s”: use field, op, value and days.") % {"key": key})
        name, op = node.get("field"), node.get("op")
        ops = _ops_of(name)
        if ops is None:
            self.errors.add(f"{path}.field", _("There is no field “%(field)s”.") % {"field": _shown(name)})
            return
        self.mentions_status = self.mentions_status or name == "status"
        if not isinstance(op, str) or op not in ops:
            self.errors.add(f"{path}.op", _("“%(op)s” cannot be used with “%(field)s”; use one of: %(ops)s.") % {
                "op": _shown(op), "field": _field_label(name), "ops": ", ".join(ops)})
            return
        kind = ops[op]
        value = check_value(kind, node.get("value"), name=name, op=op, errors=self.errors, path=f"{path}.value")
        if OPS[op].days:
            check_value("days", node.get("days"), name=name, op=op, errors=self.errors, path=f"{path}.days")
        elif "days" in node:
            self.errors.add(f"{path}.days", _("This operator takes no number of days."))
        if kind in REFERENCES and isinstance(value, int):
            self.references.append(_Reference(kind, value, f"{path}.value"))
        if name.startswith(CUSTOM_PREFIX):
            self.custom.append(_CustomUse(name[len(CUSTOM_PREFIX):], op, node.get("value"), path))


def _ops_of(name: Any) -> dict[str, str] | None:
    if not isinstance(name, str):
        return None
    if name in FIELDS:
        return FIELDS[name].ops
    if name.startswith(CUSTOM_PREFIX) and re.fullmatch(r"[-a-zA-Z0-9_]{1,50}", name[len(CUSTOM_PREFIX):]):
        return CUSTOM_ANY_OPS
    return None


def _field_label(name: str) -> str:
    return str(FIELDS[name].label) if name in FIELDS else name


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else f"{text[:57]}…"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_value(kind: str, value: Any, *, name: str, op: str, errors: FieldErrors, path: str) -> Any:
    """Return the value if it is of `kind`, or add an error at `path` and return None."""
    def fail(message: str) -> None:
        errors.add(path, message)

    if kind == "none":
        if value is not None:
            fail(_("This operator takes no value."))
        return None
    if value is None and kind != "days":
        fail(_("A value is required."))
        return None
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            return fail(_("Write some text."))
        if len(value) > MAX_TEXT or "\x00" in value:
            return fail(_("At most %(limit)d characters.") % {"limit": MAX_TEXT})
        return value.strip()
    if kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or abs(value) >= 1e15:
            return fail(_("Write a number."))
        return value
    if kind == "money":
        amount = _amount(value)
        if amount is None or amount < 0:
            return fail(_("Write an amount of 0 or more."))
        return amount
    if kind == "date":
        if not isinstance(value, str) or not DATE_PATTERN.match(value):
            return fail(_("Write a date as YYYY-MM-DD."))
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return fail(_("“%(value)s” is not a date.") % {"value": value})
    if kind == "days":
        limit = 366 if name == "birthday" else MAX_DAYS
        if not _is_int(value) or not 1 <= value <= limit:
            return fail(_("Write a whole number of days from 1 to %(limit)d.") % {"limit": limit})
        return value
    if kind == "month":
        if not _is_int(value) or not 1 <= value <= 12:
            return fail(_("Write a month from 1 to 12."))
        return value
    if kind in ("choice", "choices"):
        return _check_choices(kind, value, name, fail)
    if kind in REFERENCES:
        if not _is_int(value) or not 1 <= value <= MAX_ID:
            return fail(_("Give the id of a %(kind)s.") % {"kind": REFERENCES[kind]})
        return value
    raise AssertionError(f"unknown value kind {kind}")  # the catalogue names only the kinds above


def _check_choices(kind: str, value: Any, name: str, fail: Any) -> Any:
    allowed = {str(v) for v, _label in FIELDS[name].choices()} if name in FIELDS and FIELDS[name].choices else None
    values = value if kind == "choices" else [value]
    if kind == "choices" and (not isinstance(value, list) or not 1 <= len(value) <= 100):
        return fail(_("Give a list of 1 to 100 values."))
    for item in values:
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_TEXT:
            return fail(_("Choose a value from the list."))
        if allowed is not None and item not in allowed:
            return fail(_("“%(value)s” is not one of the choices: %(choices)s.") % {
                "value": _shown(item), "choices": ", ".join(sorted(allowed))})
    return value


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and abs(amount) < MAX_AMOUNT else None


def checked(rule: Any) -> _Checker:
    """Return the walk of a rule's shape (no query), or raise ValidationFailed naming each bad node."""
    checker = _Checker()
    checker.root(rule)
    checker.errors.raise_if_any()
    return checker


REFERENCE_MODELS: dict[str, Any] = {
    "tag": Tag, "interest": Interest, "company": Company, "product": Product, "category": ProductCategory,
    "ticket_category": TicketCategory,
}


def validate_rule(rule: Any) -> None:
    """Raise ValidationFailed naming the path of every bad node, or return if `rule` is sound.

    Beyond its shape, a rule must name records that exist (tags, categories, products, …) and
    custom fields that are defined for people, with operators and values that fit their type.
    """
    checker = _Checker()
    checker.root(rule)
    # Every problem at once: a malformed node does not hide an unknown tag elsewhere.
    errors = checker.errors
    wanted: dict[str, set[int]] = defaultdict(set)
    for ref in checker.references:
        wanted[ref.kind].add(ref.pk)
    found = {kind: set(_model_for(kind).objects.filter(pk__in=pks).values_list("pk", flat=True)) for kind, pks in wanted.items()}
    for ref in checker.references:
        if ref.pk not in found[ref.kind]:
            errors.add(ref.path, _("There is no %(kind)s with id %(id)s.") % {"kind": REFERENCES[ref.kind], "id": ref.pk})
    if checker.custom:
        _check_custom_fields(checker.custom, errors)
    errors.raise_if_any()


def _model_for(kind: str) -> Any:
    return get_user_model() if kind == "user" else REFERENCE_MODELS[kind]


def _check_custom_fields(uses: list[_CustomUse], errors: FieldErrors) -> None:
    definitions = {
        d.key: d for d in CustomFieldDefinition.objects.active().filter(
            target=CustomFieldTarget.CONTACT, key__in={use.key for use in uses})
    }
    for use in uses:
        definition = definitions.get(use.key)
        if definition is None:
            errors.add(f"{use.path}.field", _("There is no custom field “%(key)s” for people.") % {"key": use.key})
            continue
        ops = CUSTOM_OPS[definition.field_type]
        if use.op not in ops:
            errors.add(f"{use.path}.op", _("“%(op)s” cannot be used with “%(field)s”; use one of: %(ops)s.") % {
                "op": use.op, "field": definition.label, "ops": ", ".join(ops)})
            continue
        values = use.value if isinstance(use.value, list) else [use.value]
        if definition.field_type == "choice" and use.value is not None:
            for value in values:
                if value not in (definition.choices or []):
                    errors.add(f"{use.path}.value", _("“%(value)s” is not one of the choices: %(choices)s.") % {
                        "value": _shown(value), "choices": ", ".join(map(str, definition.choices or []))})


