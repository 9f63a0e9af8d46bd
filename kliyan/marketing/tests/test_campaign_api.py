"""API v1 for campaigns: who may do what, validation before anything is sent, schedule, cancel, results, report."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kliyan.core.models import AuditEntry
from kliyan.marketing.models import Campaign, MessageTemplate, Segment
from kliyan.marketing.tests.campaign_fixtures import email_template, everyone, make_campaign  # noqa: F401

API = "/api/v1"
ROLES_THAT_VIEW = {"admin": True, "manager": True, "agent": True, "viewer": False}
ROLES_THAT_MANAGE = {"admin": True, "manager": True, "agent": False, "viewer": False}


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(f"{API}{url}", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "viewer"])
def test_reading_campaigns_and_results_needs_the_right_to_send_messages(users: dict, client_as: Any,
                                                                        make_campaign: Callable, role: str) -> None:
    campaign = make_campaign()
    client = client_as(users[role])
    expected = 200 if ROLES_THAT_VIEW[role] else 403
    for url in ("/campaigns", f"/campaigns/{campaign.pk}", f"/campaigns/{campaign.pk}/results", "/campaigns/report"):
        assert client.get(f"{API}{url}").status_code == expected, url


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "viewer"])
def test_writing_scheduling_and_cancelling_need_the_right_to_manage_marketing(
    users: dict, client_as: Any, make_campaign: Callable, everyone: Segment, email_template: Callable, role: str,
) -> None:
    campaign = make_campaign()
    template = email_template("Other")
    client = client_as(users[role])
    before = AuditEntry.objects.count()
    created = post(client, "/campaigns", {"name": "May", "segment_id": everyone.pk, "channel": "email",
                                          "variants": [{"template_id": template.pk}]})
    scheduled = post(client, f"/campaigns/{campaign.pk}/schedule", {})
    cancelled = post(client, f"/campaigns/{campaign.pk}/cancel", {})
    if ROLES_THAT_MANAGE[role]:
        assert (created.status_code, scheduled.status_code, cancelled.status_code) == (201, 200, 200)
        assert created.json()["variants"][0]["share"] == 100
        assert Campaign.objects.get(pk=campaign.pk).status == "cancelled"
        assert AuditEntry.objects.count() == before + 3
    else:
        assert (created.status_code, scheduled.status_code, cancelled.status_code) == (403, 403, 403)
        assert list(Campaign.objects.values_list("status", flat=True)) == ["draft"]
        assert AuditEntry.objects.count() == before


def test_bad_input_names_each_field_and_writes_nothing(manager: Any, client_as: Any, everyone: Segment,
                                                       email_template: Callable) -> None:
    a, b = email_template("A"), email_template("B")
    answer = post(client_as(manager), "/campaigns", {
        "name": "", "segment_id": 999, "channel": "pigeon", "variants": [{"template_id": a.pk, "share": 60},
                                                                         {"template_id": b.pk, "share": 30}],
    })
    assert answer.status_code == 422
    fields = {error["field"] for error in answer.json()["errors"]}
    assert {"name", "segment_id", "channel", "variants"} <= fields
    assert not Campaign.objects.exists()


def test_a_campaign_whose_template_cannot_go_is_refused_when_scheduled(manager: Any, client_as: Any,
                                                                       make_campaign: Callable) -> None:
    campaign = make_campaign()
    MessageTemplate.objects.update(active=False)
    answer = post(client_as(manager), f"/campaigns/{campaign.pk}/schedule", {})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["variants[0].template_id"]
    assert Campaign.objects.get().status == "draft"


def test_a_sending_campaign_can_no_longer_be_changed(manager: Any, client_as: Any, make_campaign: Callable) -> None:
    campaign = make_campaign(schedule=True)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    answer = client_as(manager).patch(f"{API}/campaigns/{campaign.pk}", json.dumps({"name": "New"}),
                                      content_type="application/json")
    assert answer.status_code == 409
    assert Campaign.objects.get().name == "Spring sale"
