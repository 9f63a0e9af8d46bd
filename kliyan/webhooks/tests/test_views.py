"""Webhook pages: admins only; the secret shown once; bad input named by field; audit; query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditAction, AuditEntry
from kliyan.webhooks.models import WebhookDelivery, WebhookEndpoint
from kliyan.webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db
ROLES = ["admin", "manager", "agent", "viewer"]


@pytest.fixture
def hook(admin) -> WebhookEndpoint:
    return endpoint_create(actor=admin, data={"url": "http://127.0.0.1:9/hook", "events": ["contact.created"]})


@pytest.fixture
def delivery(hook, agent) -> WebhookDelivery:
    contact_create(actor=agent, data={"first_name": "Mirlande"})
    return WebhookDelivery.objects.get()


def pages(hook: WebhookEndpoint, delivery: WebhookDelivery) -> list[str]:
    return [
        reverse("webhooks:endpoint_list"), reverse("webhooks:endpoint_create"),
        reverse("webhooks:endpoint_detail", args=[hook.pk]), reverse("webhooks:endpoint_edit", args=[hook.pk]),
        reverse("webhooks:endpoint_delete", args=[hook.pk]), reverse("webhooks:delivery_detail", args=[delivery.pk]),
    ]


def actions(hook: WebhookEndpoint, delivery: WebhookDelivery) -> list[str]:
    return [
        reverse("webhooks:endpoint_create"), reverse("webhooks:endpoint_edit", args=[hook.pk]),
        reverse("webhooks:endpoint_toggle", args=[hook.pk]), reverse("webhooks:endpoint_rotate", args=[hook.pk]),
        reverse("webhooks:endpoint_delete", args=[hook.pk]), reverse("webhooks:endpoint_test", args=[hook.pk]),
        reverse("webhooks:delivery_replay", args=[delivery.pk]),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_pages_are_for_admins_only(role, users, client_as, hook, delivery):
    client = client_as(users[role])
    for url in pages(hook, delivery):
        assert client.get(url).status_code == (200 if role == "admin" else 403), url


def test_anonymous_visitors_are_sent_to_log_in(hook, delivery):
    for url in pages(hook, delivery):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), url


@pytest.mark.parametrize("role", ["manager", "agent", "viewer"])
def test_other_roles_cannot_change_anything(role, users, client_as, hook, delivery):
    client = client_as(users[role])
    before = (hook.secret, hook.active, hook.url, delivery.status, WebhookDelivery.objects.count(), AuditEntry.objects.count())
    for url in actions(hook, delivery):
        assert client.post(url, {"url": "https://evil.example.com/", "all_events": "on"}).status_code == 403, url
    hook.refresh_from_db()
    delivery.refresh_from_db()
    after = (hook.secret, hook.active, hook.url, delivery.status, WebhookDelivery.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_the_menu_links_to_webhooks_for_admins_only(users, client_as):
    url = reverse("webhooks:endpoint_list")
    assert url.encode() in client_as(users["admin"]).get(reverse("accounts:password_change")).content
    assert url.encode() not in client_as(users["manager"]).get(reverse("accounts:password_change")).content


def test_adding_an_endpoint_shows_its_secret_once_and_audits_it(admin, client_as):
    client = client_as(admin)
    response = client.post(reverse("webhooks:endpoint_create"), {
        "url": "https://erp.example.com/kliyan", "description": "Accounting", "events": ["contact.created", "task.completed"],
    })
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and endpoint.secret.encode() in response.content
    assert response["Cache-Control"] == "no-store"
    assert (endpoint.events, endpoint.created_by, endpoint.active) == (["contact.created", "task.completed"], admin, True)
    detail = client.get(endpoint.get_absolute_url())
    assert endpoint.secret.encode() not in detail.content and endpoint.secret_hint.encode() in detail.content
    entry = AuditEntry.objects.get(object_type="webhooks.webhookendpoint", action=AuditAction.CREATE)
    assert entry.actor == admin and entry.after["url"] == "https://erp.example.com/kliyan"
    assert endpoint.secret not in str(entry.after)


def test_bad_url_and_no_event_are_named_next_to_their_fields_and_nothing_is_saved(admin, client_as):
    response = client_as(admin).post(reverse("webhooks:endpoint_create"), {"url": "ftp://files.example.com", "events": []})
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"url", "events"}
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEntry.objects.filter(object_type="webhooks.webhookendpoint").exists()


def test_an_unknown_event_is_refused_by_name(admin, client_as):
    response = client_as(admin).post(reverse("webhooks:endpoint_create"), {"url": "https://a.example.com/", "events": ["contact.exploded"]})
    assert response.status_code == 422
    assert "events" in response.context["form"].errors
    assert not WebhookEndpoint.objects.exists()


def test_edit_disable_rotate_and_delete_are_audited(admin, client_as, hook):
    client = client_as(admin)
    response = client.post(reverse("webhooks:endpoint_edit", args=[hook.pk]), {
        "url": "https://new.example.com/hook", "all_events": "on", "active": "on",
    })
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.url, hook.all_events, hook.active) == ("https://new.example.com/hook", True, True)

    client.post(reverse("webhooks:endpoint_toggle", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.active is False

    old_secret = hook.secret
    response = client.post(reverse("webhooks:endpoint_rotate", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.secret != old_secret and hook.secret.encode() in response.content
    assert response["Cache-Control"] == "no-store"

    assert client.post(reverse("webhooks:endpoint_delete", args=[hook.pk])).status_code == 302
    assert not WebhookEndpoint.objects.exists()
    actions = list(
        AuditEntry.objects.filter(object_type="webhooks.webhookendpoint", object_id=str(hook.pk)).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["create", "update", "update", "update", "delete"]
    for entry in AuditEntry.objects.filter(object_type="webhooks.webhookendpoint"):
        assert old_secret not in str(entry.before) + str(entry.after)
        assert hook.secret not in str(entry.before) + str(entry.after)


def test_send_test_event_is_refused_for_a_disabled_endpoint(admin, client_as, hook):
    hook.active = False
    hook.save()
    response = client_as(admin).post(reverse("webhooks:endpoint_test", args=[hook.pk]), follow=True)
    assert b"disabled" in response.content
    assert not WebhookDelivery.objects.exists()


def test_delivery_page_shows_the_payload_and_the_last_response(admin, client_as, delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(last_status_code=500, last_response_body="upstream exploded")
    response = client_as(admin).get(reverse("webhooks:delivery_detail", args=[delivery.pk]))
    assert b"Mirlande" in response.content and b"upstream exploded" in response.content
    assert delivery.message_id.encode() in response.content


@pytest.mark.parametrize("count", [1, 12])
def test_list_and_detail_pages_run_a_fixed_number_of_queries(count, admin, agent, client_as, django_assert_max_num_queries):
    for n in range(count):
        endpoint_create(actor=admin, data={"url": f"http://127.0.0.1:9/{n}", "all_events": True})
    for n in range(count):
        contact_create(actor=agent, data={"first_name": f"Person {n}"})
    client = client_as(admin)
    client.get(reverse("webhooks:endpoint_list"))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("webhooks:endpoint_list"))
    assert response.status_code == 200 and len(response.context["endpoints"]) == count
    endpoint = WebhookEndpoint.objects.first()
    with django_assert_max_num_queries(7):
        response = client.get(endpoint.get_absolute_url())
    assert len(response.context["page"].items) == count
    delivery = WebhookDelivery.objects.first()
    with django_assert_max_num_queries(6):
        client.get(reverse("webhooks:delivery_detail", args=[delivery.pk]))
