"""Property: refreshing the customers whose orders changed gives exactly what a full rebuild gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kliyan.analytics import services
from kliyan.analytics.models import CustomerProduct, CustomerSummary, ProductPair, ProductStat
from kliyan.analytics.tests.factories import START, make_contact, make_order, make_product
from kliyan.commerce.choices import OrderStatus
from kliyan.commerce.models import Order

pytestmark = pytest.mark.django_db

CONTACTS, PRODUCTS = 4, 6
an_order = st.tuples(
    st.integers(0, CONTACTS - 1),
    st.sets(st.integers(0, PRODUCTS - 1), min_size=1, max_size=4),
    st.sampled_from([s.value for s in OrderStatus]),
    st.integers(0, 9),  # day
)


def snapshot() -> tuple[dict, dict, dict, dict]:
    return (
        {(r.product_a_id, r.product_b_id): (r.co_count, round(r.score, 9)) for r in ProductPair.objects.all()},
        dict(ProductStat.objects.values_list("product_id", "customers")),
        {(r.contact_id, r.product_id): r.recency_rank for r in CustomerProduct.objects.all()},
        {r.contact_id: (r.order_count, r.spend, r.first_purchase_at, r.last_purchase_at) for r in CustomerSummary.objects.all()},
    )


@pytest.fixture
def catalogue(db: Any) -> dict[str, list]:
    return {
        "contacts": [make_contact(f"c{n}") for n in range(CONTACTS)],
        "products": [make_product(f"p{n}") for n in range(PRODUCTS)],
    }


@pytest.mark.parametrize("drift", [0.0, services.SCORE_DRIFT])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    before=st.lists(an_order, max_size=8),
    after=st.lists(an_order, max_size=5),
    cancel=st.lists(st.integers(0, 7), max_size=3),
)
def test_incremental_refresh_equals_full_rebuild(
    catalogue: dict[str, list], monkeypatch: pytest.MonkeyPatch, drift: float, before: list, after: list, cancel: list,
) -> None:
    """New orders, and earlier orders cancelled, for a few customers; a cap of 3 makes baskets shift.

    Counts are always exact; scores are exact when no drift is allowed, within the allowed
    drift otherwise.
    """
    monkeypatch.setattr(services, "BASKET_CAP", 3)
    monkeypatch.setattr(services, "SCORE_DRIFT", drift)
    contacts, products = catalogue["contacts"], catalogue["products"]

    def write(orders: list) -> list[Order]:
        return [
            make_order(contacts[c], [products[p] for p in sorted(ps)], status=status, at=START + dt.timedelta(days=day))
            for c, ps, status, day in orders
        ]

    with transaction.atomic():
        written = write(before)
        services.rebuild_all()
        changed = {o.contact_id for o in write(after)}
        for n in cancel:
            if n < len(written):
                Order.objects.filter(pk=written[n].pk).update(status=OrderStatus.CANCELLED)
                changed.add(written[n].contact_id)

        services.refresh_customers(changed)
        refreshed = snapshot()
        services.rebuild_all()
        rebuilt = snapshot()

        assert refreshed[1:] == rebuilt[1:]
        assert {k: n for k, (n, _) in refreshed[0].items()} == {k: n for k, (n, _) in rebuilt[0].items()}
        for key, (_, score) in rebuilt[0].items():
            assert refreshed[0][key][1] == pytest.approx(score, rel=drift + 1e-9)
        transaction.set_rollback(True)
