"""API v1 contacts: CRUD, roles, bad input named by field, duplicates, filters, paging, counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kliyan.contacts.models import Contact
from kliyan.contacts.services import contact_create, custom_field_create
from kliyan.core.models import AuditEntry

pytestmark = pytest.mark.django_db

JSON = "application/json"
URL = "/api/v1/contacts"


def errors_of(response) -> dict[str, str]:
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def make_people(actor, count: int, **extra) -> list[Contact]:
    return [
        contact_create(actor=actor, data={"first_name": f"Person {n:03d}", "emails": [{"email": f"p{n}@example.org"}],
                                          "phones": [{"number": f"+50937{n:06d}"}], "tags": ["vip"], **extra})
        for n in range(count)
    ]


def test_create_returns_the_contact_with_typed_emails_phones_and_addresses(agent, client_as):
    response = client_as(agent).post(URL, {
        "first_name": "Céline", "last_name": "Dupont", "birthday": "1990-05-01", "language": "fr",
        "emails": [{"email": "Celine@Example.FR", "kind": "work"}, {"email": "c@home.fr", "is_primary": True}],
        "phones": [{"number": "+33 6 12 34 56 78", "kind": "whatsapp"}],
        "addresses": [{"street": "1 rue de Paris", "city": "Lyon", "country": "fr"}],
        "tags": ["VIP"], "interests": ["shoes"],
    }, content_type=JSON)
    assert response.status_code == 201
    body = response.json()
    assert body["display_name"] == "Céline Dupont"
    assert body["emails"] == [
        {"email": "c@home.fr", "kind": "personal", "is_primary": True},
        {"email": "celine@example.fr", "kind": "work", "is_primary": False},
    ]
    assert body["phones"] == [{"number": "+33612345678", "kind": "whatsapp", "is_primary": True}]
    assert body["addresses"][0]["country"] == "FR"
    assert (body["tags"], body["interests"], body["birthday"]) == (["VIP"], ["shoes"], "1990-05-01")
    assert Contact.objects.get().primary_email == "c@home.fr"


def test_read_returns_one_contact(viewer, client_as, contact):
    response = client_as(viewer).get(f"{URL}/{contact.pk}")
    assert response.status_code == 200
    assert response.json()["phones"] == [{"number": "+40721234567", "kind": "mobile", "is_primary": True}]


def test_update_changes_only_the_fields_sent(agent, client_as, contact):
    response = client_as(agent).patch(f"{URL}/{contact.pk}", {"job_title": "Chef"}, content_type=JSON)
    assert response.status_code == 200
    contact.refresh_from_db()
    assert (contact.job_title, contact.first_name, contact.primary_email) == ("Chef", "Ștefan", "stefan.popescu@example.ro")
    entry = AuditEntry.objects.filter(action="update", object_type="contacts.contact").get()
    assert entry.via == "api"
    assert (entry.before["job_title"], entry.after["job_title"]) == ("", "Chef")


def test_manager_archives_and_restores(manager, client_as, contact):
    client = client_as(manager)
    archived = client.post(f"{URL}/{contact.pk}/archive")
    assert archived.status_code == 200
    assert archived.json()["archived_at"] is not None
    restored = client.post(f"{URL}/{contact.pk}/restore")
    assert restored.json()["archived_at"] is None


def test_agent_cannot_archive(agent, client_as, contact):
    response = client_as(agent).post(f"{URL}/{contact.pk}/archive")
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.archived_at is None


def test_only_admin_erases(admin, manager, client_as, contact):
    assert client_as(manager).delete(f"{URL}/{contact.pk}").status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert client_as(admin).delete(f"{URL}/{contact.pk}").status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.parametrize("role", ["viewer"])
def test_viewer_reads_but_cannot_write(role, users, client_as, contact):
    client = client_as(users[role])
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"first_name": "X"}, content_type=JSON).status_code == 403
    assert client.patch(f"{URL}/{contact.pk}", {"first_name": "X"}, content_type=JSON).status_code == 403
    assert client.post(f"{URL}/{contact.pk}/notes", {"body": "hi"}, content_type=JSON).status_code == 403
    assert client.post(f"{URL}/{contact.pk}/consents", {"channel": "sms", "status": "granted"}, content_type=JSON).status_code == 403
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Ștefan"]
    assert not AuditEntry.objects.exclude(object_type="accounts.user").exclude(action="create").exists()


@pytest.mark.parametrize(("role", "status"), [("admin", 201), ("manager", 201), ("agent", 201), ("viewer", 403)])
def test_create_role_by_role(role, status, users, client_as):
    response = client_as(users[role]).post(URL, {"first_name": "Role"}, content_type=JSON)
    assert response.status_code == status
    assert Contact.objects.filter(first_name="Role").count() == (1 if status == 201 else 0)


def test_unknown_field_is_rejected_by_name(agent, client_as):
    response = client_as(agent).post(URL, {"first_name": "A", "favourite_colour": "red"}, content_type=JSON)
    assert response.status_code == 422
    assert errors_of(response) == {"favourite_colour": "Unknown field."}
    assert Contact.objects.count() == 0


def test_unknown_nested_field_is_rejected_by_path(agent, client_as):
    response = client_as(agent).post(URL, {"first_name": "A", "phones": [{"number": "+50937123456", "type": "x"}]}, content_type=JSON)
    assert response.status_code == 422
    assert list(errors_of(response)) == ["phones.0.type"]


def test_bad_phone_email_and_date_are_named_and_nothing_is_saved(agent, client_as):
    response = client_as(agent).post(URL, {
        "first_name": "A", "phones": [{"number": "12"}], "emails": [{"email": "not-an-email"}], "birthday": "31/02/1990",
    }, content_type=JSON)
    assert response.status_code == 422
    assert set(errors_of(response)) == {"phones.0.number", "emails.0.email", "birthday"}
    assert Contact.objects.count() == 0
    assert not AuditEntry.objects.exclude(object_type="accounts.user").exists()


def test_bad_custom_field_value_is_named(manager, agent, client_as):
    custom_field_create(actor=manager, data={"label": "Shoe size", "key": "shoe_size", "field_type": "number"})
    client = client_as(agent)
    response = client.post(URL, {"first_name": "A", "custom_fields": {"shoe_size": "big", "nope": 1}}, content_type=JSON)
    assert response.status_code == 422
    assert set(errors_of(response)) == {"custom_fields.shoe_size", "custom_fields.nope"}
    created = client.post(URL, {"first_name": "A", "custom_fields": {"shoe_size": "42"}}, content_type=JSON)
    assert created.json()["custom_fields"] == {"shoe_size": 42}


def test_a_duplicate_is_refused_with_409_naming_the_existing_contact(agent, client_as, contact):
    client = client_as(agent)
    body = {"first_name": "Stefan", "phones": [{"number": "0040 721 234 567"}]}
    response = client.post(URL, body, content_type=JSON)
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "duplicate_contact"
    assert [(d["id"], d["name"]) for d in problem["duplicates"]] == [(contact.pk, "Ștefan Popescu")]
    assert "phones.0.number" in errors_of(response)
    assert Contact.objects.count() == 1
    forced = client.post(URL, {**body, "allow_duplicate": True}, content_type=JSON)
    assert forced.status_code == 201
    assert Contact.objects.count() == 2


def test_list_filters_by_tag_company_owner_status_language_and_q(agent, manager, client_as):
    client = client_as(agent)
    make_people(agent, 2)
    special = contact_create(actor=agent, data={"first_name": "Ana", "language": "ro", "owner": manager.pk, "tags": ["gold"]})
    gone = contact_create(actor=agent, data={"first_name": "Gone"})
    Contact.objects.filter(pk=gone.pk).update(archived_at=timezone.now())

    def ids(**params):
        return [c["id"] for c in client.get(URL, params).json()["items"]]

    assert ids(tag="gold") == [special.pk]
    assert ids(owner=manager.pk) == [special.pk]
    assert ids(language="ro") == [special.pk]
    assert ids(status="archived") == [gone.pk]
    assert ids(q="ana") == [special.pk]
    assert len(ids()) == 3
    assert len(ids(status="all")) == 4


def test_list_rejects_a_bad_status_or_updated_since_by_name(agent, client_as):
    client = client_as(agent)
    assert list(errors_of(client.get(URL, {"status": "gone"}))) == ["status"]
    assert list(errors_of(client.get(URL, {"updated_since": "yesterday"}))) == ["updated_since"]


def test_updated_since_returns_only_recent_changes(agent, client_as):
    old, recent = make_people(agent, 2)
    Contact.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=3))
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    items = client_as(agent).get(URL, {"updated_since": since}).json()["items"]
    assert [c["id"] for c in items] == [recent.pk]


def test_cursor_pagination_walks_every_contact_once(agent, client_as):
    people = make_people(agent, 7)
    client = client_as(agent)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, "sort": "-updated"} | ({"cursor": cursor} if cursor else {})
        body = client.get(URL, params).json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert sorted(seen) == sorted(p.pk for p in people)
    assert len(seen) == len(set(seen))


def test_a_bad_cursor_is_named(agent, client_as):
    response = client_as(agent).get(URL, {"cursor": "!!!"})
    assert response.status_code == 422
    assert list(errors_of(response)) == ["cursor"]


@pytest.mark.parametrize("count", [1, 12])
def test_list_query_count_does_not_grow_with_the_page(count, agent, client_as, django_assert_max_num_queries):
    referrer = contact_create(actor=agent, data={"first_name": "Referrer"})
    make_people(agent, count, addresses=[{"city": "Jacmel"}], interests=["hats"], referred_by=referrer.pk)
    client = client_as(agent)
    client.get("/api/v1/health")  # warm the organisation cache
    # session, user, contacts, then one query each: tags, e-mails, phones, addresses, interests, referrers.
    with django_assert_max_num_queries(9):
        response = client.get(URL, {"limit": 50})
    assert len(response.json()["items"]) == count + 1


def test_detail_query_count(agent, client_as, contact, django_assert_max_num_queries):
    client = client_as(agent)
    client.get("/api/v1/health")
    with django_assert_max_num_queries(10):
        assert client.get(f"{URL}/{contact.pk}").status_code == 200


def test_search_finds_by_phone_in_another_format(viewer, client_as, contact):
    response = client_as(viewer).get("/api/v1/search", {"q": "0040 721 234 567"})
    assert [c["id"] for c in response.json()["items"]] == [contact.pk]


def test_search_is_accent_insensitive(viewer, client_as, contact):
    assert [c["id"] for c in client_as(viewer).get("/api/v1/search", {"q": "stefan"}).json()["items"]] == [contact.pk]


def test_caller_id_matches_a_raw_number(viewer, client_as, contact):
    body = client_as(viewer).get("/api/v1/caller-id", {"phone": "+40 (721) 234-567"}).json()
    assert body["e164"] == "+40721234567"
    assert [c["id"] for c in body["contacts"]] == [contact.pk]


def test_caller_id_needs_the_phone(viewer, client_as):
    response = client_as(viewer).get("/api/v1/caller-id")
    assert response.status_code == 422
    assert list(errors_of(response)) == ["phone"]


def test_timeline_pages_with_before(agent, client_as, contact):
    client = client_as(agent)
    for n in range(3):
        client.post(f"{URL}/{contact.pk}/notes", {"body": f"note {n}"}, content_type=JSON)
    first = client.get(f"{URL}/{contact.pk}/timeline", {"limit": 2}).json()
    assert [e["body"] for e in first["items"]] == ["note 2", "note 1"]
    rest = client.get(f"{URL}/{contact.pk}/timeline", {"limit": 2, "before": first["next_before"]}).json()
    assert [e["body"] for e in rest["items"]] == ["note 0"]
    assert rest["next_before"] is None
