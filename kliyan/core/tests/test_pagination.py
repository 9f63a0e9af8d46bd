"""Keyset pagination walks every row exactly once, in order, whatever the ties."""

from __future__ import annotations

import pytest

from kliyan.contacts.models import Contact
from kliyan.core.errors import ValidationFailed
from kliyan.core.pagination import keyset_page

pytestmark = pytest.mark.django_db


def _walk(ordering: list[str], size: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = keyset_page(Contact.objects.all(), ordering=ordering, cursor=cursor, size=size)
        seen.extend(c.pk for c in page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("ordering", [["display_name", "id"], ["-display_name", "-id"], ["-updated_at", "-id"]])
def test_walks_all_rows_once_with_duplicate_sort_values(ordering: list[str]) -> None:
    names = ["Ana", "Ana", "Bela", "Chikondi", "Ana", "Dritan", "Élodie", "Bela", "Fabiola", "Ana", "Gheorghe"]
    Contact.objects.bulk_create([Contact(first_name=n, display_name=n) for n in names])
    expected = list(Contact.objects.order_by(*ordering).values_list("pk", flat=True))
    for size in (1, 2, 3, 5, 20):
        assert _walk(ordering, size) == expected


def test_a_tampered_cursor_is_a_field_error() -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        keyset_page(Contact.objects.all(), ordering=["display_name", "id"], cursor="not-a-cursor", size=5)
    assert list(excinfo.value.field_errors) == ["cursor"]
