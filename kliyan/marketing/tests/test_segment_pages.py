"""Segment pages: the list, the rule builder, counting and deleting, by role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kliyan.contacts.models import Tag
from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry
from kliyan.marketing.models import Segment

LIST = "/marketing/segments/"
NEW = "/marketing/segments/new/"


@pytest.fixture
def vip(db: Any, agent: Any) -> Tag:
    tag = Tag.objects.create(name="VIP")
    contact_create(actor=agent, data={"first_name": "Ana", "tags": ["VIP"]})
    contact_create(actor=agent, data={"first_name": "Bruno"})
    return tag


@pytest.fixture
def segments(vip: Tag, manager: Any) -> list[Segment]:
    return [
        Segment.objects.create(name=f"Segment {n}", rule={"all": [{"field": "tag", "op": "has", "value": vip.pk}]},
                               created_by=manager)
        for n in range(3)
    ]


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("manager", 200), ("agent", 200), ("viewer", 403)])
def test_the_list_is_for_those_who_send_messages(users: dict, client_as: Any, segments: list, role: str, status: int) -> None:
    answer = client_as(users[role]).get(LIST)
    assert answer.status_code == status
    if status == 200:
        assert "Segment 2" in answer.content.decode()


def test_the_list_shows_new_only_to_managers(users: dict, client_as: Any, segments: list) -> None:
    assert NEW in client_as(users["manager"]).get(LIST).content.decode()
    assert NEW not in client_as(users["agent"]).get(LIST).content.decode()


def test_the_list_costs_the_same_few_queries_however_many_segments(agent: Any, client_as: Any, segments: list,
                                                                   django_assert_num_queries: Any) -> None:
    client = client_as(agent)
    client.get(LIST)
    with django_assert_num_queries(3):  # session, user, segments
        client.get(LIST)
    Segment.objects.create(name="One more", rule={"all": []})
    with django_assert_num_queries(3):
        client.get(LIST)


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("manager", 200), ("agent", 403), ("viewer", 403)])
def test_only_managers_open_the_builder_for_a_new_segment(users: dict, client_as: Any, db: Any, role: str, status: int) -> None:
    assert client_as(users[role]).get(NEW).status_code == status


def test_the_builder_embeds_the_catalogue_and_the_rule(manager: Any, client_as: Any, segments: list, vip: Tag,
                                                       django_assert_num_queries: Any) -> None:
    client = client_as(manager)
    url = f"{LIST}{segments[0].pk}/"
    client.get(url)
    with django_assert_num_queries(9):  # session, user, segment, custom fields, tags, interests, 2 category trees, users
        page = client.get(url).content.decode()
    assert 'id="segment-catalogue"' in page and 'id="segment-rule"' in page
    assert "marketing/segments.js" in page
    assert 'name="viewport"' in page


def test_saving_a_new_segment_validates_audits_and_redirects(manager: Any, client_as: Any, vip: Tag) -> None:
    rule = {"all": [{"field": "tag", "op": "has", "value": vip.pk}]}
    answer = client_as(manager).post(NEW, {"name": "VIPs", "description": "", "rule": json.dumps(rule)})
    segment = Segment.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"{LIST}{segment.pk}/"
    assert segment.rule == rule and segment.created_by == manager
    assert AuditEntry.objects.filter(object_type="marketing.segment", action="create").count() == 1


def test_a_bad_rule_is_shown_with_its_paths_and_nothing_is_saved(manager: Any, client_as: Any, db: Any) -> None:
    rule = {"all": [{"field": "birthday", "op": "in_month", "value": 13}]}
    answer = client_as(manager).post(NEW, {"name": "Broken", "rule": json.dumps(rule)})
    assert answer.status_code == 422
    page = answer.content.decode()
    assert "rule.all[0].value" in page and "Write a month from 1 to 12." in page
    assert not Segment.objects.exists()


def test_json_that_does_not_parse_is_refused_next_to_the_field(manager: Any, client_as: Any, db: Any) -> None:
    answer = client_as(manager).post(NEW, {"name": "Broken", "rule": "{all: ["})
    assert answer.status_code == 422
    assert "This is not valid JSON (line 1, column 2)." in answer.content.decode()
    assert not Segment.objects.exists()


def test_an_agent_may_look_at_a_segment_but_not_change_it(agent: Any, client_as: Any, segments: list) -> None:
    client = client_as(agent)
    url = f"{LIST}{segments[0].pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-readonly="true"' in page.content.decode()
    answer = client.post(url, {"name": "Taken over", "rule": '{"all": []}'})
    assert answer.status_code == 403
    assert Segment.objects.get(pk=segments[0].pk).name == "Segment 0"


def test_a_manager_changes_a_segment(manager: Any, client_as: Any, segments: list) -> None:
    url = f"{LIST}{segments[0].pk}/"
    answer = client_as(manager).post(url, {"name": "Everyone", "description": "All of them", "rule": '{"all": []}'})
    assert answer.status_code == 302
    segment = Segment.objects.get(pk=segments[0].pk)
    assert (segment.name, segment.description, segment.rule) == ("Everyone", "All of them", {"all": []})


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("manager", 200), ("agent", 200), ("viewer", 403)])
def test_counting_a_saved_segment(users: dict, client_as: Any, segments: list, role: str, status: int) -> None:
    answer = client_as(users[role]).get(f"{LIST}{segments[0].pk}/count/", HTTP_HX_REQUEST="true")
    assert answer.status_code == status
    if status == 200:
        assert "1 contact" in answer.content.decode()


@pytest.mark.parametrize(("role", "deleted"), [("admin", True), ("manager", True), ("agent", False), ("viewer", False)])
def test_deleting_is_for_managers(users: dict, client_as: Any, segments: list, role: str, deleted: bool) -> None:
    answer = client_as(users[role]).post(f"{LIST}{segments[0].pk}/delete/")
    assert answer.status_code == (302 if deleted else 403)
    assert Segment.objects.filter(pk=segments[0].pk).exists() is not deleted
    assert AuditEntry.objects.filter(object_type="marketing.segment", action="delete").exists() is deleted


def test_an_unknown_segment_is_a_404(agent: Any, client_as: Any, db: Any) -> None:
    assert client_as(agent).get(f"{LIST}999999/").status_code == 404
