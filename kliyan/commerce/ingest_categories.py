"""The category tree as a chunk sees it: find a category by path or external id, grow missing paths.

A product may name its category by path ("Shoes/Children"): the missing levels are
created (without a source, as if typed in Kliyan) and audited. Names match whatever
their case, so "shoes/children" finds "Shoes" › "Children".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from kliyan.commerce.models import ProductCategory
from kliyan.core.audit import record, snapshot
from kliyan.core.models import AuditAction


@dataclass
class CategoryTree:
    actor: Any
    by_place: dict[tuple[int | None, str], int] = field(default_factory=dict)
    by_key: dict[tuple[str, str], int] = field(default_factory=dict)
    parent_of: dict[int, int | None] = field(default_factory=dict)

    @classmethod
    def load(cls, *, actor: Any) -> CategoryTree:
        """Read the whole tree in one query (a shop's tree is hundreds of rows, not millions)."""
        tree = cls(actor=actor)
        for pk, name, parent_id, source, external_id in ProductCategory.objects.values_list(
            "pk", "name", "parent_id", "source", "external_id",
        ).order_by("pk"):
            tree.remember(pk, name, parent_id, source, external_id)
        return tree

    def remember(self, pk: int, name: str, parent_id: int | None, source: str, external_id: str) -> None:
        self.by_place.setdefault((parent_id, name.casefold()), pk)
        if external_id:
            self.by_key[(source, external_id)] = pk
        self.parent_of[pk] = parent_id

    def add(self, category: ProductCategory) -> None:
        self.remember(category.pk, category.name, category.parent_id, category.source, category.external_id)

    def ensure_path(self, path: list[str]) -> int | None:
        """Return the id of the last category of `path`, creating the levels that are missing."""
        parent_id: int | None = None
        for name in path:
            pk = self.by_place.get((parent_id, name.casefold()))
            if pk is None:
                category = ProductCategory.objects.create(name=name, parent_id=parent_id)
                record(actor=self.actor, action=AuditAction.CREATE, instance=category, after=snapshot(category, ["name", "parent_id"]))
                self.add(category)
                pk = category.pk
            parent_id = pk
        return parent_id

    def category_for(self, product: dict[str, Any]) -> tuple[int | None, dict[str, list[str]]]:
        """Return the category a product record names (by external id, else by path)."""
        if product["category_external_id"]:
            pk = self.by_key.get((product["source"], product["category_external_id"]))
            if pk is None:
                return None, {"category_external_id": [_("There is no category with this external id from “%(source)s”.")
                                                       % {"source": product["source"]}]}
            return pk, {}
        return (self.ensure_path(product["category_path"]) if product["category_path"] else None), {}

    def parent_for(self, category: dict[str, Any], row: ProductCategory | None) -> tuple[int | None, dict[str, list[str]]]:
        """Return the parent a category record names; refuse one that would make a loop."""
        if category["parent_external_id"]:
            parent_id = self.by_key.get((category["source"], category["parent_external_id"]))
            if parent_id is None:
                return None, {"parent_external_id": [_("There is no category with this external id from “%(source)s”.")
                                                     % {"source": category["source"]}]}
            field_name = "parent_external_id"
        elif category["parent_path"]:
            parent_id, field_name = self.ensure_path(category["parent_path"]), "parent"
        else:
            return None, {}
        if row is not None:
            ancestor: int | None = parent_id
            while ancestor is not None:
                if ancestor == row.pk:
                    return None, {field_name: [_("A category cannot be placed under itself or one of its subcategories.")]}
                ancestor = self.parent_of.get(ancestor)
        return parent_id, {}
