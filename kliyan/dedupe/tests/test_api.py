"""API v1 duplicates and merge: pairs, scan, dismiss, merge with an Idempotency-Key; managers and admins only."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kliyan.accounts.services import token_create
from kliyan.contacts.models import Contact
from kliyan.core.models import AuditEntry
from kliyan.dedupe.choices import PairStatus, ScanStatus
from kliyan.dedupe.models import DuplicatePair, DuplicateScan
from kliyan.interactions.models import Interaction
from kliyan.interactions.services import interaction_log

pytestmark = pytest.mark.django_db
JSON = "application/json"


def bearer(user, scope: str = "write") -> Client:
    _token, secret = token_create(actor=user, user=user, name="test", scope=scope)
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def pair(person):
    a = person("Marie", "Joseph", emails=["marie@example.ht"], job_title="Chef")
    b = person("Mari", "Joseph", emails=["marie@example.ht"], phones=["+509 3712 3456"], language="fr")
    return DuplicatePair.objects.create(contact_a=a, contact_b=b, score=100, reasons=[{"code": "email", "value": "marie@example.ht"}])


def state():
    return (
        list(Contact.objects.order_by("pk").values_list("pk", "archived_at", "merged_into_id", "first_name")),
        list(DuplicatePair.objects.values_list("pk", "status")), DuplicateScan.objects.count(), AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("role", ["viewer", "agent"])
def test_viewers_and_agents_may_not_see_or_merge_duplicates(role, users, pair):
    client = bearer(users[role])
    before = state()

    assert client.get("/api/v1/duplicates").status_code == 403
    assert client.post("/api/v1/duplicates/scan").status_code == 403
    assert client.post(f"/api/v1/duplicates/{pair.pk}/dismiss").status_code == 403
    merge = {"survivor_id": pair.contact_a_id, "merged_ids": [pair.contact_b_id]}
    assert client.post("/api/v1/contacts/merge", merge, content_type=JSON).status_code == 403
    assert state() == before


def test_anonymous_callers_and_read_tokens_are_refused(manager, pair):
    merge = {"survivor_id": pair.contact_a_id, "merged_ids": [pair.contact_b_id]}
    assert Client().get("/api/v1/duplicates").status_code == 401
    assert Client().post("/api/v1/contacts/merge", merge, content_type=JSON).status_code == 401
    read = bearer(manager, scope="read")
    assert read.get("/api/v1/duplicates").status_code == 200
    assert read.post("/api/v1/contacts/merge", merge, content_type=JSON).status_code == 403


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_the_pairs_list_with_reasons_best_first(role, users, pair, person):
    low_a, low_b = person("Jean", "Pierre"), person("Jean", "Pierre")
    DuplicatePair.objects.create(contact_a=low_a, contact_b=low_b, score=60, reasons=[{"code": "name", "value": ""}])

    body = bearer(users[role]).get("/api/v1/duplicates").json()

    assert [item["score"] for item in body["items"]] == [100, 60]
    first = body["items"][0]
    assert first["contact_a"]["id"] == pair.contact_a_id and first["contact_b"]["primary_phone"] == "+50937123456"
    assert first["reasons"] == [{"code": "email", "label": "same e-mail", "value": "marie@example.ht"}]
    assert [i["score"] for i in bearer(users[role]).get("/api/v1/duplicates", {"min_score": 70}).json()["items"]] == [100]


def test_a_bad_filter_names_the_field(manager):
    client = bearer(manager)

    wrong_status = client.get("/api/v1/duplicates", {"status": "maybe"})
    wrong_score = client.get("/api/v1/duplicates", {"min_score": 101})

    assert wrong_status.status_code == 422 and "status" in json.dumps(wrong_status.json())
    assert wrong_score.status_code == 422 and "min_score" in json.dumps(wrong_score.json())


def test_a_scan_starts_in_the_background_and_can_be_followed(manager, person, django_capture_on_commit_callbacks):
    person("Marie", "Joseph", emails=["marie@example.ht"]), person("Marie", "Joseph", emails=["marie@example.ht"])
    client = bearer(manager)

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/api/v1/duplicates/scan")

    assert started.status_code == 202, started.content
    followed = client.get(f"/api/v1/duplicates/scans/{started.json()['id']}").json()
    assert followed["status"] == ScanStatus.DONE and followed["pairs"] == 1 and followed["percent"] == 100
    assert client.get("/api/v1/duplicates/scans/999999").status_code == 404


def test_dismissing_a_pair_keeps_it_off_the_open_list(manager, pair):
    client = bearer(manager)

    response = client.post(f"/api/v1/duplicates/{pair.pk}/dismiss")

    assert response.status_code == 200 and response.json()["status"] == PairStatus.DISMISSED
    assert client.get("/api/v1/duplicates").json()["items"] == []
    assert len(client.get("/api/v1/duplicates", {"status": "dismissed"}).json()["items"]) == 1
    assert client.post("/api/v1/duplicates/999999/dismiss").status_code == 404
    assert client.post(f"/api/v1/duplicates/{pair.pk}/reopen").json()["status"] == PairStatus.OPEN


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_merging_moves_everything_and_a_retry_with_the_same_key_is_applied_once(role, users, pair, agent):
    interaction_log(actor=agent, contact=pair.contact_b, data={"channel": "phone", "question": "Price?"})
    client = bearer(users[role])
    body = {"survivor_id": pair.contact_a_id, "merged_ids": [pair.contact_b_id], "fields": {"language": pair.contact_b_id}}

    first = client.post("/api/v1/contacts/merge", body, content_type=JSON, headers={"Idempotency-Key": "merge-1"})
    again = client.post("/api/v1/contacts/merge", body, content_type=JSON, headers={"Idempotency-Key": "merge-1"})

    assert first.status_code == 200, first.content
    answer = first.json()
    assert answer["survivor"]["id"] == pair.contact_a_id and answer["survivor"]["language"] == "fr"
    assert answer["survivor"]["phones"][0]["number"] == "+50937123456" and answer["merged_ids"] == [pair.contact_b_id]
    assert answer["moved"]["interactions.interaction"] == 1 and answer["removed"] == {"contacts.emailaddress": 1}
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json() == answer
    assert AuditEntry.objects.filter(action="merge").count() == 2
    assert Interaction.objects.get().contact_id == pair.contact_a_id
    tombstone = client.get(f"/api/v1/contacts/{pair.contact_b_id}").json()
    assert tombstone["merged_into_id"] == pair.contact_a_id and tombstone["archived_at"] is not None


@pytest.mark.parametrize(("body", "field"), [
    ({"survivor_id": "SELF", "merged_ids": ["SELF"]}, "merged_ids.0"),
    ({"survivor_id": "A", "merged_ids": [999999]}, "merged_ids.0"),
    ({"survivor_id": 999999, "merged_ids": ["B"]}, "survivor_id"),
    ({"survivor_id": "A", "merged_ids": []}, "merged_ids"),
    ({"survivor_id": "A", "merged_ids": ["B"], "fields": {"email": "B"}}, "fields.email"),
])
def test_a_bad_merge_is_a_problem_naming_the_field_and_changes_nothing(manager, pair, body, field):
    ids = {"SELF": pair.contact_a_id, "A": pair.contact_a_id, "B": pair.contact_b_id}
    sent = json.loads(json.dumps(body), object_hook=lambda d: {k: ids.get(v, v) if isinstance(v, str) else v for k, v in d.items()})
    sent["merged_ids"] = [ids.get(v, v) for v in sent["merged_ids"]]
    client = bearer(manager)
    before = state()

    response = client.post("/api/v1/contacts/merge", sent, content_type=JSON)

    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in json.dumps(response.json())
    assert state() == before
