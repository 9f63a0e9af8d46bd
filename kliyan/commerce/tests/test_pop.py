"""The commerce sections of the call screen pop: their data (plain JSON) and their templates."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.template.loader import render_to_string

from kliyan.commerce import queries
from kliyan.commerce.tests.builders import at, make_invoice, make_order, make_payment, make_rate, make_terms
from kliyan.contacts.models import Contact
from kliyan.contacts.services import company_create, contact_create
from kliyan.core.organisation import get_organisation
from kliyan.core.registry import pop_sections

pytestmark = pytest.mark.django_db


def build(contact) -> dict:
    return {s.name: s.build(contact) for s in pop_sections() if s.name in {"orders", "lifetime", "balance", "credit"}}


@pytest.fixture
def caller(agent):
    person = contact_create(actor=agent, data={"first_name": "Marie", "phones": [{"number": "+509 3700 0000"}]})
    return Contact.objects.select_related("company").get(pk=person.pk)


def test_the_four_sections_are_registered_with_templates() -> None:
    sections = {s.name: s for s in pop_sections()}
    for name in ("orders", "lifetime", "balance", "credit"):
        assert sections[name].template == f"commerce/pop/_{name}.html"


def test_sections_hold_the_last_orders_lifetime_balance_and_credit_as_json(caller) -> None:
    make_rate("USD", "2026-01-01", "130")
    for day in range(1, 8):
        make_order(contact=caller, number=f"SO-{day}", ordered_at=at(f"2026-02-0{day}"), total="100",
                   lines=[("Kafe", "2", "50")])
    make_order(contact=caller, number="USD-1", currency="USD", total="10", ordered_at=at("2026-02-08"), channel="phone")
    make_invoice(contact=caller, total="400", due_on=dt.date(2020, 1, 1))
    make_terms(contact=caller, limit="1000", days=30, on_hold=True)
    data = build(caller)
    json.dumps(data)  # plain JSON, as the API answers it
    orders = data["orders"]["items"]
    assert [o["number"] for o in orders] == ["USD-1", "SO-7", "SO-6", "SO-5", "SO-4"]
    assert orders[0] | {"ordered_at": None, "id": None, "url": None} == {
        "id": None, "number": "USD-1", "ordered_at": None, "channel": "phone", "channel_label": "Phone",
        "total": "10.0000", "currency": "USD", "status": "placed", "status_label": "Placed",
        "items": [{"sku": "L0", "label": "Item", "quantity": "1"}], "url": None,
    }
    assert data["lifetime"] | {"first_purchase_at": None, "last_purchase_at": None} == {
        "currency": "HTG", "value": "2000.0000", "order_count": 8, "unconverted": {},
        "first_purchase_at": None, "last_purchase_at": None,
    }
    assert data["balance"] == {"currency": "HTG", "due": "400.0000", "overdue": "400.0000", "open_invoices": 1,
                               "overdue_invoices": 1, "unconverted": {}}
    assert data["credit"] == {"holder": "contact", "holder_id": caller.pk, "currency": "HTG", "limit": "1000.0000",
                              "available": "600.0000", "open_balance": "400.0000", "payment_terms_days": 30, "on_hold": True}


def test_a_caller_with_nothing_bought_gets_empty_sections_and_no_credit(caller) -> None:
    data = build(caller)
    assert data["orders"] == {"items": []}
    assert (data["lifetime"]["order_count"], data["balance"]["due"], data["credit"]) == (0, "0.0000", None)


def test_a_caller_from_a_company_gets_the_companys_credit(agent) -> None:
    firm = company_create(actor=agent, data={"name": "Kafe Lakay"})
    person = contact_create(actor=agent, data={"first_name": "Jean", "company_id": firm.pk})
    make_terms(company=firm, limit="300")
    make_invoice(company=firm, total="100")
    credit = build(Contact.objects.select_related("company").get(pk=person.pk))["credit"]
    assert (credit["holder"], credit["holder_id"], credit["available"]) == ("company", firm.pk, "200.0000")


def test_the_four_sections_share_one_summary_read_in_one_query(caller, django_assert_num_queries) -> None:
    for n in range(20):
        make_order(contact=caller, lines=[("A", "1", "1"), ("B", "1", "1")])
        make_invoice(contact=caller)
    make_terms(contact=caller)
    get_organisation()
    with django_assert_num_queries(1):
        data = build(caller)
    assert len(data["orders"]["items"]) == 5 and data["lifetime"]["order_count"] == 20


def test_one_statement_gives_what_the_separate_reads_give_across_currencies_and_the_companys_account(
    agent, django_assert_num_queries,
) -> None:
    """Orders in two currencies, a company holding the credit terms, unapplied payments on both accounts."""
    make_rate("USD", "2026-01-01", "130")
    firm = company_create(actor=agent, data={"name": "Kafe Lakay"})
    person = contact_create(actor=agent, data={"first_name": "Jean", "company_id": firm.pk})
    worker = Contact.objects.select_related("company").get(pk=person.pk)
    make_order(contact=worker, number="HTG-1", total="1000", ordered_at=at("2026-02-01"), lines=[("Kafe", "2", "500")])
    make_order(contact=worker, number="USD-1", total="10", currency="USD", ordered_at=at("2026-02-02"))
    make_order(contact=worker, number="GONE", total="500", status="cancelled", ordered_at=at("2026-02-03"))
    make_invoice(contact=worker, total="400", due_on=dt.date(2020, 1, 1))
    make_invoice(contact=worker, total="5", currency="USD")
    make_payment(contact=worker, amount="100")
    make_terms(company=firm, limit="100", currency="USD")
    make_invoice(company=firm, total="2600", due_on=dt.date(2020, 1, 1))  # 20 USD
    make_payment(company=firm, amount="2", currency="USD")
    get_organisation()
    with django_assert_num_queries(2):  # the summary, and today's rates (several currencies)
        data = build(worker)
    assert [o["number"] for o in data["orders"]["items"]] == ["GONE", "USD-1", "HTG-1"]
    assert data["orders"]["items"][2]["items"] == [{"sku": "L0", "label": "Kafe", "quantity": "2"}]
    assert (data["lifetime"]["value"], data["lifetime"]["order_count"]) == ("2300.0000", 2)
    assert data["balance"] == {"currency": "HTG", "due": "950.0000", "overdue": "400.0000", "open_invoices": 2,
                               "overdue_invoices": 1, "unconverted": {}}
    assert data["credit"] | {"holder_id": None} == {
        "holder": "company", "holder_id": None, "currency": "USD", "limit": "100.0000", "available": "82.0000",
        "open_balance": "18.0000", "payment_terms_days": 30, "on_hold": False,
    }
    # The same figures as the reads the contact page and the API make one by one.
    customer = queries.Customer.of_contact(worker.pk)
    assert data["lifetime"]["value"] == str(queries.lifetime_value(customer).spend)
    assert data["balance"]["due"] == str(queries.open_balance(customer).due)
    company_credit = queries.credit_position(queries.Customer.of_company(firm.pk))
    assert (data["credit"]["holder_id"], data["credit"]["available"]) == (firm.pk, str(company_credit.available))
    assert [o["id"] for o in data["orders"]["items"]] == [o.id for o in queries.recent_orders(customer)]


def test_the_companys_account_is_not_read_when_the_contact_holds_terms(agent) -> None:
    firm = company_create(actor=agent, data={"name": "Kafe Lakay"})
    person = contact_create(actor=agent, data={"first_name": "Jean", "company_id": firm.pk})
    worker = Contact.objects.select_related("company").get(pk=person.pk)
    make_terms(company=firm, limit="5000")
    make_terms(contact=worker, limit="300")
    make_invoice(company=firm, total="1200")
    make_invoice(contact=worker, total="100")
    credit = build(worker)["credit"]
    assert (credit["holder"], credit["holder_id"], credit["available"]) == ("contact", worker.pk, "200.0000")


def test_section_templates_render_the_data(caller) -> None:
    make_order(contact=caller, number="SO-1", lines=[("Kafe", "2", "50")], total="100")
    make_invoice(contact=caller, total="400", due_on=dt.date(2020, 1, 1))
    make_terms(contact=caller, limit="1000", on_hold=True)
    data = build(caller)
    html = {s.name: render_to_string(s.template, {"section": data[s.name], "contact": caller})
            for s in pop_sections() if s.name in data}
    assert "SO-1" in html["orders"] and "2 × Kafe" in html["orders"]
    assert "100.00" in html["lifetime"]
    assert "400.00" in html["balance"] and "badge--danger" in html["balance"]
    assert "On hold" in html["credit"] and "600.00" in html["credit"]
