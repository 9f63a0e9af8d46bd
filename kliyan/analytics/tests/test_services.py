"""The co-purchase numbers: exact counts and scores on a small hand-made set of purchases."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from kliyan.analytics import services
from kliyan.analytics.models import CustomerProduct, PendingCustomer, ProductPair, ProductStat
from kliyan.analytics.tests.factories import START, make_contact, make_order, make_product
from kliyan.commerce.choices import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db: Any) -> dict[str, Any]:
    """Bread, butter, jam, milk; four customers; one cancelled order; one order with no customer.

    ann: bread, butter, jam · bob: bread, butter · cat: bread, milk · dan: milk (+ a cancelled butter, jam)
    """
    p = {name: make_product(name) for name in ("bread", "butter", "jam", "milk")}
    c = {name: make_contact(name) for name in ("ann", "bob", "cat", "dan")}
    make_order(c["ann"], [p["bread"], p["butter"]], at=START)
    make_order(c["ann"], [p["jam"], p["bread"]], at=START + dt.timedelta(days=1))
    make_order(c["bob"], [p["bread"], p["butter"]], at=START, status=OrderStatus.PAID)
    make_order(c["cat"], [p["bread"], p["milk"]], at=START, status=OrderStatus.FULFILLED)
    make_order(c["dan"], [p["milk"]], at=START)
    make_order(c["dan"], [p["butter"], p["jam"]], at=START, status=OrderStatus.CANCELLED)
    make_order(c["dan"], [p["bread"]], at=START, status=OrderStatus.DRAFT)
    make_order(None, [p["jam"], p["milk"]], at=START)
    return {"p": p, "c": c}


def pair_table() -> dict[tuple[int, int], tuple[int, float]]:
    return {(r.product_a_id, r.product_b_id): (r.co_count, round(r.score, 6)) for r in ProductPair.objects.all()}


def test_rebuild_counts_customers_per_product_and_pair_with_cosine_scores(shop: dict[str, Any]) -> None:
    """Only purchase orders of known customers count; each pair is stored both ways with co_count / sqrt(na·nb)."""
    p = {name: product.pk for name, product in shop["p"].items()}

    counts = services.rebuild_all()

    assert counts == {"customers": 4, "pairs": 4}
    assert {s.product_id: s.customers for s in ProductStat.objects.all()} == {
        p["bread"]: 3, p["butter"]: 2, p["jam"]: 1, p["milk"]: 2,
    }
    expected = {
        ("bread", "butter"): (2, round(2 / math.sqrt(3 * 2), 6)),   # 0.816497
        ("bread", "jam"): (1, round(1 / math.sqrt(3 * 1), 6)),      # 0.57735
        ("butter", "jam"): (1, round(1 / math.sqrt(2 * 1), 6)),     # 0.707107
        ("bread", "milk"): (1, round(1 / math.sqrt(3 * 2), 6)),     # 0.408248
    }
    both_ways = {}
    for (a, b), value in expected.items():
        both_ways[(p[a], p[b])] = value
        both_ways[(p[b], p[a])] = value
    assert pair_table() == both_ways
    assert pair_table()[(p["bread"], p["butter"])] == (2, 0.816497)


def test_rebuild_ranks_each_customers_products_newest_first(shop: dict[str, Any]) -> None:
    services.rebuild_all()

    ann = shop["c"]["ann"].pk
    ranks = dict(CustomerProduct.objects.filter(contact_id=ann).values_list("product_id", "recency_rank"))
    p = shop["p"]
    # jam and bread were bought last (same order, ties broken by the higher id), butter first.
    assert ranks == {p["jam"].pk: 1, p["bread"].pk: 2, p["butter"].pk: 3}


def test_rebuild_twice_gives_the_same_numbers(shop: dict[str, Any]) -> None:
    services.rebuild_all()
    first = pair_table()

    services.rebuild_all()

    assert pair_table() == first


def test_basket_cap_keeps_only_each_customers_latest_products(shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """With a cap of 2, ann's butter (her oldest product) no longer pairs with anything."""
    monkeypatch.setattr(services, "BASKET_CAP", 2)
    p = shop["p"]

    services.rebuild_all()

    assert ProductPair.objects.get(product_a=p["bread"], product_b=p["butter"]).co_count == 1  # bob only
    assert not ProductPair.objects.filter(product_a=p["butter"], product_b=p["jam"]).exists()
    assert ProductStat.objects.get(product=p["butter"]).customers == 1


def test_refresh_of_a_customer_after_a_new_order_equals_a_full_rebuild(shop: dict[str, Any]) -> None:
    services.rebuild_all()
    p, c = shop["p"], shop["c"]
    make_order(c["dan"], [p["jam"], p["butter"]], at=START + dt.timedelta(days=3))

    services.refresh_customers([c["dan"].pk])
    refreshed = pair_table()
    services.rebuild_all()

    assert refreshed == pair_table()
    assert pair_table()[(p["butter"].pk, p["jam"].pk)] == (2, round(2 / math.sqrt(3 * 2), 6))


def test_refresh_after_a_cancellation_takes_the_purchase_back_out(shop: dict[str, Any]) -> None:
    services.rebuild_all()
    p, c = shop["p"], shop["c"]
    cat_order = c["cat"].orders.get()
    cat_order.status = OrderStatus.CANCELLED
    cat_order.save()

    services.refresh_customers([c["cat"].pk])

    assert not ProductPair.objects.filter(product_a=p["bread"], product_b=p["milk"]).exists()
    assert ProductStat.objects.get(product=p["bread"]).customers == 2
    assert not CustomerProduct.objects.filter(contact=c["cat"]).exists()
    assert pair_table()[(p["bread"].pk, p["butter"].pk)] == (2, 1.0)  # 2 / sqrt(2 · 2)


def test_order_events_mark_the_customer_and_refresh_after_commit(
    shop: dict[str, Any], django_capture_on_commit_callbacks: Any,
) -> None:
    """The subscriber writes a mark in the writer's transaction; the queued refresh (immediate backend in tests) consumes it."""
    from kliyan.core import events

    services.rebuild_all()
    p, c = shop["p"], shop["c"]
    events.declare_event("order.created", "Order created")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = make_order(c["dan"], [p["jam"]], at=START + dt.timedelta(days=4))
        events.emit("order.created", {"id": order.pk})
        assert list(PendingCustomer.objects.values_list("contact_id", flat=True)) == [c["dan"].pk]

    assert len(callbacks) == 1
    assert not PendingCustomer.objects.exists()
    assert ProductPair.objects.get(product_a=p["jam"], product_b=p["milk"]).co_count == 1


def test_events_about_other_things_mark_nobody(shop: dict[str, Any]) -> None:
    from kliyan.analytics.events import on_event

    on_event("contact.created", [{"id": shop["c"]["ann"].pk}])
    on_event("order.created", [{"id": 999_999}])

    assert not PendingCustomer.objects.exists()


def test_refresh_pending_leaves_marks_it_did_not_read(shop: dict[str, Any]) -> None:
    services.rebuild_all()
    c = shop["c"]
    PendingCustomer.objects.bulk_create([PendingCustomer(contact_id=c["ann"].pk), PendingCustomer(contact_id=c["bob"].pk)])

    assert services.refresh_pending(limit=1) == 1
    assert list(PendingCustomer.objects.values_list("contact_id", flat=True)) == [c["bob"].pk]
