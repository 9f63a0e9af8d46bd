"""The server application (kliyan/config/server.py): sync views on the thread pool, over real HTTP."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest

from kliyan.accounts.models import Role, TokenScope, User
from kliyan.accounts.services import token_create
from kliyan.commerce.models import ProductCategory
from kliyan.core.tests.asgi_server import asgi_server

pytestmark = pytest.mark.django_db(transaction=True)


def _post(base_url: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def test_a_bulk_ndjson_body_is_read_line_by_line_through_the_server() -> None:
    # Django reads the body with readline(limit); the body arrives in several pieces.
    manager = User.objects.create_user("integration", role=Role.MANAGER)
    _token, raw = token_create(actor=manager, user=manager, name="pos", scope=TokenScope.WRITE)
    lines = [json.dumps({"source": "pos", "external_id": f"c{n}", "name": f"Category {n:05d} " + "x" * 60,
                         "updated_at": "2026-06-01T10:00:00Z"}) for n in range(1500)]
    lines.insert(700, "{not json")
    body = "\n".join(lines).encode()
    assert len(body) > 3 * 64 * 1024

    with asgi_server() as url:
        status, answer = _post(url, "/api/v1/ingest/categories/bulk", body, {
            "Authorization": f"Bearer {raw}", "Content-Type": "application/x-ndjson",
        })

    assert status == 200
    assert (answer["received"], answer["created"], answer["failed"]) == (1501, 1500, 1)
    assert answer["errors"][0]["line"] == 701
    assert ProductCategory.objects.count() == 1500
