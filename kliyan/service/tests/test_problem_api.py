"""API v1 of problems: roles, create/read/patch, the closing rule, linked tickets, actions, bad input
named and nothing written, retries that change nothing, query counts."""

from __future__ import annotations

import pytest
from django.test import Client

from kliyan.accounts.services import token_create
from kliyan.core.models import AuditEntry
from kliyan.service import categories, problems, services
from kliyan.service.models import CorrectiveAction, Problem, Ticket

pytestmark = pytest.mark.django_db
JSON = "application/json"


def errors_of(response) -> set[str]:
    assert response["Content-Type"] == "application/problem+json", response.content
    return {e["field"] for e in response.json()["errors"]}


@pytest.fixture
def category(manager):
    return categories.category_create(actor=manager, data={"name": "Plăți"})


@pytest.fixture
def problem(manager, category):
    return problems.problem_create(actor=manager, data={"title": "Plăți cu cardul respinse", "category": category.pk})


def test_everyone_reads_managers_write_and_anonymous_gets_401(users, client_as, client, problem) -> None:
    for role, user in users.items():
        api = client_as(user)
        assert api.get("/api/v1/problems").status_code == 200, role
        assert api.get(f"/api/v1/problems/{problem.pk}").status_code == 200, role
        assert api.get(f"/api/v1/problems/{problem.pk}/tickets").status_code == 200, role
        created = api.post("/api/v1/problems", {"title": f"by {role}"}, content_type=JSON)
        assert created.status_code == (201 if role in {"admin", "manager"} else 403), role
        patched = api.patch(f"/api/v1/problems/{problem.pk}", {"root_cause": role}, content_type=JSON)
        assert patched.status_code == (200 if role in {"admin", "manager"} else 403), role
        action = api.post(f"/api/v1/problems/{problem.pk}/actions", {"description": role}, content_type=JSON)
        assert action.status_code == (201 if role in {"admin", "manager"} else 403), role
    assert not Problem.objects.filter(title__in=["by agent", "by viewer"]).exists()
    assert not CorrectiveAction.objects.filter(description__in=["agent", "viewer"]).exists()
    assert client.get("/api/v1/problems").status_code == 401
    assert client.post("/api/v1/problems", {"title": "x"}, content_type=JSON).status_code == 401


def test_create_with_tickets_read_and_change_a_problem(manager, agent, contact, category, client_as) -> None:
    ticket = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Card respins", "category": category.pk})
    api = client_as(manager)
    created = api.post("/api/v1/problems", {
        "title": "Plăți cu cardul respinse", "category": category.pk, "customer_message": "Plătiți în numerar până joi.",
        "tickets": [ticket.pk], "owner": manager.pk, "status": "investigating",
    }, content_type=JSON)
    assert created.status_code == 201
    body = created.json()
    assert (body["reference"], body["status"], body["ticket_count"], body["affected_customers"]) == (
        f"P-{body['id']:06d}", "investigating", 1, 1,
    )
    assert body["allowed_statuses"] == ["open", "fixing", "resolved", "closed"]
    assert [e["kind"] for e in body["history"]] == ["created", "ticket_linked"]
    patched = api.patch(f"/api/v1/problems/{body['id']}", {"root_cause": "Certificat expirat", "owner": None}, content_type=JSON)
    assert patched.status_code == 200 and (patched.json()["root_cause"], patched.json()["owner"]) == ("Certificat expirat", None)
    listed = api.get("/api/v1/problems", {"status": "investigating", "category": category.pk}).json()
    assert [p["id"] for p in listed["items"]] == [body["id"]]
    tickets = api.get(f"/api/v1/problems/{body['id']}/tickets").json()
    assert [t["id"] for t in tickets["items"]] == [ticket.pk] and tickets["items"][0]["contact"]["id"] == contact.pk


def test_bad_input_names_each_field_and_writes_nothing(manager, problem, client_as) -> None:
    api = client_as(manager)
    before = (Problem.objects.count(), AuditEntry.objects.count())
    response = api.post("/api/v1/problems", {"title": "", "status": "maybe", "category": 999999, "product_sku": "NOPE", "mood": 1},
                        content_type=JSON)
    assert response.status_code == 422 and errors_of(response) == {"mood"}  # the schema's check comes first
    response = api.post("/api/v1/problems", {"title": "", "status": "maybe", "category": 999999, "product_sku": "NOPE"},
                        content_type=JSON)
    assert errors_of(response) == {"title", "status", "category", "product"}
    response = api.post("/api/v1/problems", {"title": "x", "tickets": [999999]}, content_type=JSON)
    assert errors_of(response) == {"tickets.0"}
    response = api.patch(f"/api/v1/problems/{problem.pk}", {"status": "closed", "title": ""}, content_type=JSON)
    assert errors_of(response) == {"title"}
    response = api.get("/api/v1/problems", {"status": "maybe"})
    assert errors_of(response) == {"status"}
    assert (Problem.objects.count(), AuditEntry.objects.count()) == before
    assert api.get("/api/v1/problems/999999").status_code == 404
    assert api.patch("/api/v1/corrective-actions/999999", {"status": "done"}, content_type=JSON).status_code == 404


def test_the_plan_must_be_done_and_verified_before_closing(manager, problem, client_as) -> None:
    api = client_as(manager)
    action = api.post(f"/api/v1/problems/{problem.pk}/actions", {
        "description": "Reînnoiește certificatul", "due_date": "2026-12-01", "owner": manager.pk,
    }, content_type=JSON).json()
    assert (action["status"], action["verified"], action["due_date"]) == ("todo", None, "2026-12-01")
    refused = api.patch(f"/api/v1/problems/{problem.pk}", {"status": "closed"}, content_type=JSON)
    assert refused.status_code == 422 and errors_of(refused) == {"status"}
    assert "Reînnoiește certificatul" in refused.json()["errors"][0]["message"]
    early = api.patch(f"/api/v1/corrective-actions/{action['id']}", {"verified": True}, content_type=JSON)
    assert early.status_code == 422 and errors_of(early) == {"verified"}
    done = api.patch(f"/api/v1/corrective-actions/{action['id']}", {
        "status": "done", "verified": True, "verification_note": "10 plăți reușite",
    }, content_type=JSON).json()
    assert (done["verified"], done["verified_by"]["username"]) == (True, "manager") and done["done_at"]
    closed = api.patch(f"/api/v1/problems/{problem.pk}", {"status": "closed"}, content_type=JSON)
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["actions_settled"] == 1
    assert api.post(f"/api/v1/problems/{problem.pk}/actions", {"description": "late"}, content_type=JSON).status_code == 409


def test_linking_is_idempotent_and_agents_are_held_to_open_problems(agent, manager, viewer, contact, problem, client_as) -> None:
    ticket = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Card"})
    assert client_as(viewer).post(f"/api/v1/problems/{problem.pk}/tickets", {"ticket": ticket.pk}, content_type=JSON).status_code == 403
    api = client_as(agent)
    first = api.post(f"/api/v1/problems/{problem.pk}/tickets", {"ticket": ticket.pk}, content_type=JSON)
    again = api.post(f"/api/v1/problems/{problem.pk}/tickets", {"ticket": ticket.pk}, content_type=JSON)
    assert (first.status_code, first.json()["changed"], again.status_code, again.json()["changed"]) == (201, True, 200, False)
    missing = api.post(f"/api/v1/problems/{problem.pk}/tickets", {"ticket": 999999}, content_type=JSON)
    assert missing.status_code == 422 and errors_of(missing) == {"ticket"}
    problems.problem_change_status(actor=manager, problem=problem, status="resolved")
    assert api.delete(f"/api/v1/problems/{problem.pk}/tickets/{ticket.pk}").status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).problem_id == problem.pk
    manager_api = client_as(manager)
    assert manager_api.delete(f"/api/v1/problems/{problem.pk}/tickets/{ticket.pk}").status_code == 204
    assert manager_api.delete(f"/api/v1/problems/{problem.pk}/tickets/{ticket.pk}").status_code == 204
    assert Ticket.objects.get(pk=ticket.pk).problem_id is None


def test_a_retried_create_with_the_same_key_records_one_problem(manager) -> None:
    _token, raw = token_create(actor=manager, user=manager, name="ops", scope="write")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_IDEMPOTENCY_KEY="problem-1")
    first = api.post("/api/v1/problems", {"title": "Site lent"}, content_type=JSON)
    second = api.post("/api/v1/problems", {"title": "Site lent"}, content_type=JSON)
    assert (first.status_code, second.status_code) == (201, 201) and first.json()["id"] == second.json()["id"]
    assert Problem.objects.count() == 1


@pytest.mark.parametrize("count", [2, 8])
def test_the_list_costs_the_same_queries_for_any_page(count, manager, category, client_as, django_assert_max_num_queries) -> None:
    for n in range(count):
        made = problems.problem_create(actor=manager, data={"title": f"P{n}", "category": category.pk, "owner": manager.pk})
        problems.action_create(actor=manager, problem=made, data={"description": "a"})
    api = client_as(manager)
    api.get("/api/v1/problems")
    with django_assert_max_num_queries(4):
        body = api.get("/api/v1/problems").json()
    assert len(body["items"]) == count and body["items"][0]["actions_total"] == 1
