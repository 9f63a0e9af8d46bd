"""The managers' page, the "Recompute now" button, the contact page panel and the screen-pop section."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse

from kliyan.analytics import services
from kliyan.analytics.models import RecommendationRun, RunStatus
from kliyan.analytics.pop import recommendations_section
from kliyan.analytics.tests.factories import START, make_contact, make_order, make_product
from kliyan.analytics.views import contact_recommendations_panel
from kliyan.core.models import AuditEntry
from kliyan.core.registry import contact_panels, pop_sections

pytestmark = pytest.mark.django_db

PAGE = "/analytics/recommendations/"
RECOMPUTE = "/analytics/recommendations/recompute/"


@pytest.fixture
def shop(db: Any) -> dict[str, Any]:
    p = {name: make_product(name) for name in ("bread", "butter", "jam", "milk")}
    c = {name: make_contact(name) for name in ("ann", "bob", "cat")}
    make_order(c["ann"], [p["bread"], p["butter"], p["jam"]], at=START)
    make_order(c["bob"], [p["bread"], p["butter"]], at=START)
    make_order(c["cat"], [p["bread"], p["milk"]], at=START)
    services.rebuild_all()
    return {"p": p, "c": c}


def test_urls_are_named() -> None:
    assert reverse("analytics:recommendations") == PAGE
    assert reverse("analytics:recompute") == RECOMPUTE


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("agent", 403), ("manager", 200), ("admin", 200)])
def test_page_is_for_managers_and_admins(role: str, status: int, users: dict[str, Any], client_as: Any, shop: Any) -> None:
    assert client_as(users[role]).get(PAGE).status_code == status


def test_anonymous_is_sent_to_log_in(client: Any) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_page_lists_top_pairs_each_once_with_constant_queries(
    manager: Any, client_as: Any, shop: dict[str, Any], django_assert_max_num_queries: Any,
) -> None:
    client = client_as(manager)
    client.get(PAGE)
    with django_assert_max_num_queries(10):
        response = client.get(PAGE)
    pairs = [(x.product_a.name, x.product_b.name, x.co_count) for x in response.context["pairs"]]
    assert pairs[0] == ("bread", "butter", 2)
    assert len(pairs) == 4
    assert "Recompute now" in response.content.decode()


def test_recompute_queues_one_rebuild_runs_it_and_audits_the_request(
    manager: Any, client_as: Any, shop: dict[str, Any], django_capture_on_commit_callbacks: Any,
) -> None:
    """The button goes through the task backend of the test settings (immediate) once the request commits."""
    client = client_as(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RECOMPUTE)

    assert response.status_code == 302
    run = RecommendationRun.objects.get()
    assert (run.status, run.requested_by, run.customers, run.pairs) == (RunStatus.DONE, manager, 3, 4)
    assert run.seconds is not None
    assert AuditEntry.objects.filter(object_type__contains="recommendationrun", actor=manager).count() == 1
    page = client.get(PAGE).content.decode()
    assert "3 customers, 4 pairs" in page


def test_recompute_while_one_is_queued_adds_nothing(manager: Any, admin: Any, client_as: Any, shop: Any) -> None:
    queued = RecommendationRun.objects.create(requested_by=admin)

    response = client_as(manager).post(RECOMPUTE, follow=True)

    assert list(RecommendationRun.objects.all()) == [queued]
    assert "already under way" in response.content.decode()


def test_a_run_queued_hours_ago_does_not_block_a_new_one(manager: Any, client_as: Any, shop: Any) -> None:
    stuck = RecommendationRun.objects.create()
    RecommendationRun.objects.filter(pk=stuck.pk).update(enqueued_at=START)

    client_as(manager).post(RECOMPUTE)

    assert RecommendationRun.objects.count() == 2


@pytest.mark.parametrize("role", ["viewer", "agent"])
def test_recompute_is_refused_to_other_roles_and_changes_nothing(role: str, users: dict[str, Any], client_as: Any, shop: Any) -> None:
    assert client_as(users[role]).post(RECOMPUTE).status_code == 403
    assert not RecommendationRun.objects.exists()


def test_running_status_polls_itself_with_htmx(manager: Any, client_as: Any, shop: Any) -> None:
    RecommendationRun.objects.create(status=RunStatus.RUNNING, started_at=START)

    response = client_as(manager).get(PAGE, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert 'hx-trigger="every 2s"' in body and "<html" not in body


def test_contact_panel_shows_recommendations_on_the_contact_page(agent: Any, client_as: Any, shop: dict[str, Any]) -> None:
    assert "recommendations" in [p.name for p in contact_panels()]
    response = client_as(agent).get(f"/contacts/{shop['c']['bob'].pk}/")

    body = response.content.decode()
    assert "Goes well with what they bought" in body
    assert "because they bought butter" in body


def test_contact_panel_takes_a_bounded_number_of_queries(
    agent: Any, shop: dict[str, Any], django_assert_max_num_queries: Any,
) -> None:
    request = RequestFactory().get("/")
    request.user = agent
    with django_assert_max_num_queries(3):
        context = contact_recommendations_panel(request, shop["c"]["bob"])
    assert [r.name for r in context["recommendations"]] == ["jam", "milk"]


def test_pop_section_data_is_json_ready(shop: dict[str, Any]) -> None:
    section = next(s for s in pop_sections() if s.name == "recommendations")
    assert section.template == "analytics/pop/_recommendations.html"
    p = shop["p"]

    data = recommendations_section(shop["c"]["bob"])

    assert data == [
        {"product_id": p["jam"].pk, "sku": "JAM", "name": "jam", "price": "10.0000", "currency": "EUR", "score": 1.284457,
         "because": {"product_id": p["butter"].pk, "name": "butter"}},
        {"product_id": p["milk"].pk, "sku": "MILK", "name": "milk", "price": "10.0000", "currency": "EUR", "score": 0.57735,
         "because": {"product_id": p["bread"].pk, "name": "bread"}},
    ]


def test_pop_section_is_left_out_for_a_customer_with_nothing_to_suggest(shop: dict[str, Any]) -> None:
    assert recommendations_section(make_contact("new")) is None


def test_pop_section_template_renders_the_data(shop: dict[str, Any]) -> None:
    from django.template.loader import render_to_string

    html = render_to_string("analytics/pop/_recommendations.html", {"section": recommendations_section(shop["c"]["bob"]), "contact": shop["c"]["bob"]})

    assert "jam" in html and "because they bought butter" in html and "€" in html
