"""core.prepared: querysets compiled once per connection, several read in one statement; core.links.id_url."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.urls import reverse, set_script_prefix

from kliyan.commerce.models import Order
from kliyan.commerce.tests.builders import at, make_order
from kliyan.contacts.models import Contact
from kliyan.core.links import id_url
from kliyan.core.prepared import PreparedRead, once_per, remember, run_prepared_parts, run_together

pytestmark = pytest.mark.django_db

PARTS = {
    # Columns of different types at the same positions: each part keeps its own.
    "latest": lambda contact_id: Order.objects.filter(contact_id=contact_id)
    .order_by("-ordered_at", "-id").values_list("number", "total", "ordered_at")[:2],
    "counted": lambda contact_id: Contact.objects.filter(pk=contact_id)
    .annotate(n=Count("orders")).values_list("n", "display_name"),
    "nothing": lambda: Order.objects.filter(currency="XXX").values_list("id"),  # takes no value
}


def _person(name: str, totals: list[str]) -> Contact:
    person = Contact.objects.create(first_name=name, display_name=name)
    for day, total in enumerate(totals, start=1):
        make_order(contact=person, number=f"{name}-{day}", total=total, ordered_at=at(f"2026-01-0{day}"))
    return person


def test_parts_come_back_apart_each_in_its_order_with_its_types_from_one_statement(django_assert_num_queries: Any) -> None:
    ann = _person("Ann", ["12.5", "7", "100.25"])
    with django_assert_num_queries(1):
        rows = run_prepared_parts("test.parts", PARTS, contact_id=ann.pk)
    assert rows == {
        "latest": [("Ann-3", Decimal("100.25"), at("2026-01-03")), ("Ann-2", Decimal("7"), at("2026-01-02"))],
        "counted": [(3, "Ann")],
        "nothing": [],
    }
    assert isinstance(rows["latest"][0][1], Decimal)


def test_later_calls_swap_the_values_into_the_statement_compiled_the_first_time(django_assert_num_queries: Any) -> None:
    ann, bob = _person("Ann", ["1"]), _person("Bob", ["2", "3"])
    run_prepared_parts("test.parts", PARTS, contact_id=ann.pk)
    compiled = dict(connection.__dict__["_kliyan_prepared_queries"])
    with django_assert_num_queries(1):
        rows = run_prepared_parts("test.parts", PARTS, contact_id=bob.pk)
    assert [r[0] for r in rows["latest"]] == ["Bob-2", "Bob-1"] and rows["counted"] == [(2, "Bob")]
    assert connection.__dict__["_kliyan_prepared_queries"] == compiled


def test_reads_sent_together_each_get_their_own_rows_with_their_own_values(django_assert_num_queries: Any) -> None:
    ann, bob = _person("Ann", ["1", "2"]), _person("Bob", ["3"])
    reads = {
        # Both name their value contact_id: each read keeps its own.
        "first": PreparedRead("test.first", {"latest": PARTS["latest"]}, {"contact_id": ann.pk}),
        "second": PreparedRead("test.second", {"latest": PARTS["latest"], "counted": PARTS["counted"]}, {"contact_id": bob.pk}),
    }
    with django_assert_num_queries(1):
        rows = run_together(reads)
    assert rows == {name: read.run() for name, read in reads.items()}
    assert [r[0] for r in rows["first"]["latest"]] == ["Ann-2", "Ann-1"] and rows["second"]["counted"] == [(1, "Bob")]


def test_what_was_read_together_is_what_once_per_returns() -> None:
    class Caller:
        pass

    caller = Caller()
    remember(caller, "test", "read together")
    assert once_per(caller, "test", lambda: pytest.fail("read again")) == "read together"


def test_a_value_no_part_uses_is_refused() -> None:
    with pytest.raises(ValueError, match="did not reach the SQL"):
        run_prepared_parts("test.parts.unused", {"nothing": PARTS["nothing"]}, contact_id=1)


def test_once_per_reads_once_per_object() -> None:
    calls: list[int] = []

    def read() -> int:
        calls.append(1)
        return len(calls)

    class Caller:
        pass

    first, second = Caller(), Caller()
    assert [once_per(obj, "test", read) for obj in (first, first, second)] == [1, 1, 2]
    assert len(calls) == 2


def test_id_url_is_what_reverse_gives_under_any_script_prefix() -> None:
    for name in ("commerce:order_detail", "contacts:contact_detail", "service:ticket_detail"):
        assert id_url(name, 42) == reverse(name, args=[42])
    set_script_prefix("/crm/")
    try:
        assert id_url("commerce:order_detail", 7) == reverse("commerce:order_detail", args=[7])
        assert id_url("commerce:order_detail", 7).startswith("/crm/")
    finally:
        set_script_prefix("/")
