"""End to end: orders taken in through the commerce ingestion reach the recommendations by its events."""

from __future__ import annotations

from typing import Any

import pytest

from kliyan.analytics import services
from kliyan.analytics.models import PendingCustomer, ProductPair
from kliyan.analytics.recommendations import recommendations_for
from kliyan.commerce.models import Product
from kliyan.commerce.services import records_ingest

pytestmark = pytest.mark.django_db


def _order(external_id: str, contact_id: int, skus: list[str]) -> dict[str, Any]:
    return {
        "source": "pos", "external_id": external_id, "updated_at": "2026-11-01T10:00:00Z", "number": external_id,
        "ordered_at": "2026-11-01T09:00:00Z", "currency": "HTG", "contact_id": contact_id,
        "lines": [{"sku": sku, "quantity": "1", "unit_price": "10"} for sku in skus],
    }


def test_ingested_orders_mark_their_customers_and_the_refresh_counts_them(
    manager: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    from kliyan.analytics.tests.factories import make_contact

    products = [
        {"source": "shop", "external_id": f"p-{sku}", "updated_at": "2026-11-01T10:00:00Z", "sku": sku,
         "name": sku.title(), "price": "10.00", "currency": "HTG"}
        for sku in ("RICE", "OIL", "BEANS")
    ]
    records_ingest(actor=manager, kind="products", records=enumerate(products, start=1))
    services.rebuild_all()
    ann, bob = make_contact("ann"), make_contact("bob")

    with django_capture_on_commit_callbacks(execute=True):
        records_ingest(actor=manager, kind="orders", records=enumerate([
            _order("o-1", ann.pk, ["RICE", "OIL", "BEANS"]),
            _order("o-2", bob.pk, ["RICE", "OIL"]),
        ], start=1))

    assert not PendingCustomer.objects.exists()
    by_sku = {p.sku: p for p in Product.objects.all()}
    assert ProductPair.objects.get(product_a=by_sku["RICE"], product_b=by_sku["OIL"]).co_count == 2
    assert [r.sku for r in recommendations_for(bob.pk)] == ["BEANS"]
