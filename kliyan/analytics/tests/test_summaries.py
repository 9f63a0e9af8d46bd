"""Purchase summaries: counted for everyone by the rebuild, recounted for pending customers by the refresh."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from kliyan.analytics import services
from kliyan.analytics.models import CustomerSummary, PendingCustomer
from kliyan.analytics.tests.factories import make_contact, make_product
from kliyan.commerce.models import Order
from kliyan.commerce.services import records_ingest
from kliyan.commerce.tests.builders import make_order, make_rate
from kliyan.core.organisation import get_organisation

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 6, 10, 15, 0, tzinfo=dt.UTC)


def summaries() -> dict[str, tuple[int, Decimal, dt.datetime, dt.datetime]]:
    return {
        s.contact.first_name: (s.order_count, s.spend, s.first_purchase_at, s.last_purchase_at)
        for s in CustomerSummary.objects.select_related("contact")
    }


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    """Ann bought in three currencies (one without a rate) and cancelled one order; Bob only cancelled; Cid paid in EUR."""
    assert get_organisation().currency == "HTG"
    make_rate("USD", "2026-01-01", "130")
    ann, bob, cid = make_contact("Ann"), make_contact("Bob"), make_contact("Cid")
    make_order(contact=ann, total="1000", ordered_at=DAY - dt.timedelta(days=30))
    make_order(contact=ann, total="10", currency="USD", ordered_at=DAY, status="paid")
    make_order(contact=ann, total="50", currency="EUR", ordered_at=DAY - dt.timedelta(days=60), status="fulfilled")
    make_order(contact=ann, total="9999", ordered_at=DAY + dt.timedelta(days=1), status="cancelled")
    make_order(contact=bob, total="500", ordered_at=DAY, status="cancelled")
    make_order(contact=cid, total="70", currency="EUR", ordered_at=DAY)
    make_order(contact=None, total="300", ordered_at=DAY)  # a sale to no one known
    return {"ann": ann, "bob": bob, "cid": cid}


def test_the_rebuild_counts_each_buyers_purchases_in_the_organisations_currency(people: dict) -> None:
    """USD at its day's rate; EUR has no rate, so it adds nothing to the spend but counts as an order."""
    services.rebuild_all()

    assert summaries() == {
        "Ann": (3, Decimal("2300.0000"), DAY - dt.timedelta(days=60), DAY),
        "Cid": (1, Decimal("0.0000"), DAY, DAY),
    }


def test_the_rebuild_replaces_summaries_that_no_longer_hold(people: dict) -> None:
    services.rebuild_all()
    Order.objects.filter(contact=people["cid"]).update(status="refunded")

    services.rebuild_all()

    assert set(summaries()) == {"Ann"}


def test_the_refresh_recounts_only_the_pending_customers(people: dict) -> None:
    services.rebuild_all()
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    with transaction.atomic():
        make_order(contact=bob, total="200", ordered_at=DAY + dt.timedelta(days=2))
        Order.objects.filter(contact=ann, currency="USD").update(status="cancelled")
        services.mark_customers_changed([ann.pk, bob.pk])
    # Cid's orders changed without a mark (no order event): the refresh leaves them to the night.
    Order.objects.filter(contact=cid).update(total=Decimal("700"))
    make_rate("EUR", "2026-01-01", "150")

    assert services.refresh_pending() == 2

    assert summaries() == {
        # Ann's EUR order now has a rate: recounting her counts it.
        "Ann": (2, Decimal("8500.0000"), DAY - dt.timedelta(days=60), DAY - dt.timedelta(days=30)),
        "Bob": (1, Decimal("200.0000"), DAY + dt.timedelta(days=2), DAY + dt.timedelta(days=2)),
        "Cid": (1, Decimal("0.0000"), DAY, DAY),
    }
    assert not PendingCustomer.objects.exists()


def test_a_customer_whose_every_purchase_is_cancelled_loses_their_summary_at_the_refresh(people: dict) -> None:
    services.rebuild_all()
    with transaction.atomic():
        Order.objects.filter(contact=people["cid"]).update(status="cancelled")
        services.mark_customers_changed([people["cid"].pk])

    services.refresh_pending()

    assert set(summaries()) == {"Ann"}


def test_refreshing_a_customer_again_and_again_gives_what_the_rebuild_gives(people: dict) -> None:
    services.rebuild_all()
    rebuilt = summaries()

    for _ in range(3):
        services.refresh_customers([c.pk for c in people.values()])

    assert summaries() == rebuilt


def test_ingested_orders_reach_the_summary_by_their_events(manager: Any, django_capture_on_commit_callbacks: Any) -> None:
    """End to end: ingestion marks the customer, and the queued refresh (run on commit here) counts the orders."""
    ann = make_contact("Ann")
    make_product("Rice")

    def order(external_id: str, status: str, updated_at: str) -> dict[str, Any]:
        return {
            "source": "pos", "external_id": external_id, "updated_at": updated_at, "number": external_id,
            "ordered_at": "2026-11-01T09:00:00Z", "currency": "HTG", "contact_id": ann.pk, "status": status,
            "lines": [{"sku": "RICE", "quantity": "2", "unit_price": "150"}],
        }

    with django_capture_on_commit_callbacks(execute=True):
        records_ingest(actor=manager, kind="orders", records=enumerate([
            order("o-1", "paid", "2026-11-01T10:00:00Z"), order("o-2", "placed", "2026-11-01T10:00:00Z"),
        ], start=1))
    assert summaries()["Ann"][:2] == (2, Decimal("600.0000"))

    with django_capture_on_commit_callbacks(execute=True):
        records_ingest(actor=manager, kind="orders", records=enumerate([
            order("o-2", "cancelled", "2026-11-02T10:00:00Z"),
        ], start=1))
    assert summaries()["Ann"][:2] == (1, Decimal("300.0000"))
