"""API v1 commerce reads, credit terms and exchange rates: roles, filters, paging, bad input, counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from kliyan.accounts.services import token_create
from kliyan.commerce.models import CreditTerms, ExchangeRate
from kliyan.commerce.schemas import (
    CommerceSummaryOut,
    ExchangeRatePage,
    InvoicePage,
    OrderPage,
    PaymentPage,
    ProductPage,
)
from kliyan.commerce.tests.builders import (
    at,
    make_category,
    make_invoice,
    make_order,
    make_payment,
    make_product,
    make_rate,
    make_terms,
)
from kliyan.contacts.services import company_create, contact_create
from kliyan.core.models import AuditEntry

pytestmark = pytest.mark.django_db

JSON = "application/json"


def errors_of(response) -> dict[str, str]:
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
def shop(agent):
    person = contact_create(actor=agent, data={"first_name": "Marie", "last_name": "Joseph"})
    firm = company_create(actor=agent, data={"name": "Kafe Lakay"})
    beans = make_category("Beans", parent=make_category("Coffee"))
    product = make_product("Kafe Rebo", sku="KAFE-1", price="850", cost="600", category=beans, stock={"PAP": "4"})
    order = make_order(contact=person, company=firm, total="1700", number="SO-1", ordered_at=at("2026-02-01"),
                       lines=[("Kafe Rebo", "2", "850")])
    invoice = make_invoice(contact=person, order=order, total="1700", paid="200", due_on=dt.date(2020, 1, 1))
    make_payment(contact=person, invoice=invoice, amount="200")
    return {"person": person, "firm": firm, "product": product, "order": order, "invoice": invoice, "beans": beans}


def read_urls(shop) -> list[str]:
    person, firm = shop["person"], shop["firm"]
    return [
        "/api/v1/products", f"/api/v1/products/{shop['product'].pk}", "/api/v1/categories",
        "/api/v1/orders", f"/api/v1/orders/{shop['order'].pk}", "/api/v1/invoices", f"/api/v1/invoices/{shop['invoice'].pk}",
        "/api/v1/payments", f"/api/v1/contacts/{person.pk}/commerce", f"/api/v1/companies/{firm.pk}/commerce",
        "/api/v1/exchange-rates",
    ]


def test_every_role_reads_and_anonymous_gets_401(shop, users, client_as) -> None:
    for url in read_urls(shop):
        for role, user in users.items():
            assert client_as(user).get(url).status_code == 200, (url, role)
        assert Client().get(url).status_code == 401, url


def test_unknown_ids_are_404_problems(agent, client_as) -> None:
    client = client_as(agent)
    for url in ("/api/v1/products/999", "/api/v1/orders/999", "/api/v1/invoices/999", "/api/v1/payments/999",
                "/api/v1/contacts/999/commerce", "/api/v1/companies/999/credit-terms"):
        response = client.get(url)
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json", url


# --- Products and categories ----------------------------------------------------------


def test_product_detail_has_amounts_as_strings_with_currency_margin_and_stock(shop, viewer, client_as) -> None:
    body = client_as(viewer).get(f"/api/v1/products/{shop['product'].pk}").json()
    assert (body["price"], body["currency"], body["cost"], body["margin"]) == ("850.0000", "HTG", "600.0000", "250.0000")
    assert body["category"] == "Beans"
    assert body["stock"] == [{"location": "PAP", "quantity": "4.000"}]


def test_product_filters_and_cursor_pagination(shop, agent, client_as) -> None:
    for n in range(4):
        make_product(f"Mug {n}", sku=f"MUG-{n}", active=n != 3)
    client = client_as(agent)
    assert [p["sku"] for p in client.get("/api/v1/products", {"q": "kafe"}).json()["items"]] == ["KAFE-1"]
    coffee = shop["beans"].parent
    assert [p["sku"] for p in client.get("/api/v1/products", {"category": coffee.pk}).json()["items"]] == ["KAFE-1"]
    assert "MUG-3" not in [p["sku"] for p in client.get("/api/v1/products", {"active": "true"}).json()["items"]]
    first = client.get("/api/v1/products", {"q": "mug", "limit": 3}).json()
    assert [p["sku"] for p in first["items"]] == ["MUG-0", "MUG-1", "MUG-2"]
    rest = client.get("/api/v1/products", {"q": "mug", "limit": 3, "cursor": first["next_cursor"]}).json()
    assert ([p["sku"] for p in rest["items"]], rest["next_cursor"]) == (["MUG-3"], None)
    ProductPage.model_validate(first)
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert client.get("/api/v1/products", {"updated_since": future}).json()["items"] == []


def test_category_tree_nests_children(shop, agent, client_as) -> None:
    tree = client_as(agent).get("/api/v1/categories").json()["items"]
    assert [(n["name"], [c["name"] for c in n["children"]]) for n in tree] == [("Coffee", ["Beans"])]


def test_bad_list_parameters_are_named(agent, client_as) -> None:
    client = client_as(agent)
    assert "status" in errors_of(client.get("/api/v1/orders", {"status": "lost"}))
    assert "sales_channel" in errors_of(client.get("/api/v1/orders", {"sales_channel": "pigeon"}))
    assert "status" in errors_of(client.get("/api/v1/invoices", {"status": "maybe"}))
    assert "cursor" in errors_of(client.get("/api/v1/products", {"cursor": "!!"}))
    assert "limit" in str(errors_of(client.get("/api/v1/orders", {"limit": 500})))
    assert "updated_since" in str(errors_of(client.get("/api/v1/orders", {"updated_since": "yesterday"})))
    assert "contact" in str(errors_of(client.get("/api/v1/orders", {"contact": 0})))


# --- Orders, invoices, payments -------------------------------------------------------


def test_orders_filter_by_contact_company_status_and_channel(shop, agent, client_as) -> None:
    other = contact_create(actor=agent, data={"first_name": "Jean"})
    make_order(contact=other, number="WA-1", channel="whatsapp", status="cancelled", ordered_at=at("2026-03-01"))
    client = client_as(agent)

    def numbers(**params) -> list[str]:
        return [o["number"] for o in client.get("/api/v1/orders", params).json()["items"]]

    assert numbers() == ["WA-1", "SO-1"]
    assert numbers(contact=shop["person"].pk) == ["SO-1"]
    assert numbers(company=shop["firm"].pk) == ["SO-1"]
    assert numbers(status="cancelled") == ["WA-1"]
    assert numbers(sales_channel="whatsapp") == ["WA-1"]


def test_order_shape_has_lines_totals_and_customer(shop, agent, client_as) -> None:
    body = client_as(agent).get(f"/api/v1/orders/{shop['order'].pk}").json()
    assert body["contact"] == {"id": shop["person"].pk, "name": "Marie Joseph"}
    assert body["company"] == {"id": shop["firm"].pk, "name": "Kafe Lakay"}
    assert (body["total"], body["currency"], body["items"]) == ("1700.0000", "HTG", "2 × Kafe Rebo")
    assert body["lines"][0] | {} == {
        "position": 0, "product_id": None, "sku": "L0", "description": "Kafe Rebo", "quantity": "2.000",
        "unit_price": "850.0000", "discount": "0.0000", "line_total": "1700.0000",
    }


def test_invoices_and_payments(shop, agent, client_as) -> None:
    client = client_as(agent)
    invoices = client.get("/api/v1/invoices", {"contact": shop["person"].pk, "status": "open"}).json()
    InvoicePage.model_validate(invoices)
    assert [(i["number"], i["amount_due"], i["order_number"]) for i in invoices["items"]] == [
        (shop["invoice"].number, "1500.0000", "SO-1")]
    payments = client.get("/api/v1/payments", {"invoice": shop["invoice"].pk}).json()
    PaymentPage.model_validate(payments)
    assert [(p["amount"], p["currency"]) for p in payments["items"]] == [("200.0000", "HTG")]
    payment_id = payments["items"][0]["id"]
    assert client.get(f"/api/v1/payments/{payment_id}").json()["invoice_number"] == shop["invoice"].number


def test_order_list_query_count_does_not_grow_with_rows(shop, agent, client_as, django_assert_max_num_queries) -> None:
    client = client_as(agent)
    client.get("/api/v1/orders")
    with django_assert_max_num_queries(8) as few:
        client.get("/api/v1/orders")
    for n in range(20):
        make_order(contact=shop["person"], company=shop["firm"], lines=[("A", "1", "1"), ("B", "1", "1")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/api/v1/orders").json()
    assert len(page["items"]) == 21
    OrderPage.model_validate(page)


def test_product_invoice_and_payment_lists_query_counts_do_not_grow(shop, agent, client_as, django_assert_max_num_queries) -> None:
    client = client_as(agent)
    counts = {}
    for url in ("/api/v1/products", "/api/v1/invoices", "/api/v1/payments"):
        client.get(url)
        with django_assert_max_num_queries(8) as few:
            client.get(url)
        counts[url] = len(few.captured_queries)
    for n in range(10):
        make_product(f"P{n}", category=make_category(f"C{n}"))
        order = make_order(contact=shop["person"])
        invoice = make_invoice(contact=shop["person"], order=order)
        make_payment(contact=shop["person"], invoice=invoice)
    for url, count in counts.items():
        with django_assert_max_num_queries(count):
            assert len(client.get(url).json()["items"]) == 11


# --- The summary ----------------------------------------------------------------------


def test_contact_commerce_summary(shop, viewer, client_as) -> None:
    person = shop["person"]
    make_terms(contact=person, limit="5000", days=30)
    make_rate("USD", "2026-01-01", "130")
    make_order(contact=person, total="10", currency="USD", ordered_at=at("2026-02-02"))
    make_order(contact=person, total="3", currency="EUR", ordered_at=at("2026-02-03"))
    make_order(contact=person, total="999", status="cancelled", ordered_at=at("2026-02-04"))
    body = client_as(viewer).get(f"/api/v1/contacts/{person.pk}/commerce").json()
    CommerceSummaryOut.model_validate(body)
    assert body["lifetime"] | {"first_purchase_at": None, "last_purchase_at": None} == {
        "currency": "HTG", "spend": "3000.0000", "order_count": 3, "unconverted": {"EUR": "3.0000"},
        "first_purchase_at": None, "last_purchase_at": None,
    }
    assert body["lifetime"]["last_purchase_at"].startswith("2026-02-03")
    assert body["balance"] == {"currency": "HTG", "due": "1500.0000", "overdue": "1500.0000", "open_invoices": 1,
                               "overdue_invoices": 1, "unconverted": {}}
    assert (body["credit"]["credit_limit"], body["credit"]["available"], body["credit"]["holder"]) == ("5000.0000", "3500.0000", "contact")
    assert [o["status"] for o in body["recent_orders"]] == ["cancelled", "placed", "placed", "placed"]


def test_summary_query_count_is_small_and_flat(shop, agent, client_as, django_assert_max_num_queries) -> None:
    client = client_as(agent)
    url = f"/api/v1/contacts/{shop['person'].pk}/commerce"
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for n in range(30):
        make_order(contact=shop["person"], lines=[("A", "1", "1"), ("B", "1", "1")])
        make_invoice(contact=shop["person"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(url).json()["recent_orders"]) == 5


# --- Credit terms ---------------------------------------------------------------------


def test_credit_terms_get_is_404_until_set_then_put_sets_them(shop, manager, viewer, client_as) -> None:
    person = shop["person"]
    url = f"/api/v1/contacts/{person.pk}/credit-terms"
    assert client_as(viewer).get(url).status_code == 404
    response = client_as(manager).put(url, {"credit_limit": "2500.00", "currency": "HTG", "payment_terms_days": 15},
                                      content_type=JSON)
    assert response.status_code == 200
    body = response.json()
    assert (body["customer"], body["customer_id"], body["credit_limit"], body["open_balance"], body["available"]) == (
        "contact", person.pk, "2500.0000", "1500.0000", "1000.0000")
    assert client_as(viewer).get(url).json()["payment_terms_days"] == 15
    entry = AuditEntry.objects.get(object_type="commerce.creditterms")
    assert (entry.action, entry.contact_id, entry.via) == ("create", person.pk, "api")


def test_putting_the_same_terms_again_changes_nothing(shop, manager, client_as) -> None:
    url = f"/api/v1/companies/{shop['firm'].pk}/credit-terms"
    payload = {"credit_limit": "100", "currency": "USD", "payment_terms_days": 30, "on_hold": True, "note": "x"}
    client = client_as(manager)
    assert client.put(url, payload, content_type=JSON).status_code == 200
    assert client.put(url, payload, content_type=JSON).status_code == 200
    assert CreditTerms.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="commerce.creditterms").count() == 1
    assert client.get(url).json()["on_hold"] is True


def test_agents_and_viewers_cannot_put_credit_terms(shop, agent, viewer, client_as) -> None:
    for user in (agent, viewer):
        url = f"/api/v1/contacts/{shop['person'].pk}/credit-terms"
        assert client_as(user).put(url, {"credit_limit": "1"}, content_type=JSON).status_code == 403
    assert not CreditTerms.objects.exists()


def test_a_read_token_cannot_put_but_a_managers_write_token_can(shop, manager) -> None:
    _token, read = token_create(actor=manager, user=manager, name="read", scope="read")
    _token, write = token_create(actor=manager, user=manager, name="write", scope="write")
    url = f"/api/v1/contacts/{shop['person'].pk}/credit-terms"
    body = {"credit_limit": "10"}
    assert Client().put(url, body, content_type=JSON, HTTP_AUTHORIZATION=f"Bearer {read}").status_code == 403
    assert Client().put(url, body, content_type=JSON, HTTP_AUTHORIZATION=f"Bearer {write}").status_code == 200


@pytest.mark.parametrize(("payload", "field"), [
    ({"credit_limit": "-1"}, "credit_limit"),
    ({"credit_limit": "abc"}, "credit_limit"),
    ({"credit_limit": "1.123456"}, "credit_limit"),
    ({"credit_limit": 12.5}, "credit_limit"),
    ({}, "credit_limit"),
    ({"credit_limit": "1", "currency": "EURO"}, "currency"),
    ({"credit_limit": "1", "payment_terms_days": -3}, "payment_terms_days"),
    ({"credit_limit": "1", "payment_terms_days": 99999}, "payment_terms_days"),
    ({"credit_limit": "1", "on_hold": "perhaps"}, "on_hold"),
    ({"credit_limit": "1", "colour": "red"}, "colour"),
])
def test_bad_credit_terms_are_named_and_nothing_is_written(shop, manager, client_as, payload, field) -> None:
    response = client_as(manager).put(f"/api/v1/contacts/{shop['person'].pk}/credit-terms", payload, content_type=JSON)
    assert response.status_code == 422
    assert any(field in name for name in errors_of(response)), errors_of(response)
    assert not CreditTerms.objects.exists()


def test_credit_terms_of_an_unknown_customer_are_404(manager, client_as) -> None:
    response = client_as(manager).put("/api/v1/contacts/999/credit-terms", {"credit_limit": "1"}, content_type=JSON)
    assert response.status_code == 404
    assert not CreditTerms.objects.exists()


# --- Exchange rates -------------------------------------------------------------------


def test_put_exchange_rate_creates_then_corrects_it(manager, viewer, client_as) -> None:
    client = client_as(manager)
    response = client.put("/api/v1/exchange-rates/usd/2026-03-01", {"rate": "132.5"}, content_type=JSON)
    assert response.status_code == 200
    assert response.json() | {"updated_at": None} == {"currency": "USD", "valid_from": "2026-03-01", "rate": "132.50000000", "updated_at": None}
    client.put("/api/v1/exchange-rates/USD/2026-03-01", {"rate": "133"}, content_type=JSON)
    client.put("/api/v1/exchange-rates/USD/2026-03-01", {"rate": "133.000"}, content_type=JSON)  # the same: no change
    assert ExchangeRate.objects.get().rate == Decimal("133")
    assert list(AuditEntry.objects.filter(object_type="commerce.exchangerate").values_list("action", flat=True).order_by("id")) == ["create", "update"]
    page = client_as(viewer).get("/api/v1/exchange-rates", {"currency": "usd"}).json()
    ExchangeRatePage.model_validate(page)
    assert [r["rate"] for r in page["items"]] == ["133.00000000"]


@pytest.mark.parametrize(("url", "payload", "field"), [
    ("/api/v1/exchange-rates/XXX1/2026-03-01", {"rate": "1"}, "currency"),
    ("/api/v1/exchange-rates/HTG/2026-03-01", {"rate": "1"}, "currency"),  # the organisation's own
    ("/api/v1/exchange-rates/USD/2026-02-30", {"rate": "1"}, "valid_from"),
    ("/api/v1/exchange-rates/USD/2026-03-01", {"rate": "0"}, "rate"),
    ("/api/v1/exchange-rates/USD/2026-03-01", {"rate": "-2"}, "rate"),
    ("/api/v1/exchange-rates/USD/2026-03-01", {"rate": "0.000000001"}, "rate"),
    ("/api/v1/exchange-rates/USD/2026-03-01", {}, "rate"),
])
def test_bad_exchange_rates_are_named_and_nothing_is_written(manager, client_as, url, payload, field) -> None:
    response = client_as(manager).put(url, payload, content_type=JSON)
    assert response.status_code == 422
    assert any(field in name for name in errors_of(response)), errors_of(response)
    assert not ExchangeRate.objects.exists()


def test_agents_cannot_set_exchange_rates(agent, client_as) -> None:
    assert client_as(agent).put("/api/v1/exchange-rates/USD/2026-03-01", {"rate": "1"}, content_type=JSON).status_code == 403
    assert not ExchangeRate.objects.exists()


# --- What real clients send -----------------------------------------------------------

TOO_BIG = 2**63


@pytest.mark.parametrize("url", [
    "/api/v1/products/{n}", "/api/v1/orders/{n}", "/api/v1/invoices/{n}", "/api/v1/payments/{n}",
    "/api/v1/contacts/{n}/commerce", "/api/v1/companies/{n}/commerce",
    "/api/v1/contacts/{n}/credit-terms", "/api/v1/companies/{n}/credit-terms",
])
def test_an_id_too_big_for_the_database_is_a_problem_not_a_500(url, agent, client_as) -> None:
    response = client_as(agent).get(url.format(n=TOO_BIG))
    assert response.status_code in (404, 422) and response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("url", [
    "/api/v1/orders?contact={n}", "/api/v1/orders?company={n}", "/api/v1/invoices?contact={n}",
    "/api/v1/payments?invoice={n}", "/api/v1/products?category={n}",
])
def test_an_id_filter_too_big_for_the_database_is_named(url, agent, client_as) -> None:
    response = client_as(agent).get(url.format(n=TOO_BIG))
    assert set(errors_of(response)) == {url.split("?")[1].split("=")[0]}


@pytest.mark.parametrize(("url", "field"), [
    ("/api/v1/exchange-rates/USD/0000-01-01", "valid_from"),
    ("/api/v1/exchange-rates/USD/99999-01-01", "valid_from"),
    ("/api/v1/exchange-rates/US%00/2026-01-01", "currency"),
])
def test_odd_exchange_rate_addresses_are_named(url, field, manager, client_as) -> None:
    response = client_as(manager).put(url, {"rate": "1"}, content_type=JSON)
    assert response.status_code in (400, 422)
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize("rate", ["1e999999", "1" * 40, "٣", " "])
def test_odd_rates_are_named(rate, manager, client_as) -> None:
    response = client_as(manager).put("/api/v1/exchange-rates/USD/2026-01-01", {"rate": rate}, content_type=JSON)
    assert set(errors_of(response)) == {"rate"}


def test_a_nul_character_in_a_note_is_named(shop, manager, client_as) -> None:
    response = client_as(manager).put(f"/api/v1/contacts/{shop['person'].pk}/credit-terms",
                                      {"credit_limit": "1", "note": "a\x00b"}, content_type=JSON)
    assert response.status_code == 422 and "note" in str(errors_of(response))
    assert not CreditTerms.objects.exists()
