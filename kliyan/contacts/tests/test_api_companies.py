"""API v1 companies, custom-field definitions and consent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kliyan.contacts.models import Company, Consent, ConsentEvent, CustomFieldDefinition
from kliyan.contacts.services import company_create, consent_set, custom_field_create
from kliyan.core.models import AuditEntry

pytestmark = pytest.mark.django_db

JSON = "application/json"


def fields_of(response) -> set[str]:
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"] for e in response.json()["errors"]}


# --- Companies ------------------------------------------------------------------------

def test_company_create_read_update_archive_restore(agent, manager, client_as):
    client = client_as(agent)
    created = client.post("/api/v1/companies", {
        "name": "Boulangerie Pétion", "website": "petion.ht", "phones": [{"number": "2222 3333", "kind": "work"}], "tags": ["bakery"],
    }, content_type=JSON)
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["website"] == "https://petion.ht"
    assert created.json()["phones"] == [{"number": "+50922223333", "kind": "work", "is_primary": True}]
    assert client.get(f"/api/v1/companies/{pk}").json()["name"] == "Boulangerie Pétion"
    updated = client.patch(f"/api/v1/companies/{pk}", {"industry": "Food"}, content_type=JSON)
    assert (updated.json()["industry"], updated.json()["tags"]) == ("Food", ["bakery"])
    assert client.post(f"/api/v1/companies/{pk}/archive").status_code == 403
    boss = client_as(manager)
    assert boss.post(f"/api/v1/companies/{pk}/archive").json()["archived_at"] is not None
    assert boss.post(f"/api/v1/companies/{pk}/restore").json()["archived_at"] is None
    assert list(AuditEntry.objects.filter(object_type="contacts.company").values_list("action", "via")) == [
        ("restore", "api"), ("archive", "api"), ("update", "api"), ("create", "api"),
    ]


def test_company_bad_input_is_named(agent, client_as):
    response = client_as(agent).post("/api/v1/companies", {"name": "", "website": "not a url", "nickname": "x"}, content_type=JSON)
    assert response.status_code == 422
    assert fields_of(response) == {"nickname"}
    response = client_as(agent).post("/api/v1/companies", {"name": "", "website": "not a url"}, content_type=JSON)
    assert fields_of(response) == {"name", "website"}
    assert not Company.objects.exists()


def test_viewer_cannot_create_a_company(viewer, client_as):
    assert client_as(viewer).post("/api/v1/companies", {"name": "X"}, content_type=JSON).status_code == 403
    assert not Company.objects.exists()


def test_company_list_pages_and_filters_by_updated_since(agent, client_as, django_assert_max_num_queries):
    companies = [company_create(actor=agent, data={"name": f"Co {n}", "emails": [{"email": f"co{n}@x.org"}]}) for n in range(5)]
    Company.objects.filter(pk=companies[0].pk).update(updated_at=timezone.now() - dt.timedelta(days=2))
    client = client_as(agent)
    client.get("/api/v1/health")
    with django_assert_max_num_queries(7):
        first = client.get("/api/v1/companies", {"limit": 3}).json()
    second = client.get("/api/v1/companies", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [c["name"] for c in first["items"] + second["items"]] == [f"Co {n}" for n in range(5)]
    assert second["next_cursor"] is None
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert len(client.get("/api/v1/companies", {"updated_since": since}).json()["items"]) == 4


# --- Custom field definitions ---------------------------------------------------------

def test_manager_defines_changes_and_archives_a_custom_field(manager, client_as):
    client = client_as(manager)
    created = client.post("/api/v1/custom-fields", {"label": "Shoe size", "field_type": "number"}, content_type=JSON)
    assert created.status_code == 201
    body = created.json()
    assert (body["key"], body["target"]) == ("shoe_size", "contact")
    changed = client.patch(f"/api/v1/custom-fields/{body['id']}", {"label": "Size", "required": True}, content_type=JSON)
    assert (changed.json()["label"], changed.json()["required"]) == ("Size", True)
    assert client.post(f"/api/v1/custom-fields/{body['id']}/archive").json()["archived_at"] is not None
    assert client.get("/api/v1/custom-fields").json()["items"] == []
    assert [d["key"] for d in client.get("/api/v1/custom-fields", {"status": "archived"}).json()["items"]] == ["shoe_size"]


@pytest.mark.parametrize(("role", "status"), [("admin", 201), ("manager", 201), ("agent", 403), ("viewer", 403)])
def test_custom_field_definition_role_by_role(role, status, users, client_as):
    response = client_as(users[role]).post("/api/v1/custom-fields", {"label": "Colour", "field_type": "text"}, content_type=JSON)
    assert response.status_code == status
    assert CustomFieldDefinition.objects.count() == (1 if status == 201 else 0)


def test_custom_field_type_cannot_be_changed(manager, client_as):
    definition = custom_field_create(actor=manager, data={"label": "Size", "field_type": "text"})
    response = client_as(manager).patch(f"/api/v1/custom-fields/{definition.pk}", {"field_type": "number"}, content_type=JSON)
    assert response.status_code == 422
    assert fields_of(response) == {"field_type"}


def test_a_choice_field_needs_choices(manager, client_as):
    response = client_as(manager).post("/api/v1/custom-fields", {"label": "Tier", "field_type": "choice"}, content_type=JSON)
    assert fields_of(response) == {"choices"}


# --- Consent --------------------------------------------------------------------------

def test_consent_set_by_post_and_put_keeps_the_history(agent, viewer, client_as, contact):
    client = client_as(agent)
    url = f"/api/v1/contacts/{contact.pk}/consents"
    granted = client.post(url, {"channel": "sms", "status": "granted", "method": "verbal"}, content_type=JSON)
    assert granted.status_code == 201
    withdrawn = client.put(f"{url}/sms", {"status": "withdrawn", "method": "unsubscribe"}, content_type=JSON)
    assert withdrawn.status_code == 200
    body = client_as(viewer).get(url).json()
    current = {row["channel"]: row["status"] for row in body["current"]}
    assert current == {"email": "", "sms": "withdrawn", "whatsapp": "", "phone": "", "post": ""}
    assert [(e["status"], e["recorded_by"]["username"]) for e in body["history"]] == [("withdrawn", "agent"), ("granted", "agent")]
    assert Consent.objects.get(contact=contact).status == "withdrawn"


def test_consent_bad_values_are_named(agent, client_as, contact):
    response = client_as(agent).put(f"/api/v1/contacts/{contact.pk}/consents/fax", {"status": "maybe"}, content_type=JSON)
    assert response.status_code == 422
    assert fields_of(response) == {"channel", "status"}
    assert not ConsentEvent.objects.exists()


def test_consent_changes_list_for_syncing(agent, client_as, contact):
    consent_set(actor=agent, contact=contact, channel="email", status="granted", method="written")
    consent_set(actor=agent, contact=contact, channel="sms", status="granted", method="written")
    client = client_as(agent)
    page = client.get("/api/v1/consents", {"limit": 1}).json()
    rest = client.get("/api/v1/consents", {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [e["channel"] for e in page["items"] + rest["items"]] == ["email", "sms"]
    assert client.get("/api/v1/consents", {"updated_since": timezone.now().isoformat()}).json()["items"] == []
