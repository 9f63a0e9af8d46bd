"""recommendations_for and goes_with: what is suggested, in which order, and what never is."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kliyan.analytics import services
from kliyan.analytics.models import PendingCustomer
from kliyan.analytics.recommendations import goes_with, recommendations_for
from kliyan.analytics.tests.factories import START, make_contact, make_order, make_product
from kliyan.commerce.choices import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db: Any) -> dict[str, Any]:
    """ann: bread, butter, jam · bob: bread, butter · cat: bread, milk · eve: nothing."""
    p = {name: make_product(name) for name in ("bread", "butter", "jam", "milk")}
    c = {name: make_contact(name) for name in ("ann", "bob", "cat", "eve")}
    make_order(c["ann"], [p["bread"], p["butter"], p["jam"]], at=START)
    make_order(c["bob"], [p["bread"], p["butter"]], at=START)
    make_order(c["cat"], [p["bread"], p["milk"]], at=START)
    services.rebuild_all()
    return {"p": p, "c": c}


def test_recommends_what_goes_with_their_products_summing_the_scores(shop: dict[str, Any]) -> None:
    """bob (bread, butter): jam goes with both (1/√3 + 1/√2), milk with bread only (1/√3)."""
    p = shop["p"]

    found = recommendations_for(shop["c"]["bob"].pk)

    assert [(r.name, r.score, r.because_name) for r in found] == [
        ("jam", 1.284457, "butter"),
        ("milk", 0.57735, "bread"),
    ]
    assert found[0].product_id == p["jam"].pk and found[0].because_id == p["butter"].pk
    assert found[0].price == p["jam"].price and found[0].currency == "EUR"


def test_never_recommends_what_the_customer_bought(shop: dict[str, Any]) -> None:
    ann = shop["c"]["ann"]

    found = recommendations_for(ann.pk)

    assert [r.name for r in found] == ["milk"]


def test_never_recommends_inactive_products(shop: dict[str, Any]) -> None:
    jam = shop["p"]["jam"]
    jam.active = False
    jam.save()

    assert [r.name for r in recommendations_for(shop["c"]["bob"].pk)] == ["milk"]
    assert [p.name for p in goes_with(shop["p"]["bread"].pk)] == ["butter", "milk"]


def test_a_customer_with_no_purchases_gets_nothing(shop: dict[str, Any]) -> None:
    assert recommendations_for(shop["c"]["eve"].pk) == []


def test_cancelled_orders_are_not_purchases(shop: dict[str, Any]) -> None:
    eve, p = shop["c"]["eve"], shop["p"]
    make_order(eve, [p["milk"]], status=OrderStatus.CANCELLED)
    make_order(eve, [p["jam"]], status=OrderStatus.REFUNDED)
    services.rebuild_all()

    assert recommendations_for(eve.pk) == []


def test_a_purchase_not_yet_counted_is_already_excluded(shop: dict[str, Any]) -> None:
    """bob just bought jam; until the refresh runs his basket is read from the orders."""
    bob, p = shop["c"]["bob"], shop["p"]
    make_order(bob, [p["jam"]], at=START + dt.timedelta(days=1))
    PendingCustomer.objects.create(contact_id=bob.pk)

    assert [r.name for r in recommendations_for(bob.pk)] == ["milk"]


def test_limit_caps_the_number_of_products(shop: dict[str, Any]) -> None:
    assert [r.name for r in recommendations_for(shop["c"]["bob"].pk, limit=1)] == ["jam"]


def test_goes_with_lists_partners_by_score(shop: dict[str, Any]) -> None:
    partners = goes_with(shop["p"]["bread"].pk)

    assert [(x.name, x.co_count, x.score) for x in partners] == [
        ("butter", 2, 0.816497), ("jam", 1, 0.57735), ("milk", 1, 0.57735),
    ]


def test_recommendations_take_a_fixed_number_of_queries(
    shop: dict[str, Any], django_assert_num_queries: Any,
) -> None:
    """Recent products with the pending check and their partners, then products: two queries whatever the history."""
    bob, p = shop["c"]["bob"], shop["p"]
    for n in range(30):
        extra = make_product(f"extra {n}")
        make_order(bob, [extra, p["bread"]], at=START + dt.timedelta(hours=n))
    services.rebuild_all()

    with django_assert_num_queries(2):
        recommendations_for(bob.pk)


def test_a_customer_without_purchases_costs_one_query(shop: dict[str, Any], django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        assert recommendations_for(shop["c"]["eve"].pk) == []
