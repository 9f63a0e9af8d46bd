"""The ingestion API: PUT one record, POST an NDJSON bulk; permissions, limits and problem details."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from kliyan.accounts.models import TokenScope
from kliyan.accounts.services import token_create
from kliyan.commerce.models import Order, Product, StockLevel
from kliyan.core.models import AuditEntry

pytestmark = pytest.mark.django_db

T1, T2 = "2026-11-01T10:00:00Z", "2026-11-02T10:00:00Z"
NDJSON = "application/x-ndjson"


def bearer(user: Any, scope: str = TokenScope.WRITE) -> Client:
    _token, raw = token_create(actor=user, user=user, name="integration", scope=scope)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def product(sku: str = "RICE", **extra: Any) -> dict[str, Any]:
    return {"updated_at": T1, "sku": sku, "name": "Rice 5 kg", "price": "12.50", "currency": "HTG", **extra}


def put(client: Client, path: str, body: Any) -> Any:
    return client.put(f"/api/v1/ingest/{path}", data=json.dumps(body), content_type="application/json")


def ndjson(records: list[Any]) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


def test_put_creates_then_answers_unchanged_then_stale(manager):
    client = bearer(manager)

    created = put(client, "products/erp/p-1", product())
    again = put(client, "products/erp/p-1", product())
    updated = put(client, "products/erp/p-1", product(updated_at=T2, price="13"))
    stale = put(client, "products/erp/p-1", product(price="1"))

    assert [r.status_code for r in (created, again, updated, stale)] == [201, 200, 200, 200]
    assert [r.json()["result"] for r in (created, again, updated, stale)] == ["created", "unchanged", "updated", "stale"]
    assert created.json() == {"result": "created", "id": Product.objects.get().pk, "kind": "products", "source": "erp",
                              "external_id": "p-1"}
    assert str(Product.objects.get().price) == "13.0000"


def test_an_external_id_may_hold_slashes(manager):
    response = put(bearer(manager), "products/odoo/product/2026/7", product())

    assert response.status_code == 201
    assert Product.objects.get().external_id == "product/2026/7"


def test_a_bad_record_is_a_problem_naming_each_field_and_writes_nothing(manager):
    response = put(bearer(manager), "products/erp/p-1", product(price="-1", currency="HTX", sku=""))

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {"price", "currency", "sku"}
    assert not Product.objects.exists()
    assert not AuditEntry.objects.filter(object_type="commerce.product").exists()


def test_a_body_that_is_not_json_is_a_400_problem(manager):
    response = bearer(manager).put("/api/v1/ingest/products/erp/p-1", data="{oops", content_type="application/json")

    assert (response.status_code, response.json()["code"]) == (400, "invalid_body")


def test_an_unknown_kind_is_refused(manager):
    response = put(bearer(manager), "widgets/erp/w-1", product())

    assert response.status_code == 422
    assert not Product.objects.exists()


def test_a_nul_character_in_the_address_is_refused(manager):
    response = put(bearer(manager), "products/erp/p%001", product())

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["external_id"]
    assert not Product.objects.exists()


def test_a_body_naming_another_key_than_the_address_is_refused(manager):
    response = put(bearer(manager), "products/erp/p-1", product(external_id="p-2"))

    assert [e["field"] for e in response.json()["errors"]] == ["external_id"]


def test_a_bulk_reports_each_failed_line_and_stores_the_rest(manager):
    body = ndjson([
        {"source": "wms", "external_id": "p-1", **product("A")},
        "{this is not json",
        {"source": "wms", "external_id": "p-2", **product("B", price="-3")},
        {"external_id": "p-3", **product("C")},
        {"source": "wms", "external_id": "p-4", **product("D")},
    ])

    response = bearer(manager).post("/api/v1/ingest/products/bulk", data=body, content_type=NDJSON)

    assert response.status_code == 200
    answer = response.json()
    assert {k: answer[k] for k in ("received", "created", "updated", "unchanged", "stale", "failed")} == {
        "received": 5, "created": 2, "updated": 0, "unchanged": 0, "stale": 0, "failed": 3,
    }
    assert [(e["line"], e["external_id"], [x["field"] for x in e["errors"]]) for e in answer["errors"]] == [
        (2, "", ["json"]), (3, "p-2", ["price"]), (4, "p-3", ["source"]),
    ]
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["A", "D"]


def test_a_bulk_takes_its_default_source_from_the_query(manager):
    body = ndjson([{"external_id": "p-1", **product("A")}])

    answer = bearer(manager).post("/api/v1/ingest/products/bulk?source=pos", data=body, content_type=NDJSON).json()

    assert answer["created"] == 1
    assert Product.objects.get().source == "pos"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_bulk_of_ten_thousand_records_is_accepted_beyond_the_global_request_limit(manager):
    Product.objects.create(sku="RICE", name="Rice", currency="HTG")
    body = "".join(
        f'{{"source":"w","external_id":"{n}","updated_at":"{T1}","sku":"RICE","location":"{n}","quantity":1}}\n'
        for n in range(10_000)
    )

    response = bearer(manager).post("/api/v1/ingest/stock/bulk", data=body, content_type=NDJSON)

    assert response.status_code == 200
    assert (response.json()["created"], response.json()["failed"]) == (10_000, 0)
    assert StockLevel.objects.count() == 10_000
    assert str(Product.objects.get().stock_on_hand) == "10000.000"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_other_endpoints_keep_the_global_request_limit(manager):
    response = put(bearer(manager), "products/erp/p-1", product(name="x" * 2000))

    assert response.status_code == 413
    assert not Product.objects.exists()


@override_settings(INGEST_MAX_REQUEST_BYTES=100)
def test_a_bulk_beyond_the_ingestion_limit_is_refused_with_413(manager):
    body = ndjson([{"source": "wms", "external_id": f"p-{n}", **product(f"S{n}")} for n in range(5)])

    response = bearer(manager).post("/api/v1/ingest/products/bulk", data=body, content_type=NDJSON)

    assert (response.status_code, response.json()["code"]) == (413, "too_large")
    assert not Product.objects.exists()


def test_a_bulk_must_be_sent_as_ndjson(manager):
    body = ndjson([{"source": "wms", "external_id": "p-1", **product()}])

    response = bearer(manager).post("/api/v1/ingest/products/bulk", data=body, content_type="text/plain")

    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    assert not Product.objects.exists()


def test_a_bulk_retried_with_its_idempotency_key_replays_the_first_answer(manager):
    client = bearer(manager)
    body = ndjson([{"source": "wms", "external_id": "p-1", **product()}])

    first = client.post("/api/v1/ingest/products/bulk", data=body, content_type=NDJSON, headers={"Idempotency-Key": "k-1"})
    second = client.post("/api/v1/ingest/products/bulk", data=body, content_type=NDJSON, headers={"Idempotency-Key": "k-1"})

    assert first.json()["created"] == 1
    assert (second.json(), second["Idempotent-Replayed"]) == (first.json(), "true")


@pytest.mark.parametrize(("role", "allowed"), [("viewer", False), ("agent", False), ("manager", True), ("admin", True)])
def test_only_managers_and_admins_may_ingest(users, role, allowed):
    # Viewers may not make tokens themselves: the admin makes each one.
    _token, raw = token_create(actor=users["admin"], user=users[role], name="integration", scope=TokenScope.WRITE)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    body = ndjson([{"source": "wms", "external_id": "p-1", **product()}])

    single = put(client, "products/erp/p-9", product("Z"))
    bulk = client.post("/api/v1/ingest/products/bulk", data=body, content_type=NDJSON)

    assert (single.status_code, bulk.status_code) == ((201, 200) if allowed else (403, 403))
    assert Product.objects.count() == (2 if allowed else 0)


def test_a_logged_in_manager_may_ingest_from_the_browser_with_the_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    token = "a" * 32  # a CSRF secret: the cookie and the header must carry the same one
    client.cookies["csrftoken"] = token

    response = client.put("/api/v1/ingest/products/erp/p-1", data=json.dumps(product()), content_type="application/json",
                          headers={"X-CSRFToken": token})

    assert response.status_code == 201


def test_a_read_token_may_not_ingest(manager):
    client = bearer(manager, scope=TokenScope.READ)

    single = put(client, "products/erp/p-1", product())
    bulk = client.post("/api/v1/ingest/products/bulk", data=ndjson([{"source": "w", "external_id": "1", **product()}]),
                       content_type=NDJSON)

    assert (single.status_code, single.json()["code"], bulk.status_code) == (403, "read_only_token", 403)
    assert not Product.objects.exists()


def test_anonymous_callers_get_401():
    response = Client().post("/api/v1/ingest/products/bulk", data="{}", content_type=NDJSON)

    assert response.status_code == 401


def test_ingested_orders_are_audited_as_api(manager, contact):
    put(bearer(manager), "products/pos/p-1", product())
    order = {"updated_at": T1, "number": "POS-9", "ordered_at": T1, "currency": "HTG", "contact_id": contact.pk,
             "lines": [{"sku": "RICE", "quantity": 1, "unit_price": "12.50"}]}

    response = put(bearer(manager), "orders/pos/o-9", order)

    assert response.status_code == 201
    entry = AuditEntry.objects.get(object_type="commerce.order")
    assert (entry.via, entry.contact_id, entry.object_id) == ("api", contact.pk, str(Order.objects.get().pk))


def test_the_openapi_document_describes_the_ingestion_endpoints(agent, client_as):
    schema = client_as(agent).get("/api/v1/openapi.json").json()

    put_op = schema["paths"]["/api/v1/ingest/{kind}/{source}/{external_id}"]["put"]
    bulk_op = schema["paths"]["/api/v1/ingest/{kind}/bulk"]["post"]
    assert len(put_op["requestBody"]["content"]["application/json"]["schema"]["oneOf"]) == 6
    assert "application/x-ndjson" in bulk_op["requestBody"]["content"]
    assert "$defs" not in json.dumps(put_op)
