"""Idempotency-Key on POST: a retry replays the first answer instead of writing again."""

from __future__ import annotations

import pytest

from kliyan.contacts.models import Contact
from kliyan.core.models import AuditEntry, IdempotencyRecord
from kliyan.interactions.models import Task

pytestmark = pytest.mark.django_db

JSON = "application/json"
BODY = {"first_name": "Marie", "last_name": "Joseph", "phones": [{"number": "+509 3712 3456"}]}


def post(client, body, key: str | None = "key-1", url: str = "/api/v1/contacts"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(url, body, content_type=JSON, headers=headers)


def test_a_retried_post_is_replayed_and_creates_one_contact(agent, client_as):
    client = client_as(agent)
    first = post(client, BODY)
    second = post(client, BODY)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Contact.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="contacts.contact").count() == 1


def test_the_same_key_with_another_body_is_refused(agent, client_as):
    client = client_as(agent)
    post(client, BODY)
    response = post(client, {**BODY, "first_name": "Jean"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Marie"]


def test_keys_belong_to_one_user(agent, manager, client_as):
    post(client_as(agent), BODY)
    response = post(client_as(manager), {**BODY, "phones": [], "first_name": "Other"})
    assert response.status_code == 201
    assert Contact.objects.count() == 2


def test_a_refused_request_frees_its_key(agent, client_as):
    client = client_as(agent)
    refused = post(client, {"first_name": "A", "phones": [{"number": "not a phone"}]})
    assert refused.status_code == 422
    assert not IdempotencyRecord.objects.exists()
    accepted = post(client, {"first_name": "A", "phones": [{"number": "+509 3712 3456"}]})
    assert accepted.status_code == 201
    assert "Idempotent-Replayed" not in accepted


def test_posts_without_a_key_are_not_deduplicated(agent, client_as):
    client = client_as(agent)
    post(client, {"first_name": "A"}, key=None)
    post(client, {"first_name": "A"}, key=None)
    assert Contact.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_action_posts_honour_the_key_too(agent, client_as, contact):
    client = client_as(agent)
    body = {"title": "Call back", "due_date": "2030-01-02", "contact": contact.pk}
    post(client, body, url="/api/v1/tasks")
    replay = post(client, body, url="/api/v1/tasks")
    assert replay["Idempotent-Replayed"] == "true"
    assert Task.objects.count() == 1


def test_an_overlong_key_is_refused_by_name(agent, client_as):
    response = post(client_as(agent), BODY, key="k" * 300)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Contact.objects.count() == 0


def test_a_crashed_request_frees_its_key(agent, monkeypatch):
    from django.test import Client

    from kliyan.contacts import services

    def crash(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "contact_create", crash)
    client = Client(raise_request_exception=False)
    client.force_login(agent)
    assert post(client, BODY).status_code == 500
    assert not IdempotencyRecord.objects.exists()
