"""Automation pages and API: by role, checked before anything is saved, audited, with pinned query counts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from kliyan.core.models import AuditEntry
from kliyan.marketing.automation_running import run_automation
from kliyan.marketing.models import Automation, MessageTemplate, TemplateText
from kliyan.marketing.tests.automation_fixtures import NOW, make_automation  # noqa: F401
from kliyan.marketing.tests.campaign_fixtures import email_template  # noqa: F401
from kliyan.marketing.tests.outbox_fixtures import outbox_settings, person  # noqa: F401

pytestmark = pytest.mark.usefixtures("outbox_settings")
LIST, NEW, API = "/marketing/automations/", "/marketing/automations/new/", "/api/v1/automations"
VIEW = {"admin": 200, "manager": 200, "agent": 200, "viewer": 403}
MANAGE = {"admin": 200, "manager": 200, "agent": 403, "viewer": 403}


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "viewer"])
def test_list_detail_and_preview_are_for_those_who_send_messages(users: dict, client_as: Any, make_automation: Callable,
                                                                 role: str) -> None:
    automation = make_automation("birthday")
    client = client_as(users[role])
    for url in (LIST, f"{LIST}{automation.pk}/", API, f"{API}/{automation.pk}", f"{API}/{automation.pk}/preview"):
        assert client.get(url).status_code == VIEW[role], url


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "viewer"])
def test_writing_pausing_and_deleting_are_for_managers(users: dict, client_as: Any, make_automation: Callable,
                                                       role: str) -> None:
    automation = make_automation("birthday")
    client = client_as(users[role])
    assert client.get(NEW).status_code == MANAGE[role]
    assert client.get(f"{LIST}{automation.pk}/edit/").status_code == MANAGE[role]
    client.post(f"{LIST}{automation.pk}/pause/")
    assert Automation.objects.get().active is (MANAGE[role] != 200)
    answer = client.delete(f"{API}/{automation.pk}")
    assert answer.status_code == (204 if MANAGE[role] == 200 else 403)
    assert Automation.objects.exists() is (MANAGE[role] != 200)


def test_a_manager_writes_a_win_back_on_the_page(manager: Any, client_as: Any, email_template: Callable) -> None:
    template = email_template("We miss you")
    answer = client_as(manager).post(NEW, {"name": "Win back", "trigger": "win_back", "days": 60, "local_hour": 9,
                                           "channel": "email", "template_id": template.pk, "active": "on"})
    automation = Automation.objects.get()
    assert answer.status_code == 302
    assert (automation.trigger, automation.days, automation.active) == ("win_back", 60, True)
    assert AuditEntry.objects.filter(object_id=str(automation.pk), action="create").count() == 1


def test_bad_input_names_each_field_and_writes_nothing(manager: Any, client_as: Any, email_template: Callable) -> None:
    sms = MessageTemplate.objects.create(name="Short", channel="sms")
    TemplateText.objects.create(template=sms, language="en", body="Hi {{ first_name }}")
    answer = client_as(manager).post(API, json.dumps({
        "name": "Bad", "trigger": "win_back", "days": 0, "local_hour": 24, "channel": "email", "template_id": sms.pk,
    }), content_type="application/json")
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"local_hour"}
    assert not Automation.objects.exists()
    answer = client_as(manager).post(API, json.dumps({
        "name": "Bad", "trigger": "win_back", "days": 0, "local_hour": 9, "channel": "email", "template_id": sms.pk,
    }), content_type="application/json")
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"days", "template_id"}
    assert not Automation.objects.exists()
    assert not AuditEntry.objects.filter(object_type__contains="automation").exists()


def test_the_api_writes_changes_and_previews(manager: Any, client_as: Any, email_template: Callable, person: Callable) -> None:
    template = email_template("Birthday")
    client = client_as(manager)
    created = client.post(API, json.dumps({"name": "Cards", "trigger": "birthday", "local_hour": 8, "channel": "email",
                                           "template_id": template.pk}), content_type="application/json")
    assert created.status_code == 201
    pk = created.json()["id"]
    changed = client.patch(f"{API}/{pk}", json.dumps({"active": False}), content_type="application/json")
    assert changed.json()["active"] is False
    assert client.get(f"{API}/{pk}/preview").json() == {"count": 0, "contacts": []}


def test_list_and_detail_pages_cost_a_fixed_number_of_queries(manager: Any, client_as: Any, make_automation: Callable,
                                                              person: Callable, django_assert_num_queries: Any) -> None:
    client = client_as(manager)
    automation = make_automation("birthday")
    for n in range(3):
        person(f"P{n}", email_address=f"p{n}@example.ht", consents={"email": "granted"}, birthday="1990-05-10")
    run_automation(automation, now=NOW)
    client.get(LIST), client.get(f"{LIST}{automation.pk}/")  # warm the session and organisation caches
    with django_assert_num_queries(3):
        assert client.get(LIST).status_code == 200
    with django_assert_num_queries(4):
        detail = client.get(f"{LIST}{automation.pk}/")
    assert len(re.findall(r'href="/marketing/messages/\d+/"', detail.content.decode())) == 3  # the messages it stored
    for n in range(3):
        make_automation("birthday")
    with django_assert_num_queries(3):
        client.get(LIST)
