"""API v1 tokens: one's own, the secret shown once, revocation, and no minting with a token."""

from __future__ import annotations

import pytest
from django.test import Client

from kliyan.accounts.models import ApiToken
from kliyan.accounts.services import hash_token, token_create

pytestmark = pytest.mark.django_db

JSON = "application/json"


def test_create_shows_the_secret_once_and_stores_only_its_hash(agent, client_as):
    client = client_as(agent)
    created = client.post("/api/v1/tokens", {"name": "Shop sync", "scope": "write"}, content_type=JSON)
    assert created.status_code == 201
    secret = created.json()["token"]
    token = ApiToken.objects.get()
    assert (token.user, token.scope, token.key_hash) == (agent, "write", hash_token(secret))
    listed = client.get("/api/v1/tokens").json()["items"]
    assert [t["name"] for t in listed] == ["Shop sync"]
    assert "token" not in listed[0]
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/contacts").status_code == 200


def test_a_token_cannot_create_tokens(agent):
    _token, raw = token_create(actor=agent, user=agent, name="t", scope="write")
    response = Client(headers={"Authorization": f"Bearer {raw}"}).post("/api/v1/tokens", {"name": "more"}, content_type=JSON)
    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_viewer_has_no_tokens(viewer, client_as):
    response = client_as(viewer).post("/api/v1/tokens", {"name": "x"}, content_type=JSON)
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_bad_scope_is_named(agent, client_as):
    response = client_as(agent).post("/api/v1/tokens", {"name": "x", "scope": "admin"}, content_type=JSON)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["scope"]


@pytest.mark.parametrize("method", ["post", "delete"])
def test_revoke_own_token(method, agent, client_as):
    token, raw = token_create(actor=agent, user=agent, name="t", scope="read")
    client = client_as(agent)
    url = f"/api/v1/tokens/{token.pk}" + ("/revoke" if method == "post" else "")
    response = getattr(client, method)(url)
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/contacts").status_code == 401


def test_cannot_revoke_someone_elses_token(agent, manager, admin, client_as):
    token, _raw = token_create(actor=manager, user=manager, name="t", scope="read")
    assert client_as(agent).post(f"/api/v1/tokens/{token.pk}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client_as(admin).post(f"/api/v1/tokens/{token.pk}/revoke").status_code == 200
