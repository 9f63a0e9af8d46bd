"""Service desk reports: the figures (ages, compliance, medians, tops, breakdowns), who sees which
tickets, the page and the API (each role), bad periods named, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kliyan.accounts.teams import team_create
from kliyan.commerce.tests.builders import make_product
from kliyan.service import categories, reports, services
from kliyan.service.choices import TicketStatus
from kliyan.service.models import Ticket
from kliyan.service.tests.sla_helpers import install_clock, make_policy

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
JSON = "application/json"


@pytest.fixture
def desk(monkeypatch, manager, agent, make_user, contact):
    """Two teams; five tickets of team A opened at T0, T0+1 min, … with known answers; one of team B."""
    clock = install_clock(monkeypatch, T0)
    make_policy(manager)  # 24/7: first response within 1 h, resolution within 8 h
    other = make_user("agent", username="other")
    team_a = team_create(actor=manager, data={"name": "A", "members": [agent.pk], "manager": manager.pk})
    team_b = team_create(actor=manager, data={"name": "B", "members": [other.pk]})
    delivery = categories.category_create(actor=manager, data={"name": "Delivery"})
    product = make_product(sku="SKU-1", name="Kettle")
    tickets = []
    for n in range(5):
        tickets.append(services.ticket_create(actor=agent, data={
            "contact": contact.pk, "subject": f"A{n}", "assignee": agent.pk, "team": team_a.pk,
            "category": delivery.pk if n < 3 else None, "product": product.pk if n == 0 else None,
        }))
        clock.advance(minutes=1)
    b_ticket = services.ticket_create(actor=other, data={"contact": contact.pk, "subject": "B0", "assignee": other.pk, "team": team_b.pk})
    # A0 answered after 10 min, A1 after 30 min, A2 after 90 min (late); A0 and A2 resolved after 2 h and 10 h.
    for ticket, minutes in ((tickets[0], 10), (tickets[1], 30), (tickets[2], 90)):
        clock.at = ticket.created_at + dt.timedelta(minutes=minutes)
        services.ticket_reply(actor=agent, ticket=ticket, body="On it")
    clock.at = tickets[0].created_at + dt.timedelta(hours=2)
    services.ticket_change_status(actor=agent, ticket=tickets[0], status=TicketStatus.RESOLVED)
    clock.at = tickets[2].created_at + dt.timedelta(hours=10)
    services.ticket_change_status(actor=agent, ticket=tickets[2], status=TicketStatus.RESOLVED)
    clock.at = T0 + dt.timedelta(days=2)  # every open ticket is now past both targets
    return {"clock": clock, "a": team_a, "b": team_b, "tickets": tickets, "b_ticket": b_ticket, "other": other,
            "delivery": delivery, "product": product}


def _report(scope, day=dt.date(2026, 3, 2)):
    return reports.service_report(scope=scope, start=day, end=day)


def test_the_figures_of_a_team(desk) -> None:
    report = _report(reports.Scope((desk["a"].pk,), desk["a"]))
    assert report["tickets"] == {"created": 5, "resolved": 2, "open": 3}
    assert report["open_by_age"] == {"under_1_day": 0, "1_to_3_days": 3, "3_to_7_days": 0, "over_7_days": 0, "total": 3}
    # First response: A0, A1 met; A2 late; A3, A4 never answered and past due.
    assert report["sla"]["first_response"] == {"met": 2, "missed": 3, "share": 0.4}
    # Resolution: A0 met (2 h); A2 missed (10 h); A1, A3, A4 open past due.
    assert report["sla"]["resolution"] == {"met": 1, "missed": 4, "share": 0.2}
    medians = report["median_seconds"]
    assert medians["first_response_calendar"] == 30 * 60 and medians["first_response_business"] == 30 * 60
    assert medians["resolution_calendar"] == 6 * 3600  # the mean of 2 h and 10 h
    assert medians["resolution_business"] == 6 * 3600
    assert report["top_categories"] == [{"id": desk["delivery"].pk, "name": "Delivery", "count": 3}]
    assert report["top_products"] == [{"id": desk["product"].pk, "name": "Kettle", "sku": "SKU-1", "count": 1}]
    (agent_row,) = report["agents"]
    assert (agent_row["created"], agent_row["resolved"], agent_row["open"]) == (5, 2, 3)
    assert agent_row["sla"]["first_response"]["share"] == 0.4
    assert [row["name"] for row in report["teams"]] == ["A"]
    # The feedback app's section: the two resolved tickets asked for a CSAT score, nobody answered yet.
    assert (report["csat"]["invited"], report["csat"]["answered"]) == (2, 0)


def test_every_team_and_the_period_bounds(desk) -> None:
    everything = _report(reports.Scope(None))
    assert everything["tickets"]["created"] == 6
    assert sorted(row["name"] for row in everything["teams"]) == ["A", "B"]
    assert _report(reports.Scope(None), day=dt.date(2026, 3, 3))["tickets"]["created"] == 0


def test_a_median_over_an_odd_count_is_the_middle_value(desk, agent) -> None:
    Ticket.objects.filter(pk=desk["tickets"][1].pk).update(first_response_business_seconds=None, first_responded_at=None)
    medians = _report(reports.Scope(None))["median_seconds"]
    assert medians["first_response_calendar"] == (10 + 90) / 2 * 60
    Ticket.objects.filter(pk=desk["tickets"][3].pk).update(first_responded_at=T0 + dt.timedelta(minutes=50))
    assert _report(reports.Scope(None))["median_seconds"]["first_response_calendar"] == 47 * 60  # 10, 47, 90 (opened at T0+3 min)


def test_who_sees_what(desk, manager, agent, viewer, admin) -> None:
    assert reports.report_scope(manager, None).team_ids is None
    assert reports.report_scope(admin, desk["b"].pk).team_ids == (desk["b"].pk,)
    assert reports.report_scope(agent, None).team_ids == (desk["a"].pk,)
    assert reports.report_scope(agent, desk["a"].pk).team_ids == (desk["a"].pk,)
    from kliyan.core.errors import AccessDenied, ValidationFailed

    with pytest.raises(AccessDenied):
        reports.report_scope(agent, desk["b"].pk)
    with pytest.raises(AccessDenied):
        reports.report_scope(viewer, None)
    with pytest.raises(ValidationFailed):
        reports.report_scope(manager, 999999)


def test_the_page_for_each_role(desk, users, client_as, client) -> None:
    url = reverse("service:reports")
    expected = {"admin": 200, "manager": 200, "agent": 200, "viewer": 403}
    for role, user in users.items():
        assert client_as(user).get(url, {"from": "2026-03-02", "to": "2026-03-02"}).status_code == expected[role], role
    assert client_as(users["agent"]).get(url, {"team": desk["b"].pk}).status_code == 403
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    page = client_as(users["manager"]).get(url, {"from": "2026-03-02", "to": "2026-03-02", "team": desk["a"].pk}).content.decode()
    assert "SLA compliance" in page and "40 %" in page and "Delivery" in page and "Kettle" in page
    assert 'id="csat"' in page  # the place the satisfaction figures go


def test_the_page_names_a_bad_period(desk, manager, client_as) -> None:
    response = client_as(manager).get(reverse("service:reports"), {"from": "2026-03-05", "to": "2026-03-01"})
    assert response.status_code == 422 and "to" in response.context["form"].errors


def test_the_page_costs_a_fixed_number_of_queries(desk, manager, client_as, django_assert_max_num_queries) -> None:
    client = client_as(manager)
    # session, user, teams, 7 aggregates, and on SQLite 4 more for the medians' middle rows
    with django_assert_max_num_queries(16):
        assert client.get(reverse("service:reports"), {"from": "2026-03-01", "to": "2026-03-02"}).status_code == 200


def test_the_api_for_each_role_and_its_figures(desk, users, client_as, client) -> None:
    url = "/api/v1/service/reports"
    expected = {"admin": 200, "manager": 200, "agent": 200, "viewer": 403}
    for role, user in users.items():
        assert client_as(user).get(url).status_code == expected[role], role
    assert client.get(url).status_code == 401
    body = client_as(users["agent"]).get(url, {"from": "2026-03-02", "to": "2026-03-02"}).json()
    assert body["period"] == {"from": "2026-03-02", "to": "2026-03-02"}
    assert body["tickets"]["created"] == 5  # the agent's team only
    assert body["sla"]["first_response"]["share"] == 0.4
    assert client_as(users["agent"]).get(url, {"team": desk["b"].pk}).status_code == 403
    bad = client_as(users["manager"]).get(url, {"from": "2026-03-05", "to": "2026-03-01"})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"to"}
    bad = client_as(users["manager"]).get(url, {"from": "yesterday"})
    assert bad.status_code == 422
