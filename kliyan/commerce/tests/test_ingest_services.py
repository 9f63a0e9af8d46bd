"""Ingestion services: keys and versions, totals, references, bad input, balances, stock, audit, events."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kliyan.commerce.choices import InvoiceStatus
from kliyan.commerce.ingest_plan import Result
from kliyan.commerce.models import Invoice, Order, OrderLine, Payment, Product, ProductCategory, StockLevel
from kliyan.commerce.services import ndjson_ingest, record_upsert, records_ingest
from kliyan.contacts.models import Company
from kliyan.core import events
from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditEntry

T1, T2, T3 = "2026-11-01T10:00:00Z", "2026-11-02T10:00:00Z", "2026-11-03T10:00:00Z"

pytestmark = pytest.mark.django_db


def product(sku: str, **extra: Any) -> dict[str, Any]:
    return {"source": "shop", "external_id": f"p-{sku}", "updated_at": T1, "sku": sku, "name": f"Product {sku}",
            "price": "10.00", "currency": "HTG", **extra}


def order(external_id: str = "o-1", **extra: Any) -> dict[str, Any]:
    return {
        "source": "pos", "external_id": external_id, "updated_at": T1, "number": "POS-1", "ordered_at": "2026-11-01T09:00:00Z",
        "currency": "HTG", "lines": [
            {"sku": "RICE", "quantity": "2", "unit_price": "125.50"},
            {"sku": "OIL", "quantity": 1, "unit_price": 300, "discount": "25"},
        ],
        **extra,
    }


@pytest.fixture
def catalogue(manager) -> dict[str, Product]:
    records_ingest(actor=manager, kind="products", records=enumerate([product("RICE"), product("OIL")], start=1))
    return {p.sku: p for p in Product.objects.all()}


def upsert(actor: Any, kind: str, data: dict[str, Any]) -> Any:
    data = dict(data)
    return record_upsert(actor=actor, kind=kind, source=data.pop("source"), external_id=data.pop("external_id"), data=data)


def errors_of(actor: Any, kind: str, data: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        upsert(actor, kind, data)
    return caught.value.field_errors


# --- keys and versions ----------------------------------------------------------------------

def test_the_same_order_sent_twice_is_stored_once_and_answered_unchanged(manager, contact, catalogue):
    first = upsert(manager, "orders", order(contact_id=contact.pk))
    again = upsert(manager, "orders", order(contact_id=contact.pk))

    assert (first.result, again.result, again.id) == (Result.CREATED, Result.UNCHANGED, first.id)
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 2
    assert AuditEntry.objects.filter(object_type="commerce.order").count() == 1


def test_a_line_sent_with_a_sku_only_keeps_the_product_name(manager, catalogue):
    data = order()
    data["lines"][1]["description"] = "Oil, 1 l bottle"
    upsert(manager, "orders", data)

    assert list(OrderLine.objects.order_by("position").values_list("description", flat=True)) == ["Product RICE", "Oil, 1 l bottle"]


def test_an_older_version_is_answered_stale_and_changes_nothing(manager, catalogue):
    upsert(manager, "orders", order(updated_at=T2, note="second"))

    stale = upsert(manager, "orders", order(updated_at=T1, note="first", status="cancelled"))

    assert stale.result == Result.STALE
    stored = Order.objects.get()
    assert (stored.note, stored.status) == ("second", "placed")
    assert AuditEntry.objects.filter(object_type="commerce.order").count() == 1


def test_a_newer_version_updates_the_order_and_replaces_its_lines(manager, catalogue):
    created = upsert(manager, "orders", order())

    newer = upsert(manager, "orders", order(updated_at=T2, lines=[{"sku": "OIL", "quantity": 3, "unit_price": "300"}]))

    assert (newer.result, newer.id) == (Result.UPDATED, created.id)
    stored = Order.objects.get()
    assert [(line.sku, line.quantity, line.position) for line in stored.lines.all()] == [("OIL", Decimal("3.000"), 0)]
    assert stored.total == Decimal("900")
    entry = AuditEntry.objects.get(object_type="commerce.order", action="update")
    assert (entry.before["total"], entry.after["total"]) == ("526.0000", "900.0000")


def test_versions_of_one_key_within_one_bulk_keep_the_newest(manager, catalogue):
    summary = records_ingest(actor=manager, kind="orders", records=enumerate([
        order(updated_at=T2, note="two"), order(updated_at=T1, note="one"), order(updated_at=T3, note="three"),
        order(updated_at=T3, note="three"),
    ], start=1))

    assert (summary.created, summary.stale, summary.updated, summary.unchanged) == (1, 1, 1, 1)
    assert Order.objects.get().note == "three"


# --- totals ---------------------------------------------------------------------------------

def test_totals_are_computed_from_the_lines(manager, catalogue):
    upsert(manager, "orders", order(discount="6", tax="10"))

    stored = Order.objects.get()
    # 2 × 125.50 + (300 − 25) = 526; − 6 + 10 = 530.
    assert (stored.subtotal, stored.discount_total, stored.tax_total, stored.total) == (
        Decimal("526"), Decimal("6"), Decimal("10"), Decimal("530"))
    assert [line.line_total for line in stored.lines.all()] == [Decimal("251"), Decimal("275")]


def test_a_sent_total_within_a_cent_is_accepted(manager, catalogue):
    assert upsert(manager, "orders", order(total="526.01")).result == Result.CREATED


def test_a_sent_total_that_does_not_match_the_lines_is_refused(manager, catalogue):
    errors = errors_of(manager, "orders", order(total="600"))

    assert list(errors) == ["total"]
    assert "526" in errors["total"][0]
    assert not Order.objects.exists()


# --- bad input: each names its field and writes nothing --------------------------------------

BAD_ORDERS = [
    ({"lines": [{"sku": "RICE", "quantity": "-1", "unit_price": "1"}]}, "lines[0].quantity"),
    ({"lines": [{"sku": "RICE", "quantity": "0", "unit_price": "1"}]}, "lines[0].quantity"),
    ({"lines": [{"sku": "RICE", "quantity": "1", "unit_price": "-1"}]}, "lines[0].unit_price"),
    ({"lines": [{"sku": "RICE", "quantity": "1", "unit_price": "1", "discount": "5"}]}, "lines[0].discount"),
    ({"lines": [{"sku": "RICE", "quantity": "1", "unit_price": "abc"}]}, "lines[0].unit_price"),
    ({"lines": [{"sku": "RICE", "quantity": "1.23456", "unit_price": "1"}]}, "lines[0].quantity"),
    ({"lines": [{"sku": "RICE", "quantity": "1", "unit_price": "1", "colour": "red"}]}, "lines[0].colour"),
    ({"lines": [{"quantity": "1", "unit_price": "1"}]}, "lines[0].sku"),
    ({"lines": ["RICE"]}, "lines[0]"),
    ({"lines": []}, "lines"),
    ({"lines": [*order()["lines"], {"sku": "RICE", "quantity": "1", "unit_price": "1", "currency": "EUR"}]}, "lines[2].currency"),
    ({"currency": "XYZ"}, "currency"),
    ({"currency": None}, "currency"),
    ({"ordered_at": "yesterday"}, "ordered_at"),
    ({"ordered_at": "2026-13-01T00:00:00Z"}, "ordered_at"),
    ({"updated_at": "not a date"}, "updated_at"),
    ({"updated_at": None}, "updated_at"),
    ({"number": ""}, "number"),
    ({"number": "x" * 65}, "number"),
    ({"note": "bad\x00text"}, "note"),
    ({"status": "shipped"}, "status"),
    ({"tax": "-1"}, "tax"),
    ({"total": "1e30"}, "total"),
    ({"contact_id": "abc"}, "contact_id"),
    ({"contact_email": "nobody@example.org"}, "contact_email"),
    ({"contact_phone": "+509 3712 0000"}, "contact_phone"),
    ({"contact_phone": "12"}, "contact_phone"),
    ({"company_id": 999999}, "company_id"),
    ({"contact_id": 999999}, "contact_id"),
    ({"shipping": "fast"}, "shipping"),
]


@pytest.mark.parametrize(("change", "field"), BAD_ORDERS, ids=[field for _change, field in BAD_ORDERS])
def test_a_bad_order_names_the_field_and_writes_nothing(manager, catalogue, change, field):
    audit_before = AuditEntry.objects.count()

    errors = errors_of(manager, "orders", {**order(), **change})

    assert field in errors
    assert (Order.objects.count(), OrderLine.objects.count(), AuditEntry.objects.count()) == (0, 0, audit_before)


def test_an_order_with_one_unknown_sku_among_good_lines_writes_nothing(manager, catalogue):
    lines = [*order()["lines"], {"sku": "NOPE", "quantity": "1", "unit_price": "1"}]

    errors = errors_of(manager, "orders", order(lines=lines))

    assert list(errors) == ["lines[2].sku"]
    assert "NOPE" in errors["lines[2].sku"][0]
    assert (Order.objects.count(), OrderLine.objects.count()) == (0, 0)


def test_a_record_without_source_or_external_id_names_them(manager):
    summary = records_ingest(actor=manager, kind="products", records=[(1, {"updated_at": T1, "sku": "A", "name": "A",
                                                                         "price": 1, "currency": "USD"})])

    assert [e["field"] for e in summary.errors[0]["errors"]] == ["source", "external_id"]


@pytest.mark.parametrize(("change", "field"), [
    ({"price": "-1"}, "price"), ({"cost": "-0.01"}, "cost"), ({"currency": "EURO"}, "currency"),
    ({"sku": ""}, "sku"), ({"active": "yes"}, "active"), ({"category": "Shoes//Kids"}, "category"),
    ({"category_external_id": "missing"}, "category_external_id"),
])
def test_a_bad_product_names_the_field_and_writes_nothing(manager, change, field):
    assert field in errors_of(manager, "products", {**product("A"), **change})
    assert not Product.objects.exists()


# --- customers ------------------------------------------------------------------------------

def test_the_customer_is_found_by_email_or_phone(manager, contact, catalogue):
    upsert(manager, "orders", order("o-1", contact_email="Stefan.Popescu@Example.RO"))
    upsert(manager, "orders", order("o-2", contact_phone="0040 721 234 567"))

    assert list(Order.objects.values_list("contact_id", flat=True)) == [contact.pk, contact.pk]


def test_references_naming_two_different_contacts_are_refused(manager, contact, catalogue):
    from kliyan.contacts.services import contact_create

    other = contact_create(actor=manager, data={"first_name": "Mirela", "emails": [{"email": "mirela@example.ro"}]})

    errors = errors_of(manager, "orders", order(contact_id=contact.pk, contact_email="mirela@example.ro"))

    assert str(other.pk) in errors["contact_email"][0]


def test_an_order_may_belong_to_a_company(manager, catalogue):
    company = Company.objects.create(name="Boulangerie Port-au-Prince")

    upsert(manager, "orders", order(company_id=company.pk))

    assert Order.objects.get().company_id == company.pk


# --- invoices and payments ------------------------------------------------------------------

def invoice(**extra: Any) -> dict[str, Any]:
    return {"source": "pos", "external_id": "i-1", "updated_at": T1, "number": "F-1", "issued_on": "2026-11-01",
            "due_on": "2026-12-01", "currency": "HTG", "total": "526", "order_external_id": "o-1", **extra}


def payment(external_id: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"source": "pos", "external_id": external_id, "updated_at": T1, "received_at": "2026-11-05T12:00:00Z",
            "amount": amount, "currency": "HTG", "invoice_external_id": "i-1", "method": "mobile_money", **extra}


def test_an_invoice_takes_its_customer_from_its_order(manager, contact, catalogue):
    upsert(manager, "orders", order(contact_id=contact.pk))

    upsert(manager, "invoices", invoice())

    stored = Invoice.objects.get()
    assert (stored.contact_id, stored.order.external_id, stored.status, stored.amount_paid) == (contact.pk, "o-1", "open", 0)


def test_an_invoice_in_another_currency_than_its_order_is_refused(manager, contact, catalogue):
    upsert(manager, "orders", order(contact_id=contact.pk))

    errors = errors_of(manager, "invoices", invoice(currency="USD"))

    assert "Currency mismatch" in errors["currency"][0]
    assert not Invoice.objects.exists()


def test_an_invoice_needs_a_customer_and_a_known_order(manager, catalogue):
    assert "order_external_id" in errors_of(manager, "invoices", invoice(order_external_id="o-404"))
    assert "contact_id" in errors_of(manager, "invoices", invoice(order_external_id=""))


def test_payments_keep_the_invoice_balance_and_status(manager, contact, catalogue):
    upsert(manager, "orders", order(contact_id=contact.pk))
    upsert(manager, "invoices", invoice())

    upsert(manager, "payments", payment("pay-1", "200"))
    partly = Invoice.objects.get()
    upsert(manager, "payments", payment("pay-2", "326"))
    paid = Invoice.objects.get()

    assert (partly.amount_paid, partly.status, partly.amount_due) == (Decimal("200"), InvoiceStatus.OPEN, Decimal("326"))
    assert (paid.amount_paid, paid.status, paid.amount_due) == (Decimal("526"), InvoiceStatus.PAID, 0)
    assert set(Payment.objects.values_list("contact_id", flat=True)) == {contact.pk}


def test_a_corrected_payment_moves_the_balance(manager, contact, catalogue):
    upsert(manager, "orders", order(contact_id=contact.pk))
    upsert(manager, "invoices", invoice())
    upsert(manager, "payments", payment("pay-1", "526"))

    upsert(manager, "payments", payment("pay-1", "100", updated_at=T2))

    stored = Invoice.objects.get()
    assert (stored.amount_paid, stored.status) == (Decimal("100"), InvoiceStatus.OPEN)


def test_a_payment_in_another_currency_than_its_invoice_is_refused(manager, contact, catalogue):
    upsert(manager, "orders", order(contact_id=contact.pk))
    upsert(manager, "invoices", invoice())

    errors = errors_of(manager, "payments", payment("pay-1", "10", currency="USD"))

    assert "Currency mismatch" in errors["currency"][0]
    assert (Payment.objects.count(), Invoice.objects.get().amount_paid) == (0, 0)


def test_an_unapplied_payment_is_stored_for_its_customer(manager, contact):
    upsert(manager, "payments", payment("pay-1", "50", invoice_external_id="", contact_id=contact.pk))

    stored = Payment.objects.get()
    assert (stored.invoice_id, stored.contact_id, stored.amount) == (None, contact.pk, Decimal("50"))


@pytest.mark.parametrize(("change", "field"), [({"amount": "0"}, "amount"), ({"amount": "-5"}, "amount"),
                                               ({"received_at": "2026-02-30T00:00:00Z"}, "received_at"),
                                               ({"method": "barter"}, "method")])
def test_a_bad_payment_names_the_field(manager, change, field):
    assert field in errors_of(manager, "payments", {**payment("pay-1", "10", invoice_external_id=""), **change})
    assert not Payment.objects.exists()


# --- catalogue and stock --------------------------------------------------------------------

def test_a_category_path_is_created_once_and_reused(manager):
    upsert(manager, "products", product("A", category="Shoes/Children"))
    upsert(manager, "products", product("B", category="shoes/children"))

    children = ProductCategory.objects.get(name="Children")
    assert (children.parent.name, children.parent.parent) == ("Shoes", None)
    assert ProductCategory.objects.count() == 2
    assert set(Product.objects.values_list("category_id", flat=True)) == {children.pk}


def test_categories_are_upserted_with_their_parent(manager):
    upsert(manager, "categories", {"source": "erp", "external_id": "c-1", "updated_at": T1, "name": "Food"})
    upsert(manager, "categories", {"source": "erp", "external_id": "c-2", "updated_at": T1, "name": "Rice",
                                   "parent_external_id": "c-1"})
    upsert(manager, "products", product("A", source="erp", category_external_id="c-2"))

    assert Product.objects.get().category.parent.name == "Food"
    loop = errors_of(manager, "categories", {"source": "erp", "external_id": "c-1", "updated_at": T2, "name": "Food",
                                             "parent_external_id": "c-2"})
    assert "parent_external_id" in loop


def test_a_sku_of_another_system_is_refused_but_a_hand_typed_product_is_taken_over(manager):
    Product.objects.create(sku="HAND", name="Typed in", currency="HTG")
    upsert(manager, "products", product("A"))

    assert upsert(manager, "products", product("HAND")).result == Result.UPDATED
    assert "sku" in errors_of(manager, "products", product("A", external_id="other"))
    assert Product.objects.get(sku="HAND").external_id == "p-HAND"


def test_stock_on_hand_is_the_sum_of_the_locations(manager, catalogue):
    records_ingest(actor=manager, kind="stock", records=enumerate([
        {"source": "wms", "external_id": "s-1", "updated_at": T1, "sku": "RICE", "location": "Shop", "quantity": "4"},
        {"source": "wms", "external_id": "s-2", "updated_at": T1, "sku": "RICE", "location": "Depot", "quantity": "10.5"},
    ], start=1))
    upsert(manager, "stock", {"source": "wms", "external_id": "s-1", "updated_at": T2, "sku": "RICE", "location": "Shop",
                              "quantity": "1"})

    assert Product.objects.get(sku="RICE").stock_on_hand == Decimal("11.5")
    assert StockLevel.objects.count() == 2
    assert "quantity" in errors_of(manager, "stock", {"source": "wms", "external_id": "s-3", "updated_at": T1,
                                                      "sku": "RICE", "quantity": "-1"})
    assert "sku" in errors_of(manager, "stock", {"source": "wms", "external_id": "s-3", "updated_at": T1,
                                                 "sku": "NOPE", "quantity": "1"})


# --- bulk -----------------------------------------------------------------------------------

def test_a_bulk_with_good_bad_and_malformed_lines_stores_the_good_ones(manager, catalogue):
    lines = [
        json.dumps(order("o-1")),
        "{not json",
        "",
        json.dumps(order("o-2", lines=[{"sku": "RICE", "quantity": "-1", "unit_price": "1"}])),
        json.dumps(["an", "array"]),
        json.dumps(order("o-3")),
    ]

    summary = ndjson_ingest(actor=manager, kind="orders", lines=[line.encode() for line in lines])

    assert (summary.received, summary.created, summary.failed) == (5, 2, 3)
    assert [(e["line"], e["external_id"], [x["field"] for x in e["errors"]]) for e in summary.errors] == [
        (2, "", ["json"]), (4, "o-2", ["lines[0].quantity"]), (5, "", ["body"]),
    ]
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["o-1", "o-3"]


def test_the_queries_of_a_bulk_chunk_do_not_grow_with_its_records(manager, contact, catalogue):
    def queries_for(count: int, start: int) -> int:
        records = [order(f"o-{start + n}", contact_id=contact.pk) for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            summary = records_ingest(actor=manager, kind="orders", records=enumerate(records, start=1))
        assert summary.created == count
        return len(captured.captured_queries)

    assert queries_for(3, 0) == queries_for(30, 100)


# --- audit and events -----------------------------------------------------------------------

def test_writes_are_audited_on_the_contact(manager, contact, catalogue):
    upsert(manager, "orders", order(contact_id=contact.pk))
    upsert(manager, "invoices", invoice())
    upsert(manager, "payments", payment("pay-1", "526"))

    on_contact = AuditEntry.objects.filter(contact_id=contact.pk).exclude(object_type="contacts.contact")
    assert sorted(on_contact.values_list("object_type", "action")) == [
        ("commerce.invoice", "create"), ("commerce.invoice", "update"), ("commerce.order", "create"),
        ("commerce.payment", "create"),
    ]
    assert {entry.actor_id for entry in on_contact} == {manager.pk}


@pytest.fixture
def received(monkeypatch) -> list[tuple[str, list[dict[str, Any]]]]:
    got: list[tuple[str, list[dict[str, Any]]]] = []
    monkeypatch.setattr(events, "_subscribers", [lambda name, payloads: got.append((name, list(payloads)))])
    return got


def test_events_announce_created_and_updated_records(manager, contact, catalogue, received):
    records_ingest(actor=manager, kind="orders", records=enumerate([order("o-1", contact_id=contact.pk), order("o-2")], start=1))
    upsert(manager, "orders", order("o-1", contact_id=contact.pk, updated_at=T2, status="paid"))
    upsert(manager, "orders", order("o-1", contact_id=contact.pk, updated_at=T2, status="paid"))

    assert [(name, len(payloads)) for name, payloads in received] == [("order.created", 2), ("order.updated", 1)]
    updated = received[1][1][0]
    assert {k: updated[k] for k in ("source", "external_id", "number", "contact_id", "total", "currency", "status")} == {
        "source": "pos", "external_id": "o-1", "number": "POS-1", "contact_id": contact.pk, "total": "526.0000",
        "currency": "HTG", "status": "paid",
    }
    assert updated["id"] == Order.objects.get(external_id="o-1").pk


def test_payments_announce_the_invoice_they_settle(manager, contact, catalogue, received):
    upsert(manager, "orders", order(contact_id=contact.pk))
    upsert(manager, "invoices", invoice())

    upsert(manager, "payments", payment("pay-1", "526"))

    names = [name for name, _payloads in received]
    assert names[-2:] == ["payment.created", "invoice.updated"]
    assert received[-1][1][0]["status"] == "paid"


def test_product_events_are_declared_with_labels():
    declared = {event.name for event in events.event_types()}
    assert {"product.created", "product.updated", "order.created", "order.updated", "invoice.created",
            "invoice.updated", "payment.created", "payment.updated"} <= declared
