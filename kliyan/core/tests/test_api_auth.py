"""API authentication: Bearer tokens with a scope, the session with CSRF, problem details."""

from __future__ import annotations

import pytest
from django.test import Client

from kliyan.accounts.models import TokenScope
from kliyan.accounts.services import token_create, token_revoke
from kliyan.contacts.models import Contact
from kliyan.core.models import AuditEntry

pytestmark = pytest.mark.django_db

JSON = "application/json"
NEW_CONTACT = {"first_name": "Marie", "last_name": "Joseph"}


def bearer(user, scope: str = TokenScope.WRITE) -> Client:
    _token, raw = token_create(actor=user, user=user, name="test", scope=scope)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_health_answers_without_authentication():
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_no_credentials_get_401_as_problem_details():
    response = Client().get("/api/v1/contacts")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401
    assert body["code"] == "unauthenticated"
    assert body["type"].endswith("/unauthenticated")


def test_anonymous_post_gets_401_and_creates_nothing():
    response = Client(enforce_csrf_checks=True).post("/api/v1/contacts", NEW_CONTACT, content_type=JSON)
    assert response.status_code == 401
    assert Contact.objects.count() == 0


def test_an_unknown_token_gets_401():
    response = Client(headers={"Authorization": "Bearer kly_not-a-real-token"}).get("/api/v1/contacts")
    assert response.status_code == 401


def test_a_revoked_token_gets_401(agent):
    token, raw = token_create(actor=agent, user=agent, name="old", scope=TokenScope.WRITE)
    token_revoke(actor=agent, token_id=token.pk)
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/contacts")
    assert response.status_code == 401


def test_a_token_of_a_deactivated_user_gets_401(agent):
    client = bearer(agent)
    agent.is_active = False
    agent.save()
    assert client.get("/api/v1/contacts").status_code == 401


def test_a_read_token_reads(agent):
    response = bearer(agent, TokenScope.READ).get("/api/v1/contacts")
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def test_a_read_token_cannot_post_and_nothing_changes(agent):
    response = bearer(agent, TokenScope.READ).post("/api/v1/contacts", NEW_CONTACT, content_type=JSON)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "read_only_token"
    assert Contact.objects.count() == 0


def test_a_read_token_cannot_patch(agent, contact):
    response = bearer(agent, TokenScope.READ).patch(f"/api/v1/contacts/{contact.pk}", {"job_title": "Boss"}, content_type=JSON)
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.job_title == ""


def test_a_write_token_writes_with_its_owners_role(agent):
    response = bearer(agent).post("/api/v1/contacts", NEW_CONTACT, content_type=JSON)
    assert response.status_code == 201
    assert Contact.objects.get().created_by == agent


def test_a_write_token_cannot_do_more_than_its_owners_role(viewer):
    response = bearer(viewer).post("/api/v1/contacts", NEW_CONTACT, content_type=JSON)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Contact.objects.count() == 0


def test_session_post_without_csrf_token_is_refused(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post("/api/v1/contacts", NEW_CONTACT, content_type=JSON)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "csrf_failed"
    assert Contact.objects.count() == 0


def test_session_post_with_csrf_token_is_accepted(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    token = "a" * 32  # a CSRF secret: the cookie and the header must carry the same one
    client.cookies["csrftoken"] = token
    response = client.post("/api/v1/contacts", NEW_CONTACT, content_type=JSON, headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_session_get_needs_no_csrf_token(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get("/api/v1/contacts").status_code == 200


def test_bearer_requests_need_no_csrf_token(agent):
    _token, raw = token_create(actor=agent, user=agent, name="t", scope=TokenScope.WRITE)
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    assert client.post("/api/v1/contacts", NEW_CONTACT, content_type=JSON).status_code == 201


def test_writes_through_the_api_are_audited_as_api(agent):
    bearer(agent).post("/api/v1/contacts", NEW_CONTACT, content_type=JSON)
    entry = AuditEntry.objects.get(object_type="contacts.contact")
    assert (entry.action, entry.via, entry.actor) == ("create", "api", agent)


def test_not_found_is_a_problem(agent, client_as):
    response = client_as(agent).get("/api/v1/contacts/999999")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
