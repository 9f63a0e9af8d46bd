"""Writes for ticket categories: a tree managers shape (rename, move, switch off). Each write audits itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kliyan.core.audit import record, snapshot
from kliyan.core.errors import FieldErrors
from kliyan.core.models import AuditAction
from kliyan.service.models import TicketCategory
from kliyan.service.services import lookup

CATEGORY_NAME_LIMIT = 120


CATEGORY_FIELDS = {"name", "parent", "active"}


def _clean_category(data: Mapping[str, Any], *, category: TicketCategory | None) -> dict[str, Any]:
    errors = FieldErrors()
    for key in data:
        if key not in CATEGORY_FIELDS:
            errors.add(key, _("Unknown field."))
    out: dict[str, Any] = {}
    if "parent" in data:
        parent = lookup(TicketCategory, data.get("parent"), errors, "parent")
        if parent is not None and category is not None and _is_within(parent, category):
            errors.add("parent", _("A category cannot be placed under itself or one of its subcategories."))
        out["parent"] = parent
    if "name" in data or category is None:
        name = " ".join(str(data.get("name") or "").split())
        if not name:
            errors.add("name", _("This field is required."))
        elif len(name) > CATEGORY_NAME_LIMIT:
            errors.add("name", _("At most %(limit)d characters.") % {"limit": CATEGORY_NAME_LIMIT})
        out["name"] = name
    if "active" in data:
        out["active"] = bool(data["active"])
    if not errors:
        name = out.get("name", category.name if category else "")
        parent_id = out["parent"].pk if out.get("parent") else (None if "parent" in out else (category.parent_id if category else None))
        siblings = TicketCategory.objects.filter(parent_id=parent_id)
        if category is not None:
            siblings = siblings.exclude(pk=category.pk)
        # Compared in Python: SQLite's case-insensitive match folds only ASCII letters ("Î" ≠ "î").
        if name.casefold() in {other.casefold() for other in siblings.values_list("name", flat=True)}:
            errors.add("name", _("There is already a category with this name here."))
    errors.raise_if_any()
    return out


def _is_within(node: TicketCategory, ancestor: TicketCategory) -> bool:
    """Return whether `node` is `ancestor` or lies below it (walks up: a tree is a few levels deep)."""
    seen: set[int] = set()
    current: TicketCategory | None = node
    while current is not None and current.pk not in seen:
        if current.pk == ancestor.pk:
            return True
        seen.add(current.pk)
        current = current.parent
    return False


@transaction.atomic
def category_create(*, actor: Any, data: Mapping[str, Any]) -> TicketCategory:
    cleaned = _clean_category(data, category=None)
    category = TicketCategory.objects.create(**cleaned)
    record(actor=actor, action=AuditAction.CREATE, instance=category, after=snapshot(category, ["name", "parent_id", "active"]))
    return category


@transaction.atomic
def category_update(*, actor: Any, category: TicketCategory, data: Mapping[str, Any]) -> TicketCategory:
    """Rename, move or switch off a category (switched-off ones are no longer offered)."""
    cleaned = _clean_category(data, category=category)
    fields = ["name", "parent_id", "active"]
    before = snapshot(category, fields)
    for name, value in cleaned.items():
        setattr(category, name, value)
    after = snapshot(category, fields)
    changed = [name for name in fields if before[name] != after[name]]
    if changed:
        category.save()
        record(
            actor=actor, action=AuditAction.UPDATE, instance=category,
            before={name: before[name] for name in changed}, after={name: after[name] for name in changed},
        )
    return category
