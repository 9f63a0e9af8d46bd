"""The OpenAPI document is valid; oversized requests are refused with 413."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from openapi_spec_validator import validate

from kliyan.contacts.models import Contact

pytestmark = pytest.mark.django_db


def test_openapi_document_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert "/api/v1/contacts" in spec["paths"]
    assert {"BearerTokenAuth", "SessionCsrfAuth"} <= set(spec["components"]["securitySchemes"])


def test_openapi_lists_every_resource(client):
    paths = set(client.get("/api/v1/openapi.json").json()["paths"])
    expected = {
        "/api/v1/contacts", "/api/v1/companies", "/api/v1/interactions", "/api/v1/tasks", "/api/v1/custom-fields",
        "/api/v1/contacts/{contact_id}/consents", "/api/v1/consents", "/api/v1/search", "/api/v1/caller-id",
        "/api/v1/contacts/{contact_id}/timeline", "/api/v1/contacts/{contact_id}/notes", "/api/v1/tokens", "/api/v1/health",
    }
    assert expected <= paths


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_request_is_refused_with_413(agent, client_as):
    body = json.dumps({"first_name": "A", "notes": "x" * 5000})
    response = client_as(agent).post("/api/v1/contacts", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "too_large"
    assert Contact.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_form_post_is_refused_with_413(agent, client_as):
    response = client_as(agent).post("/api/v1/contacts", {"first_name": "A", "notes": "x" * 5000})
    assert response.status_code == 413
    assert Contact.objects.count() == 0
