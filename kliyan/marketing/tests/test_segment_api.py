"""API v1 for segments: who may do what, saving with validation, live counts and a segment's contacts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from kliyan.contacts.models import Tag
from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry
from kliyan.marketing.models import Segment

API = "/api/v1"


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(f"{API}{url}", json.dumps(body), content_type="application/json")


def patch(client: Client, url: str, body: Any) -> Any:
    return client.patch(f"{API}{url}", json.dumps(body), content_type="application/json")


@pytest.fixture
def people(db: Any, agent: Any) -> dict[str, Any]:
    vip = Tag.objects.create(name="VIP")
    made = {
        name: contact_create(actor=agent, data={"first_name": name, "last_name": "Test", **extra})
        for name, extra in (("Ana", {"tags": ["VIP"]}), ("Bruno", {"tags": ["VIP"]}), ("Chloé", {}))
    }
    return {"vip": vip, **made}


@pytest.fixture
def vip_segment(people: dict, manager: Any) -> Segment:
    return Segment.objects.create(name="VIPs", rule={"all": [{"field": "tag", "op": "has", "value": people["vip"].pk}]},
                                  created_by=manager)


ROLES_THAT_VIEW = {"admin": True, "manager": True, "agent": True, "viewer": False}
ROLES_THAT_MANAGE = {"admin": True, "manager": True, "agent": False, "viewer": False}


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "viewer"])
def test_reading_and_counting_need_the_right_to_send_messages(users: dict, client_as: Any, vip_segment: Segment,
                                                              people: dict, role: str) -> None:
    client = client_as(users[role])
    expected = 200 if ROLES_THAT_VIEW[role] else 403
    assert client.get(f"{API}/segments").status_code == expected
    assert client.get(f"{API}/segments/{vip_segment.pk}").status_code == expected
    assert client.get(f"{API}/segments/{vip_segment.pk}/contacts").status_code == expected
    assert client.get(f"{API}/segments/fields").status_code == expected
    assert post(client, "/segments/count", {"rule": vip_segment.rule}).status_code == expected


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "viewer"])
def test_saving_changing_and_deleting_need_the_right_to_manage_marketing(users: dict, client_as: Any, vip_segment: Segment,
                                                                         role: str) -> None:
    client = client_as(users[role])
    before = AuditEntry.objects.count()
    created = post(client, "/segments", {"name": "Everyone", "rule": {"all": []}})
    changed = patch(client, f"/segments/{vip_segment.pk}", {"description": "Our best customers"})
    deleted = client.delete(f"{API}/segments/{vip_segment.pk}")
    if ROLES_THAT_MANAGE[role]:
        assert (created.status_code, changed.status_code, deleted.status_code) == (201, 200, 204)
        assert list(Segment.objects.values_list("name", flat=True)) == ["Everyone"]
        assert AuditEntry.objects.count() == before + 3
    else:
        assert (created.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
        assert list(Segment.objects.values_list("name", "description")) == [("VIPs", "")]
        assert AuditEntry.objects.count() == before


def test_a_saved_segment_reads_back_and_its_creation_is_audited(manager: Any, client_as: Any, people: dict) -> None:
    rule = {"any": [{"field": "tag", "op": "has", "value": people["vip"].pk}, {"field": "birthday", "op": "this_month"}]}
    answer = post(client_as(manager), "/segments", {"name": " VIPs and birthdays ", "description": "May", "rule": rule})
    assert answer.status_code == 201
    body = answer.json()
    assert (body["name"], body["description"], body["rule"], body["created_by_id"]) == ("VIPs and birthdays", "May", rule, manager.pk)
    entry = AuditEntry.objects.get(object_type="marketing.segment", action="create")
    assert entry.after["rule"] == rule and entry.actor == manager


def test_a_bad_rule_is_refused_with_the_path_of_the_node_and_nothing_is_saved(manager: Any, client_as: Any, db: Any) -> None:
    answer = post(client_as(manager), "/segments", {"name": "Broken", "rule": {"all": [
        {"field": "birthday", "op": "in_month", "value": 14}, {"field": "tag", "op": "has", "value": 123456}]}})
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"] == [
        {"field": "rule.all[0].value", "message": "Write a month from 1 to 12."},
        {"field": "rule.all[1].value", "message": "There is no tag with id 123456."},
    ]
    assert not Segment.objects.exists()
    assert not AuditEntry.objects.filter(object_type="marketing.segment").exists()


def test_names_are_unique_whatever_the_case(manager: Any, client_as: Any, vip_segment: Segment) -> None:
    answer = post(client_as(manager), "/segments", {"name": "vips", "rule": {"all": []}})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "name", "message": "There is already a segment called “vips”."}]


def test_an_unknown_key_in_a_patch_is_refused(manager: Any, client_as: Any, vip_segment: Segment) -> None:
    answer = patch(client_as(manager), f"/segments/{vip_segment.pk}", {"colour": "red"})
    assert answer.status_code == 422
    assert Segment.objects.get().name == "VIPs"


def test_changing_the_rule_audits_only_what_changed(manager: Any, client_as: Any, vip_segment: Segment) -> None:
    answer = patch(client_as(manager), f"/segments/{vip_segment.pk}", {"rule": {"all": []}})
    assert answer.status_code == 200
    entry = AuditEntry.objects.get(object_type="marketing.segment", action="update")
    assert entry.before == {"rule": vip_segment.rule} and entry.after == {"rule": {"all": []}}


def test_count_answers_the_number_and_a_preview_by_name(agent: Any, client_as: Any, people: dict) -> None:
    answer = post(client_as(agent), "/segments/count", {"rule": {"all": [{"field": "tag", "op": "has", "value": people["vip"].pk}]},
                                                        "preview": 1})
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2
    assert [c["name"] for c in body["contacts"]] == ["Ana Test"]


def test_count_refuses_a_bad_rule_naming_the_path(agent: Any, client_as: Any, db: Any) -> None:
    answer = post(client_as(agent), "/segments/count", {"rule": {"any": [{"all": [{"field": "nope", "op": "is"}]}]}})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "rule.any[0].all[0].field", "message": "There is no field “nope”."}]


def test_a_segments_contacts_are_paged_with_a_cursor(agent: Any, client_as: Any, vip_segment: Segment) -> None:
    client = client_as(agent)
    first = client.get(f"{API}/segments/{vip_segment.pk}/contacts?limit=1").json()
    assert [c["name"] for c in first["items"]] == ["Ana Test"]
    second = client.get(f"{API}/segments/{vip_segment.pk}/contacts?limit=1&cursor={first['next_cursor']}").json()
    assert [c["name"] for c in second["items"]] == ["Bruno Test"]
    assert second["next_cursor"] is None


def test_the_catalogue_lists_fields_operators_and_options(agent: Any, client_as: Any, people: dict) -> None:
    body = client_as(agent).get(f"{API}/segments/fields").json()
    by_key = {f["key"]: f for f in body["fields"]}
    assert {"first_name", "tag", "consent", "birthday", "purchased_category", "total_spend", "ticket"} <= set(by_key)
    assert [op["key"] for op in by_key["tag"]["ops"]] == ["has", "has_not"]
    bought = {op["key"]: op for op in by_key["purchased_category"]["ops"]}["bought_in_last_days"]
    assert bought == {"key": "bought_in_last_days", "label": "bought in the last … days", "value": "category", "days": True}
    assert body["options"]["tag"] == [{"id": people["vip"].pk, "label": "VIP"}]
    assert body["max_depth"] == 5


def test_an_unknown_segment_is_a_404_problem(agent: Any, client_as: Any, db: Any) -> None:
    answer = client_as(agent).get(f"{API}/segments/999999")
    assert answer.status_code == 404
    assert answer.json()["title"] == "There is no segment with id 999999."
