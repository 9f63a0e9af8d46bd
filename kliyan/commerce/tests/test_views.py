"""Commerce pages: who may open them, what they show, forms that name bad fields, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kliyan.commerce.models import CreditTerms, ExchangeRate
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

HTMX = {"HTTP_HX_REQUEST": "true"}
EVERYONE = {"admin", "manager", "agent", "viewer"}
MANAGERS = {"admin", "manager"}


@pytest.fixture
def shop(agent):
    """A contact and a company with an order, an invoice, a payment, a product and credit terms."""
    person = contact_create(actor=agent, data={"first_name": "Marie", "last_name": "Joseph"})
    firm = company_create(actor=agent, data={"name": "Kafe Lakay"})
    product = make_product("Kafe Rebo 1 kg", sku="KAFE-1", price="850", cost="600", category=make_category("Coffee"),
                           stock={"Port-au-Prince": "12", "Jacmel": "3.5"})
    order = make_order(contact=person, total="1700", lines=[("Kafe Rebo 1 kg", "2", "850")], number="SO-100")
    order.lines.update(product=product)
    invoice = make_invoice(contact=person, order=order, total="1700", paid="700")
    make_payment(contact=person, invoice=invoice, amount="700")
    make_terms(contact=person, limit="5000")
    return {"person": person, "firm": firm, "product": product, "order": order}


def pages(shop) -> list[tuple[str, set[str]]]:
    person, firm = shop["person"], shop["firm"]
    return [
        (reverse("commerce:product_list"), EVERYONE),
        (reverse("commerce:product_detail", args=[shop["product"].pk]), EVERYONE),
        (reverse("commerce:order_list"), EVERYONE),
        (reverse("commerce:order_detail", args=[shop["order"].pk]), EVERYONE),
        (reverse("commerce:contact_orders", args=[person.pk]), EVERYONE),
        (reverse("commerce:contact_credit", args=[person.pk]), MANAGERS),
        (reverse("commerce:company_credit", args=[firm.pk]), MANAGERS),
        (reverse("commerce:exchange_rates"), MANAGERS),
    ]


def test_each_role_opens_the_pages_it_may_and_gets_403_on_the_others(shop, users, client_as) -> None:
    for url, allowed in pages(shop):
        for role, user in users.items():
            status = client_as(user).get(url).status_code
            assert status == (200 if role in allowed else 403), (url, role, status)


def test_anonymous_visitors_are_sent_to_log_in(shop, client) -> None:
    for url, _allowed in pages(shop):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_unknown_objects_are_404(agent, manager, client_as) -> None:
    for name in ("product_detail", "order_detail", "contact_orders"):
        assert client_as(agent).get(reverse(f"commerce:{name}", args=[999])).status_code == 404
    for name in ("contact_credit", "company_credit"):
        assert client_as(manager).get(reverse(f"commerce:{name}", args=[999])).status_code == 404


# --- Products -------------------------------------------------------------------------


def test_product_list_searches_and_filters_by_category(agent, client_as) -> None:
    coffee = make_category("Coffee")
    make_product("Kafe Rebo", sku="KAFE-1", category=make_category("Beans", parent=coffee))
    make_product("Mug", sku="MUG-1")
    client = client_as(agent)
    body = client.get(reverse("commerce:product_list"), {"category": coffee.pk}).content.decode()
    assert "Kafe Rebo" in body and "Mug" not in body
    assert "Coffee › Beans" in body  # the filter menu shows the tree
    fragment = client.get(reverse("commerce:product_list"), {"q": "mug"}, **HTMX).content.decode()
    assert "Mug" in fragment and "Kafe Rebo" not in fragment and "<html" not in fragment


def test_product_list_pages_with_a_cursor_and_survives_a_spoilt_one(agent, client_as, settings) -> None:
    settings.KLIYAN_PAGE_SIZE = 2
    for n in range(5):
        make_product(f"Product {n}")
    client = client_as(agent)
    first = client.get(reverse("commerce:product_list"))
    assert [p.name for p in first.context["page"].items] == ["Product 0", "Product 1"]
    second = client.get(reverse("commerce:product_list"), {"cursor": first.context["page"].next_cursor})
    assert [p.name for p in second.context["page"].items] == ["Product 2", "Product 3"]
    assert client.get(reverse("commerce:product_list"), {"cursor": "nonsense"}).status_code == 200


def test_product_detail_shows_stock_per_location_and_margin(shop, agent, client_as) -> None:
    body = client_as(agent).get(reverse("commerce:product_detail", args=[shop["product"].pk])).content.decode()
    assert "Port-au-Prince" in body and "Jacmel" in body and "15.5" in body
    assert "250.00" in body and "(29 %)" in body  # 850 − 600


def test_product_list_query_count_does_not_grow_with_rows(agent, client_as, django_assert_max_num_queries) -> None:
    client = client_as(agent)
    make_product("One", category=make_category("A"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("commerce:product_list"))
    for n in range(15):
        make_product(f"P{n}", category=make_category(f"C{n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("commerce:product_list"))
    assert len(response.context["page"].items) == 16


def test_product_detail_query_count_does_not_grow_with_stock(agent, client_as, django_assert_max_num_queries) -> None:
    client = client_as(agent)
    product = make_product("One", stock={"A": "1"})
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("commerce:product_detail", args=[product.pk]))
    other = make_product("Two", stock={f"L{n}": "1" for n in range(20)}, category=make_category("C", parent=make_category("P")))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("commerce:product_detail", args=[other.pk])).status_code == 200


# --- Orders ---------------------------------------------------------------------------


def test_order_list_filters_by_status_channel_and_number(shop, agent, client_as) -> None:
    make_order(contact=shop["person"], number="WEB-7", channel="online", status="cancelled")
    client = client_as(agent)
    body = client.get(reverse("commerce:order_list"), {"status": "cancelled"}).content.decode()
    assert "WEB-7" in body and "SO-100" not in body
    body = client.get(reverse("commerce:order_list"), {"sales_channel": "shop"}).content.decode()
    assert "SO-100" in body and "WEB-7" not in body
    body = client.get(reverse("commerce:order_list"), {"q": "web"}, **HTMX).content.decode()
    assert "WEB-7" in body and "<html" not in body


def test_managers_find_rates_and_product_pairs_from_the_orders_page(shop, agent, manager, client_as) -> None:
    pairs, rates = reverse("analytics:recommendations"), reverse("commerce:exchange_rates")
    body = client_as(manager).get(reverse("commerce:order_list")).content.decode()
    assert pairs in body and rates in body
    body = client_as(agent).get(reverse("commerce:order_list")).content.decode()
    assert pairs not in body and rates not in body


def test_order_detail_shows_lines_invoices_and_payments(shop, viewer, client_as) -> None:
    body = client_as(viewer).get(reverse("commerce:order_detail", args=[shop["order"].pk])).content.decode()
    assert "Kafe Rebo 1 kg" in body
    assert "Marie Joseph" in body
    assert "INV-" in body and "Paid" in body
    assert reverse("commerce:product_detail", args=[shop["product"].pk]) in body


def test_order_pages_query_counts_do_not_grow(shop, agent, client_as, django_assert_max_num_queries) -> None:
    client = client_as(agent)
    with django_assert_max_num_queries(12) as list_few:
        client.get(reverse("commerce:order_list"))
    with django_assert_max_num_queries(14) as detail_few:
        client.get(reverse("commerce:order_detail", args=[shop["order"].pk]))
    firm = shop["firm"]
    for n in range(12):
        make_order(contact=shop["person"] if n % 2 else None, company=firm, lines=[("A", "1", "1"), ("B", "1", "1")])
    big = make_order(contact=shop["person"], lines=[(f"L{n}", "1", "1") for n in range(10)])
    for n in range(3):
        invoice = make_invoice(contact=shop["person"], order=big, total="5")
        make_payment(contact=shop["person"], invoice=invoice, amount="1")
        make_payment(contact=shop["person"], invoice=invoice, amount="2")
    with django_assert_max_num_queries(len(list_few.captured_queries)):
        assert len(client.get(reverse("commerce:order_list")).context["rows"]) == 14
    with django_assert_max_num_queries(len(detail_few.captured_queries)):
        assert client.get(reverse("commerce:order_detail", args=[big.pk])).status_code == 200


def test_purchases_page_shows_the_summary_and_every_order(shop, agent, client_as, django_assert_max_num_queries) -> None:
    person = shop["person"]
    client = client_as(agent)
    with django_assert_max_num_queries(16) as few:
        response = client.get(reverse("commerce:contact_orders", args=[person.pk]))
    body = response.content.decode()
    assert "SO-100" in body and "1,700.00" in body  # lifetime spend
    assert "1,000.00" in body  # balance due
    assert "4,000.00" in body  # credit available
    for n in range(10):
        make_order(contact=person, ordered_at=at(f"2026-01-{n + 1:02d}"), lines=[("A", "1", "1"), ("B", "1", "1")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(reverse("commerce:contact_orders", args=[person.pk])).context["rows"]) == 11


# --- Credit terms and exchange rates --------------------------------------------------


def test_manager_sets_a_contacts_credit_terms_and_it_is_audited(shop, manager, client_as) -> None:
    person = shop["person"]
    response = client_as(manager).post(reverse("commerce:contact_credit", args=[person.pk]), {
        "credit_limit": "7500.50", "currency": "usd", "payment_terms_days": "45", "on_hold": "on", "note": "Late twice",
    })
    assert response.status_code == 302 and response["Location"] == person.get_absolute_url()
    terms = CreditTerms.objects.get(contact=person)
    assert (terms.credit_limit, terms.currency, terms.payment_terms_days, terms.on_hold) == (Decimal("7500.5"), "USD", 45, True)
    entry = AuditEntry.objects.filter(object_type="commerce.creditterms").latest("id")
    assert (entry.action, entry.contact_id, entry.after["credit_limit"]) == ("update", person.pk, "7500.5000")


def test_company_credit_terms_are_created_by_the_form(shop, manager, client_as) -> None:
    firm = shop["firm"]
    response = client_as(manager).post(reverse("commerce:company_credit", args=[firm.pk]), {
        "credit_limit": "20000", "currency": "HTG", "payment_terms_days": "30",
    })
    assert response.status_code == 302
    assert CreditTerms.objects.get(company=firm).credit_limit == Decimal("20000")
    assert AuditEntry.objects.filter(object_type="commerce.creditterms", action="create").count() == 1


def test_bad_credit_terms_are_named_next_to_the_field_and_nothing_changes(shop, manager, client_as) -> None:
    person = shop["person"]
    client = client_as(manager)  # logging in is audited too
    before = AuditEntry.objects.count()
    response = client.post(reverse("commerce:contact_credit", args=[person.pk]), {
        "credit_limit": "-5", "currency": "XYZ", "payment_terms_days": "30",
    })
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"credit_limit", "currency"}
    assert CreditTerms.objects.get(contact=person).credit_limit == Decimal("5000")
    assert AuditEntry.objects.count() == before


def test_agent_cannot_post_credit_terms(shop, agent, client_as) -> None:
    response = client_as(agent).post(reverse("commerce:contact_credit", args=[shop["person"].pk]), {
        "credit_limit": "1", "currency": "HTG", "payment_terms_days": "1",
    })
    assert response.status_code == 403
    assert CreditTerms.objects.get(contact=shop["person"]).credit_limit == Decimal("5000")


def test_manager_adds_and_corrects_an_exchange_rate(manager, client_as) -> None:
    client = client_as(manager)
    url = reverse("commerce:exchange_rates")
    assert client.post(url, {"currency": "usd", "valid_from": "2026-03-01", "rate": "132.5"}).status_code == 302
    assert client.post(url, {"currency": "USD", "valid_from": "2026-03-01", "rate": "0.00751234"}).status_code == 302
    rate = ExchangeRate.objects.get()
    assert (rate.currency, rate.valid_from, rate.rate) == ("USD", dt.date(2026, 3, 1), Decimal("0.00751234"))
    assert "0.00751234" in client.get(url).content.decode()
    assert list(AuditEntry.objects.filter(object_type="commerce.exchangerate").values_list("action", flat=True).order_by("id")) == ["create", "update"]


def test_bad_exchange_rate_is_named_and_nothing_is_written(manager, client_as) -> None:
    response = client_as(manager).post(reverse("commerce:exchange_rates"), {"currency": "HTG", "valid_from": "2026-03-01", "rate": "0"})
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"currency", "rate"}  # HTG is the organisation's own currency
    assert not ExchangeRate.objects.exists()


# --- The contact page -----------------------------------------------------------------


def test_contact_page_shows_the_purchases_panel(shop, viewer, client_as) -> None:
    person = shop["person"]
    make_invoice(contact=person, total="300", due_on=dt.date(2020, 1, 1))
    body = client_as(viewer).get(person.get_absolute_url()).content.decode()
    assert 'id="purchases"' in body
    assert "SO-100" in body and reverse("commerce:order_detail", args=[shop["order"].pk]) in body
    assert "1,300.00" in body  # due: 1,000 + 300
    assert "HTG300.00 overdue" in body.replace("\xa0", "")
    assert reverse("commerce:contact_orders", args=[person.pk]) in body
    assert reverse("commerce:contact_credit", args=[person.pk]) not in body  # viewers do not set credit


def test_contact_page_warns_when_credit_is_on_hold(shop, manager, client_as) -> None:
    CreditTerms.objects.filter(contact=shop["person"]).update(on_hold=True)
    body = client_as(manager).get(shop["person"].get_absolute_url()).content.decode()
    assert "Credit on hold" in body
    assert reverse("commerce:contact_credit", args=[shop["person"].pk]) in body


def test_contact_page_query_count_does_not_grow_with_orders(shop, agent, client_as, django_assert_max_num_queries) -> None:
    person = shop["person"]
    client = client_as(agent)
    client.get(person.get_absolute_url())
    with django_assert_max_num_queries(40) as few:
        client.get(person.get_absolute_url())
    for n in range(25):
        make_order(contact=person, currency="USD" if n % 2 else "HTG", lines=[("A", "1", "1"), ("B", "2", "2")])
        make_invoice(contact=person, total="5")
        make_payment(contact=person, amount="1")
    make_rate("USD", "2020-01-01", "130")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(person.get_absolute_url())
    assert response.status_code == 200


def test_orders_appear_on_the_contact_timeline_newest_first(shop, agent, client_as) -> None:
    person = shop["person"]
    make_order(contact=person, number="OLD-1", ordered_at=at("2020-01-01"))
    make_order(contact=person, number="WA-9", channel="whatsapp", ordered_at=at("2030-01-01"),
               lines=[("Kafe", "2", "10"), ("Mug", "1", "5")])
    entries = client_as(agent).get(person.get_absolute_url()).context["entries"]
    orders = [e for e in entries if e.kind == "order"]
    assert [e.title for e in orders] == ["Order WA-9 · WhatsApp", "Order SO-100 · Shop", "Order OLD-1 · Shop"]
    assert orders[0].body.startswith("2 × Kafe and 1 more")
    assert (orders[0].data["total"], orders[0].data["currency"], orders[0].data["status"]) == ("100.0000", "HTG", "placed")
