"""Ticket categories: a tree without cycles or twin siblings, switched off rather than deleted, audited."""

from __future__ import annotations

import pytest

from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditEntry
from kliyan.service import categories, queries

pytestmark = pytest.mark.django_db


def test_categories_form_a_tree_without_cycles_or_twin_siblings(manager) -> None:
    top = categories.category_create(actor=manager, data={"name": "Livrare"})
    child = categories.category_create(actor=manager, data={"name": "Întârziere", "parent": top.pk})
    grandchild = categories.category_create(actor=manager, data={"name": "Curier", "parent": child.pk})
    with pytest.raises(ValidationFailed) as caught:
        categories.category_update(actor=manager, category=top, data={"parent": grandchild.pk})
    assert set(caught.value.field_errors) == {"parent"}
    with pytest.raises(ValidationFailed) as twin:
        categories.category_create(actor=manager, data={"name": "întârziere", "parent": top.pk})
    assert set(twin.value.field_errors) == {"name"}
    assert [n.path for n in queries.category_tree()] == ["Livrare", "Livrare › Întârziere", "Livrare › Întârziere › Curier"]
    assert set(queries.category_with_descendants(child.pk)) == {child.pk, grandchild.pk}
    categories.category_update(actor=manager, category=child, data={"active": False})
    assert queries.category_choices() == [(top.pk, "Livrare")]
    assert AuditEntry.objects.filter(object_type="service.ticketcategory").count() == 4
