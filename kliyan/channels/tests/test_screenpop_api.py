"""GET /api/v1/screenpop: who is calling, how to greet them, and every app's section, in one answer."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from kliyan.accounts.models import TokenScope
from kliyan.accounts.services import token_create
from kliyan.analytics import services as recommendations_services
from kliyan.analytics.tests.factories import make_contact, make_order, make_product
from kliyan.channels.schemas import ScreenPopOut
from kliyan.commerce.tests.builders import make_invoice, make_terms
from kliyan.contacts.services import contact_archive
from kliyan.service.services import ticket_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/screenpop"


def test_a_known_number_answers_the_contact_company_greeting_language_and_sections(client_as, agent, caller) -> None:
    response = client_as(agent).get(URL, {"phone": "3712-3456"})
    assert response.status_code == 200
    body = response.json()
    assert body["matched"] is True
    assert body["e164"] == "+50937123456"
    assert body["contacts"] == [
        {"id": caller.pk, "name": "Marie-Claire Joseph", "first_name": "Marie-Claire",
         "company": {"id": caller.company_id, "name": "Boulangerie Soleil"}},
    ]
    assert body["contact"]["greeting"] == "Marie-Claire"
    assert body["contact"]["url"] == f"/contacts/{caller.pk}/"
    assert (body["greeting"], body["language"], body["language_label"]) == ("Marie-Claire", "ht", "Kreyòl ayisyen")
    assert body["create_url"] is None
    assert body["pop_url"] == "/pop/?phone=%2B50937123456"
    interactions = body["sections"]["interactions"]
    assert [i["question"] for i in interactions] == ["Ki lè nou louvri dimanch?", "Èske nou gen farin?"]
    assert interactions[0]["channel"] == "whatsapp" and interactions[0]["answer"] == "Wi." and interactions[0]["staff"]
    assert [t["title"] for t in body["sections"]["tasks"]] == ["Rele l pou komand la"]


def test_the_greeting_falls_back_to_the_display_name_without_a_first_name(client_as, agent, haiti) -> None:
    from kliyan.contacts.services import contact_create

    contact_create(actor=agent, data={"last_name": "Pierre", "phones": [{"number": "+509 3400 1122"}]})
    body = client_as(agent).get(URL, {"phone": "+50934001122"}).json()
    assert body["greeting"] == "Pierre"
    assert body["language"] == "" and body["language_label"] == ""


def test_an_unknown_number_offers_to_create_a_contact_with_it(client_as, agent, caller) -> None:
    body = client_as(agent).get(URL, {"phone": "00509 3899 0000"}).json()
    assert body["matched"] is False
    assert body["contacts"] == [] and body["contact"] is None and body["sections"] == {}
    assert body["e164"] == "+50938990000"
    assert body["create_url"] == "/contacts/new/?phone=%2B50938990000"


def test_an_archived_contact_is_not_the_caller_but_is_shown(client_as, agent, caller) -> None:
    contact_archive(actor=agent, contact=caller)
    body = client_as(agent).get(URL, {"phone": "+509 3712 3456"}).json()
    assert body["matched"] is False
    assert body["contacts"] == []
    assert [c["id"] for c in body["archived_contacts"]] == [caller.pk]
    assert body["create_url"] == "/contacts/new/?phone=%2B50937123456"


@pytest.mark.parametrize("phone", ["abc", "12 34", "+" + "1" * 70, ""])
def test_a_phone_that_cannot_be_a_number_is_refused_naming_the_field(client_as, agent, phone) -> None:
    response = client_as(agent).get(URL, {"phone": phone})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["phone"]


def test_every_role_may_pop_and_anonymous_callers_may_not(client_as, users, caller) -> None:
    for user in users.values():
        assert client_as(user).get(URL, {"phone": "+50937123456"}).status_code == 200
    assert Client().get(URL, {"phone": "+50937123456"}).status_code == 401


def test_a_read_token_may_pop(agent, caller) -> None:
    _token, raw = token_create(actor=agent, user=agent, name="softphone", scope=TokenScope.READ)
    response = Client().get(URL, {"phone": "+50937123456"}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["contact"]["id"] == caller.pk


def test_the_pop_costs_one_query_for_caller_id_and_one_for_this_apps_two_sections(
    client_as, agent, caller, only_channels_sections, django_assert_num_queries
) -> None:
    client = client_as(agent)
    # session + user, caller ID (the numbers with their contacts and companies), interactions and tasks
    with django_assert_num_queries(2 + 1 + 1):
        assert client.get(URL, {"phone": "+50937123456"}).status_code == 200


def test_the_pop_with_every_apps_sections_stays_bounded(client_as, agent, caller, django_assert_max_num_queries) -> None:
    client = client_as(agent)
    with django_assert_max_num_queries(2 + 4):
        body: dict[str, Any] = client.get(URL, {"phone": "+50937123456"}).json()
    assert {"interactions", "tasks"} <= set(body["sections"])


def test_a_caller_with_orders_invoices_credit_tickets_and_recommendations_costs_four_queries(
    client_as, agent, caller, django_assert_num_queries,
) -> None:
    bread, butter, jam = (make_product(name) for name in ("bread", "butter", "jam"))
    make_order(caller, [bread, butter])
    make_order(make_contact("ann"), [bread, butter, jam])
    recommendations_services.rebuild_all()
    make_invoice(contact=caller, total="400", due_on=dt.date(2020, 1, 1))
    make_terms(company=caller.company, limit="1000")
    ticket_create(actor=agent, data={"contact": caller.pk, "subject": "Farin an pa rive"})
    client = client_as(agent)
    client.get(URL, {"phone": "+50937123456"})
    # session + user; caller ID; one for every app's read of the caller (interactions and tasks;
    # tickets and known issues; satisfaction; orders, lifetime, balance and credit);
    # recommendations (the basket with its partners, then the products)
    with django_assert_num_queries(2 + 4):
        body: dict[str, Any] = client.get(URL, {"phone": "+50937123456"}).json()
    sections = body["sections"]
    assert [r["name"] for r in sections["recommendations"]] == ["jam"]
    assert sections["credit"]["holder"] == "company" and sections["balance"]["overdue_invoices"] == 1
    assert [t["subject"] for t in sections["tickets"]["open"]] == ["Farin an pa rive"]
    assert len(sections["orders"]["items"]) == 1 and sections["lifetime"]["order_count"] == 1


def test_the_answer_is_what_the_documented_schema_gives(client_as, agent, caller) -> None:
    """The endpoint sends the pop without ninja's second validation: the schema must give the same JSON."""
    make_invoice(contact=caller, total="400")
    response = client_as(agent).get(URL, {"phone": "+50937123456"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert json.dumps(ScreenPopOut.model_validate(body).model_dump()) == json.dumps(body)
    assert response.content == json.dumps(body).encode()  # as ninja's renderer writes it (ASCII escapes)


def test_a_plus_sent_unescaped_in_the_url_is_read_as_international(haiti, agent, client_as):
    from kliyan.contacts.services import contact_create

    contact = contact_create(actor=agent, data={"first_name": "Arbër", "phones": [{"number": "+355 67 710 8625"}]})
    response = client_as(agent).get("/api/v1/screenpop?phone=+355677108625")  # the "+" arrives as a space
    body = response.json()
    assert body["matched"] is True and body["contact"]["id"] == contact.pk
    assert body["e164"] == "+355677108625"
