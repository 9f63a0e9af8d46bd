"""API v1 for SLA policies and a ticket's SLA state: roles, bad input named by field, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from kliyan.service import services
from kliyan.service.models import SLAPolicy
from kliyan.service.tests.sla_helpers import ALWAYS, install_clock

pytestmark = pytest.mark.django_db

JSON = "application/json"
POLICY = {"name": "Default", "is_default": True, "first_response_minutes": 60, "resolution_minutes": 480, "calendar": ALWAYS}


def test_only_managers_and_admins_manage_policies(users, client_as, client) -> None:
    for role, user in users.items():
        api = client_as(user)
        allowed = role in {"admin", "manager"}
        assert api.get("/api/v1/service/sla-policies").status_code == (200 if allowed else 403), role
        if role in {"agent", "viewer"}:
            assert api.post("/api/v1/service/sla-policies", POLICY, content_type=JSON).status_code == 403
    assert client.get("/api/v1/service/sla-policies").status_code == 401
    assert not SLAPolicy.objects.exists()


def test_create_read_and_change_a_policy(manager, client_as, django_capture_on_commit_callbacks) -> None:
    api = client_as(manager)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/service/sla-policies", {**POLICY, "warn_at_percent": 75}, content_type=JSON)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["first_response_minutes"], body["resolution_minutes"], body["warn_at_percent"]) == (60, 480, 75)
    assert body["calendar"]["weekly_hours"]["sun"] == [["00:00", "24:00"]]
    with django_capture_on_commit_callbacks(execute=True):
        changed = api.patch(f"/api/v1/service/sla-policies/{body['id']}", {"resolution_minutes": 240, "name": "Standard"},
                            content_type=JSON)
    assert changed.status_code == 200 and changed.json()["resolution_minutes"] == 240 and changed.json()["name"] == "Standard"
    assert api.get(f"/api/v1/service/sla-policies/{body['id']}").json()["name"] == "Standard"
    assert api.get("/api/v1/service/sla-policies/999999").status_code == 404


def test_bad_policy_input_names_each_field(manager, client_as) -> None:
    response = client_as(manager).post("/api/v1/service/sla-policies", {
        **POLICY, "first_response_minutes": -5,
        "calendar": {"time_zone": "Nowhere/City", "weekly_hours": {"mon": [["9", "17:00"]]}, "holidays": ["soon"]},
    }, content_type=JSON)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"first_response_minutes", "calendar.time_zone", "calendar.weekly_hours.mon", "calendar.holidays"}
    assert not SLAPolicy.objects.exists()


def test_a_tickets_sla_state(monkeypatch, users, manager, agent, contact, client_as, client) -> None:
    install_clock(monkeypatch, dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    client_as(manager).post("/api/v1/service/sla-policies", POLICY, content_type=JSON)
    ticket = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Help"})
    for role, user in users.items():
        assert client_as(user).get(f"/api/v1/tickets/{ticket.pk}/sla").status_code == 200, role
    assert client.get(f"/api/v1/tickets/{ticket.pk}/sla").status_code == 401
    body = client_as(agent).get(f"/api/v1/tickets/{ticket.pk}/sla").json()
    assert body["policy"]["name"] == "Default"
    assert [(t["target"], t["state"], t["due"]) for t in body["targets"]] == [
        ("first_response", "on_track", "2026-03-02T10:00:00Z"), ("resolution", "on_track", "2026-03-02T17:00:00Z"),
    ]
    assert client_as(agent).get("/api/v1/tickets/999999/sla").status_code == 404
