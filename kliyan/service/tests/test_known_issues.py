"""Known issues: which open problems concern a ticket or a customer, how many customers they
affect, and every place that shows them (ticket page, contact page, screen pop, new-ticket form,
API), each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kliyan.commerce.models import Order, OrderLine
from kliyan.commerce.tests.builders import make_product
from kliyan.contacts.services import contact_create
from kliyan.service import categories, known_issues, problems, services
from kliyan.service.pop import known_issues_section

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SAY = "Spuneți-le că livrările reîncep luni."


@pytest.fixture
def late(manager):
    return categories.category_create(actor=manager, data={"name": "Livrare întârziată"})


@pytest.fixture
def billing(manager):
    return categories.category_create(actor=manager, data={"name": "Facturare"})


@pytest.fixture
def phone():
    return make_product("Telefon X1", sku="X1")


@pytest.fixture
def people(agent):
    return [contact_create(actor=agent, data={"first_name": name, "last_name": "Test"}) for name in ("Ana", "Jean", "Marie")]


def open_ticket(agent, contact, **data):
    return services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": data.pop("subject", "Ajutor"), **data})


def test_a_category_problem_concerns_tickets_of_that_category_only(agent, manager, contact, late, billing) -> None:
    problem = problems.problem_create(actor=manager, data={"title": "Curier în grevă", "category": late.pk, "customer_message": SAY})
    in_late = open_ticket(agent, contact, category=late.pk)
    in_billing = open_ticket(agent, contact, category=billing.pk)
    issues = known_issues.for_ticket(in_late)
    assert [(i.id, i.customer_message, i.linked) for i in issues] == [(problem.pk, SAY, False)]
    assert known_issues.for_ticket(in_billing) == []


def test_product_and_both_scopes_match_as_documented(agent, manager, contact, late, phone) -> None:
    other = make_product("Telefon X2", sku="X2")
    product_only = problems.problem_create(actor=manager, data={"title": "Baterie X1", "product": phone.pk})
    both = problems.problem_create(actor=manager, data={"title": "X1 întârziat", "product": phone.pk, "category": late.pk})
    assert {i.id for i in known_issues.for_ticket(open_ticket(agent, contact, product=phone.pk))} == {product_only.pk}
    assert {i.id for i in known_issues.for_ticket(open_ticket(agent, contact, product=phone.pk, category=late.pk))} == {
        product_only.pk, both.pk,
    }
    assert known_issues.for_ticket(open_ticket(agent, contact, product=other.pk, category=late.pk)) == []


def test_a_linked_ticket_shows_its_problem_even_without_category(agent, manager, contact) -> None:
    ticket = open_ticket(agent, contact)
    problem = problems.problem_create(actor=manager, data={"title": "Site-ul nu merge"}, ticket=ticket)
    ticket.refresh_from_db()
    assert [(i.id, i.linked) for i in known_issues.for_ticket(ticket)] == [(problem.pk, True)]
    problems.problem_change_status(actor=manager, problem=problem, status="resolved")
    assert known_issues.for_ticket(ticket) == []  # resolved: no longer a known issue


def test_customers_affected_counts_distinct_contacts_linked_and_open_unlinked(agent, manager, people, late) -> None:
    ana, jean, marie = people
    problem = problems.problem_create(actor=manager, data={"title": "Curier în grevă", "category": late.pk})
    first = open_ticket(agent, ana, category=late.pk)
    open_ticket(agent, ana, category=late.pk)  # the same customer twice counts once
    problems.problem_link_ticket(actor=manager, problem=problem, ticket=first)
    linked_without_category = open_ticket(agent, jean)
    problems.problem_link_ticket(actor=manager, problem=problem, ticket=linked_without_category)
    done = open_ticket(agent, marie, category=late.pk)
    services.ticket_change_status(actor=agent, ticket=done, status="resolved")  # resolved and unlinked: not counted
    elsewhere = problems.problem_create(actor=manager, data={"title": "Altă problemă"})
    moved = open_ticket(agent, marie, category=late.pk)
    problems.problem_link_ticket(actor=manager, problem=elsewhere, ticket=moved)  # another problem's case
    [issue] = known_issues.for_new_ticket(category_id=late.pk, product_id=None)
    assert issue.affected == 2
    services.ticket_change_status(actor=agent, ticket=linked_without_category, status="closed")
    assert known_issues.for_new_ticket(category_id=late.pk, product_id=None)[0].affected == 2  # linked: counted whatever its status


def test_a_contact_is_concerned_through_open_tickets_and_recent_purchases(agent, manager, people, late, phone) -> None:
    ana, jean, marie = people
    by_category = problems.problem_create(actor=manager, data={"title": "Curier în grevă", "category": late.pk})
    by_product = problems.problem_create(actor=manager, data={"title": "Baterie X1", "product": phone.pk})
    open_ticket(agent, ana, category=late.pk)
    order = Order.objects.create(number="SO-1", contact=jean, currency="RON", ordered_at=timezone.now() - dt.timedelta(days=10))
    OrderLine.objects.create(order=order, product=phone, sku="X1", quantity=Decimal(1), unit_price=Decimal(900), line_total=Decimal(900))
    old = Order.objects.create(number="SO-2", contact=marie, currency="RON", ordered_at=timezone.now() - dt.timedelta(days=400))
    OrderLine.objects.create(order=old, product=phone, sku="X1", quantity=Decimal(1), unit_price=Decimal(900), line_total=Decimal(900))
    assert [i.id for i in known_issues.for_contact(ana.pk)] == [by_category.pk]
    assert [i.id for i in known_issues.for_contact(jean.pk)] == [by_product.pk]
    assert known_issues.for_contact(marie.pk) == []  # bought long ago


def test_the_ticket_page_shows_the_known_issue_in_a_fixed_number_of_queries(agent, manager, people, late, client_as,
                                                                           django_assert_num_queries) -> None:
    problems.problem_create(actor=manager, data={"title": "Curier în grevă", "category": late.pk, "customer_message": SAY})
    tickets = [open_ticket(agent, person, category=late.pk) for person in people]
    client = client_as(agent)
    url = reverse("service:ticket_detail", args=[tickets[0].pk])
    client.get(url)
    # session, user, ticket, messages, files, loose files, history, categories, agents, teams, recipient,
    # known issues (with counts), open problems to link to, linked articles
    with django_assert_num_queries(14):
        page = client.get(url).content.decode()
    assert "Known issue" in page and "3 customers affected" in page and SAY in page


def test_the_contact_page_and_the_screen_pop_show_known_issues(agent, viewer, manager, contact, late, client_as,
                                                              django_assert_num_queries) -> None:
    problem = problems.problem_create(actor=manager, data={"title": "Curier în grevă", "category": late.pk, "customer_message": SAY})
    open_ticket(agent, contact, category=late.pk)
    page = client_as(viewer).get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    panel = page.split('id="known-issues"', 1)[1].split("</section>", 1)[0]
    assert "Curier în grevă" in panel and SAY in panel and "1 customer affected" in panel
    with django_assert_num_queries(1):
        section = known_issues_section(contact)
    assert section["items"][0]["id"] == problem.pk and section["items"][0]["affected"] == 1
    client = client_as(agent)
    body = client.get("/api/v1/screenpop", {"phone": "+40 721 234 567"}).json()
    assert body["sections"]["known_issues"]["items"][0]["customer_message"] == SAY
    pop = client.get(reverse("channels:pop"), {"phone": "+40721234567"}).content.decode()
    assert "Known issue" in pop and SAY in pop


def test_a_customer_without_known_issues_gets_no_panel(viewer, contact, client_as) -> None:
    page = client_as(viewer).get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert 'id="known-issues"' not in page


def test_the_new_ticket_form_shows_known_issues_once_a_category_or_product_is_chosen(agent, manager, contact, late, phone,
                                                                                   client_as) -> None:
    problems.problem_create(actor=manager, data={"title": "Baterie X1", "product": phone.pk, "customer_message": "Înlocuim bateria."})
    client = client_as(agent)
    form = client.get(reverse("service:ticket_create"), {"contact": contact.pk}).content.decode()
    assert reverse("service:ticket_suggestions") in form and "from:#id_category" in form
    url = reverse("service:ticket_suggestions")
    nothing = client.get(url, {"category": late.pk, "contact": contact.pk}, **HTMX)
    assert nothing.status_code == 200 and "Known issue" not in nothing.content.decode()
    found = client.get(url, {"product_sku": "x1", "contact": contact.pk}, **HTMX).content.decode()
    assert "Baterie X1" in found and "Înlocuim bateria." in found


def test_the_api_answers_known_issues_for_a_ticket_a_contact_or_a_category(agent, manager, contact, late, client_as) -> None:
    problem = problems.problem_create(actor=manager, data={"title": "Curier în grevă", "category": late.pk, "customer_message": SAY})
    ticket = open_ticket(agent, contact, category=late.pk)
    api = client_as(agent)
    for params in ({"ticket": ticket.pk}, {"contact": contact.pk}, {"category": late.pk}):
        response = api.get("/api/v1/service/known-issues", params)
        assert response.status_code == 200, params
        assert [(i["id"], i["affected"], i["customer_message"]) for i in response.json()["items"]] == [(problem.pk, 1, SAY)]
    for params in ({}, {"ticket": ticket.pk, "contact": contact.pk}):
        response = api.get("/api/v1/service/known-issues", params)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "ticket"
    assert api.get("/api/v1/service/known-issues", {"ticket": 999999}).status_code == 404
    assert api.get("/api/v1/service/known-issues", {"contact": 999999}).status_code == 404


def test_a_resolved_problem_counts_only_its_linked_tickets(agent, manager, people, late) -> None:
    from kliyan.service import problem_queries

    ana, jean, _marie = people
    problem = problems.problem_create(actor=manager, data={"title": "Curier în grevă", "category": late.pk})
    problems.problem_link_ticket(actor=manager, problem=problem, ticket=open_ticket(agent, ana, category=late.pk))
    open_ticket(agent, jean, category=late.pk)
    assert problem_queries.problem_for_page(problem.pk).affected == 2
    problems.problem_change_status(actor=manager, problem=problem, status="resolved")
    assert problem_queries.problem_for_page(problem.pk).affected == 1
