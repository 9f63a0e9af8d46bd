"""API: recommendations for a contact and the partners of a product, by role."""

from __future__ import annotations

from typing import Any

import pytest

from kliyan.analytics import services
from kliyan.analytics.tests.factories import START, make_contact, make_order, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db: Any) -> dict[str, Any]:
    p = {name: make_product(name) for name in ("bread", "butter", "jam", "milk")}
    c = {name: make_contact(name) for name in ("ann", "bob", "cat")}
    make_order(c["ann"], [p["bread"], p["butter"], p["jam"]], at=START)
    make_order(c["bob"], [p["bread"], p["butter"]], at=START)
    make_order(c["cat"], [p["bread"], p["milk"]], at=START)
    services.rebuild_all()
    return {"p": p, "c": c}


@pytest.mark.parametrize("role", ["viewer", "agent", "manager", "admin"])
def test_every_role_that_sees_commerce_gets_recommendations(role: str, users: dict[str, Any], client_as: Any, shop: dict[str, Any]) -> None:
    bob, p = shop["c"]["bob"], shop["p"]

    response = client_as(users[role]).get(f"/api/v1/contacts/{bob.pk}/recommendations")

    assert response.status_code == 200
    assert response.json() == {
        "contact_id": bob.pk,
        "items": [
            {"product_id": p["jam"].pk, "sku": "JAM", "name": "jam", "price": "10.0000", "currency": "EUR",
             "score": 1.284457, "because": {"id": p["butter"].pk, "name": "butter"}},
            {"product_id": p["milk"].pk, "sku": "MILK", "name": "milk", "price": "10.0000", "currency": "EUR",
             "score": 0.57735, "because": {"id": p["bread"].pk, "name": "bread"}},
        ],
    }


def test_anonymous_gets_401(client: Any, shop: dict[str, Any]) -> None:
    assert client.get(f"/api/v1/contacts/{shop['c']['bob'].pk}/recommendations").status_code == 401
    assert client.get(f"/api/v1/products/{shop['p']['bread'].pk}/goes-with").status_code == 401


def test_unknown_contact_or_product_is_404_problem(viewer: Any, client_as: Any, shop: Any) -> None:
    client = client_as(viewer)
    for url in ("/api/v1/contacts/999999/recommendations", "/api/v1/products/999999/goes-with"):
        response = client.get(url)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")


def test_limit_out_of_range_names_the_parameter(viewer: Any, client_as: Any, shop: dict[str, Any]) -> None:
    response = client_as(viewer).get(f"/api/v1/contacts/{shop['c']['bob'].pk}/recommendations", {"limit": 0})
    assert response.status_code == 422
    assert "limit" in response.content.decode()


def test_goes_with_lists_partners(agent: Any, client_as: Any, shop: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    client = client_as(agent)
    client.get("/api/v1/health")
    with django_assert_max_num_queries(5):
        response = client.get(f"/api/v1/products/{shop['p']['bread'].pk}/goes-with", {"limit": 2})

    assert response.status_code == 200
    assert [(i["name"], i["customers_who_bought_both"], i["score"]) for i in response.json()["items"]] == [
        ("butter", 2, 0.816497), ("jam", 1, 0.57735),
    ]


def test_recommendations_answer_with_constant_queries(agent: Any, client_as: Any, shop: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    client = client_as(agent)
    client.get("/api/v1/health")
    with django_assert_max_num_queries(7):
        assert client.get(f"/api/v1/contacts/{shop['c']['bob'].pk}/recommendations").status_code == 200
