"""API v1 interactions, notes and tasks: CRUD, roles, bad input, syncing, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kliyan.contacts.models import Interest
from kliyan.core.models import AuditEntry
from kliyan.interactions.models import Interaction, Note, Task
from kliyan.interactions.services import interaction_log, task_create

pytestmark = pytest.mark.django_db

JSON = "application/json"


def fields_of(response) -> set[str]:
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"] for e in response.json()["errors"]}


def test_log_an_instagram_interaction_with_a_follow_up(agent, client_as, contact):
    response = client_as(agent).post("/api/v1/interactions", {
        "contact": contact.pk, "channel": "instagram", "question": "Do you have size 42?", "answer": "Yes, in black.",
        "outcome": "answered", "follow_up": {"title": "Send photo", "due_date": "2030-01-02"},
    }, content_type=JSON)
    assert response.status_code == 201
    body = response.json()
    assert (body["channel"], body["staff"]["username"], body["contact"]["id"]) == ("instagram", "agent", contact.pk)
    task = Task.objects.get()
    assert (task.title, task.interaction_id, task.contact_id, task.assignee) == ("Send photo", body["id"], contact.pk, agent)
    assert AuditEntry.objects.get(object_type="interactions.interaction").via == "api"


def test_interaction_bad_input_is_named_and_nothing_saved(agent, client_as, contact):
    response = client_as(agent).post("/api/v1/interactions", {
        "contact": contact.pk, "channel": "pigeon", "occurred_at": "last tuesday", "question": "?",
        "follow_up": {"title": "", "due_date": "2030-13-40"},
    }, content_type=JSON)
    assert response.status_code == 422
    assert fields_of(response) == {"channel", "occurred_at", "follow_up.title", "follow_up.due_date"}
    assert not Interaction.objects.exists()
    assert not Task.objects.exists()


def test_interaction_for_an_unknown_contact_names_the_field(agent, client_as):
    response = client_as(agent).post("/api/v1/interactions", {"contact": 999, "channel": "sms", "question": "?"}, content_type=JSON)
    assert response.status_code == 422
    assert fields_of(response) == {"contact"}


def test_interaction_unknown_field_is_named(agent, client_as, contact):
    body = {"contact": contact.pk, "channel": "sms", "question": "?", "mood": "ok"}
    response = client_as(agent).post("/api/v1/interactions", body, content_type=JSON)
    assert fields_of(response) == {"mood"}


def test_interaction_read_update_archive(agent, manager, viewer, client_as, contact):
    item = interaction_log(actor=agent, contact=contact, data={"channel": "phone", "question": "Price?"})
    assert client_as(viewer).get(f"/api/v1/interactions/{item.pk}").json()["question"] == "Price?"
    assert client_as(viewer).patch(f"/api/v1/interactions/{item.pk}", {"answer": "x"}, content_type=JSON).status_code == 403
    updated = client_as(agent).patch(f"/api/v1/interactions/{item.pk}", {"answer": "100 HTG"}, content_type=JSON)
    assert updated.json()["answer"] == "100 HTG"
    assert client_as(agent).post(f"/api/v1/interactions/{item.pk}/archive").status_code == 403
    assert client_as(manager).post(f"/api/v1/interactions/{item.pk}/archive").json()["archived_at"] is not None
    assert client_as(agent).get("/api/v1/interactions").json()["items"] == []
    assert len(client_as(agent).get("/api/v1/interactions", {"status": "all"}).json()["items"]) == 1


@pytest.mark.parametrize("count", [1, 10])
def test_interaction_list_pages_with_constant_queries(count, agent, client_as, contact, django_assert_max_num_queries):
    for n in range(count):
        interaction_log(actor=agent, contact=contact, data={"channel": "sms", "question": f"q{n}", "interests": [f"i{n}"],
                                                            "occurred_at": timezone.now() - dt.timedelta(minutes=n)})
    client = client_as(agent)
    client.get("/api/v1/health")
    with django_assert_max_num_queries(4):  # the session, the user, the page, the page's interests
        first = client.get("/api/v1/interactions", {"limit": 6}).json()
    seen = [i["question"] for i in first["items"]]
    if first["next_cursor"]:
        seen += [i["question"] for i in client.get("/api/v1/interactions", {"limit": 6, "cursor": first["next_cursor"]}).json()["items"]]
    assert seen == [f"q{n}" for n in range(count)]


def test_interactions_updated_since(agent, client_as, contact):
    old = interaction_log(actor=agent, contact=contact, data={"channel": "sms", "question": "old"})
    interaction_log(actor=agent, contact=contact, data={"channel": "sms", "question": "new"})
    Interaction.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=2))
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    items = client_as(agent).get("/api/v1/interactions", {"updated_since": since}).json()["items"]
    assert [i["question"] for i in items] == ["new"]


def test_add_and_archive_a_note(agent, manager, client_as, contact):
    created = client_as(agent).post(f"/api/v1/contacts/{contact.pk}/notes", {"body": "Prefers mornings"}, content_type=JSON)
    assert created.status_code == 201
    note_id = created.json()["id"]
    assert client_as(agent).post(f"/api/v1/notes/{note_id}/archive").status_code == 403
    assert client_as(manager).post(f"/api/v1/notes/{note_id}/archive").json()["archived_at"] is not None
    assert Note.objects.get().archived_at is not None


def test_an_empty_note_is_named(agent, client_as, contact):
    response = client_as(agent).post(f"/api/v1/contacts/{contact.pk}/notes", {"body": "  "}, content_type=JSON)
    assert fields_of(response) == {"body"}
    assert not Note.objects.exists()


def test_task_create_complete_reopen_archive(agent, manager, client_as, contact):
    client = client_as(agent)
    created = client.post("/api/v1/tasks", {"title": "Call back", "due_date": "2030-01-02", "contact": contact.pk}, content_type=JSON)
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["assignee"]["username"] == "agent"
    done = client.post(f"/api/v1/tasks/{pk}/complete").json()
    assert (done["status"], done["completed_at"] is not None) == ("done", True)
    reopened = client.post(f"/api/v1/tasks/{pk}/reopen").json()
    assert (reopened["status"], reopened["completed_at"]) == ("open", None)
    changed = client.patch(f"/api/v1/tasks/{pk}", {"due_date": "2030-02-03"}, content_type=JSON).json()
    assert changed["due_date"] == "2030-02-03"
    assert client.post(f"/api/v1/tasks/{pk}/archive").status_code == 403
    assert client_as(manager).post(f"/api/v1/tasks/{pk}/archive").status_code == 200
    assert client.get("/api/v1/tasks").json()["items"] == []
    assert len(client.get("/api/v1/tasks", {"archived": True}).json()["items"]) == 1


def test_task_bad_input_is_named(agent, client_as):
    response = client_as(agent).post("/api/v1/tasks", {"title": "", "due_date": "tomorrow", "assignee": 999}, content_type=JSON)
    assert response.status_code == 422
    assert fields_of(response) == {"title", "due_date", "assignee"}
    assert not Task.objects.exists()


def test_viewer_cannot_touch_tasks(agent, viewer, client_as):
    task = task_create(actor=agent, data={"title": "T", "due_date": "2030-01-01"})
    client = client_as(viewer)
    assert client.get(f"/api/v1/tasks/{task.pk}").status_code == 200
    assert client.post("/api/v1/tasks", {"title": "X", "due_date": "2030-01-01"}, content_type=JSON).status_code == 403
    assert client.post(f"/api/v1/tasks/{task.pk}/complete").status_code == 403
    task.refresh_from_db()
    assert task.status == "open"
    assert Task.objects.count() == 1


def test_task_list_filters_and_counts(agent, manager, client_as, django_assert_max_num_queries):
    for n in range(6):
        task_create(actor=agent, data={"title": f"T{n}", "due_date": f"2030-01-0{n + 1}", "assignee": (agent if n % 2 else manager).pk})
    client = client_as(agent)
    client.get("/api/v1/health")
    with django_assert_max_num_queries(3):
        mine = client.get("/api/v1/tasks", {"assignee": agent.pk}).json()["items"]
    assert [t["title"] for t in mine] == ["T1", "T3", "T5"]
    assert fields_of(client.get("/api/v1/tasks", {"status": "later"})) == {"status"}


def test_interests_shown_in_an_interaction_are_kept_and_given_to_the_contact(agent, client_as, contact):
    Interest.objects.create(name="School bags")
    response = client_as(agent).post("/api/v1/interactions", {
        "contact": contact.pk, "channel": "whatsapp", "question": "Do you have school bags for 6 year olds?",
        "interests": ["school bags", "Pencils", " "],
    }, content_type=JSON)
    assert response.status_code == 201, response.content
    # "school bags" is the existing interest (names are matched case-insensitively); "Pencils" is new.
    assert response.json()["interests"] == ["Pencils", "School bags"]
    assert sorted(contact.interests.values_list("name", flat=True)) == ["Pencils", "School bags"]
    gained = AuditEntry.objects.get(object_type="contacts.contact", action="update", contact_id=contact.pk)
    assert gained.after == {"interests": ["Pencils", "School bags"]}
    created = AuditEntry.objects.get(object_type="interactions.interaction")
    assert created.after["interests"] == ["Pencils", "School bags"]

    item = response.json()["id"]
    changed = client_as(agent).patch(f"/api/v1/interactions/{item}", {"interests": ["Pencils"]}, content_type=JSON)
    assert changed.json()["interests"] == ["Pencils"]
    # The contact keeps what they showed before: their interests are not taken back.
    assert contact.interests.count() == 2


def test_bad_interests_are_named_and_nothing_saved(agent, client_as, contact):
    for interests, field in ((["x" * 81], "interests.0"), ("coffee", "interests")):
        response = client_as(agent).post("/api/v1/interactions", {
            "contact": contact.pk, "channel": "sms", "question": "?", "interests": interests}, content_type=JSON)
        assert response.status_code == 422
        assert field in fields_of(response)
    assert not Interaction.objects.exists() and not Interest.objects.exists()
