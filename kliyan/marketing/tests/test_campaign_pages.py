"""Campaign pages: list, writing one, detail with progress and results, the report; by role, with pinned query counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kliyan.marketing import campaign_sending
from kliyan.marketing.models import Campaign, Segment
from kliyan.marketing.tests.campaign_fixtures import email_template, everyone, make_campaign  # noqa: F401
from kliyan.marketing.tests.outbox_fixtures import outbox_settings, person  # noqa: F401

LIST = "/marketing/campaigns/"
NEW = "/marketing/campaigns/new/"
REPORT = "/marketing/campaigns/report/"


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("manager", 200), ("agent", 200), ("viewer", 403)])
def test_list_detail_and_report_are_for_those_who_send_messages(users: dict, client_as: Any, make_campaign: Callable,
                                                                role: str, status: int) -> None:
    campaign = make_campaign()
    client = client_as(users[role])
    for url in (LIST, f"{LIST}{campaign.pk}/", REPORT):
        assert client.get(url).status_code == status, url


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("manager", 200), ("agent", 403), ("viewer", 403)])
def test_writing_a_campaign_is_for_managers(users: dict, client_as: Any, make_campaign: Callable, role: str,
                                            status: int) -> None:
    campaign = make_campaign()
    client = client_as(users[role])
    assert client.get(NEW).status_code == status
    assert client.get(f"{LIST}{campaign.pk}/edit/").status_code == status
    client.post(f"{LIST}{campaign.pk}/cancel/")
    assert Campaign.objects.get().status == ("cancelled" if status == 200 else "draft")


def test_a_manager_writes_an_ab_campaign_and_schedules_it(manager: Any, client_as: Any, everyone: Segment,
                                                          email_template: Callable) -> None:
    a, b = email_template("A"), email_template("B")
    client = client_as(manager)
    answer = client.post(NEW, {"name": "May", "segment_id": everyone.pk, "channel": "email", "attribution_days": 7,
                               "template_A": a.pk, "share_A": 40, "template_B": b.pk, "share_B": 60})
    campaign = Campaign.objects.get()
    assert answer.status_code == 302
    assert list(campaign.variants.values_list("label", "template_id", "share")) == [("A", a.pk, 40), ("B", b.pk, 60)]
    client.post(f"{LIST}{campaign.pk}/schedule/")
    assert Campaign.objects.get().status == "scheduled"


def test_shares_that_do_not_add_up_are_shown_next_to_the_variants(manager: Any, client_as: Any, everyone: Segment,
                                                                  email_template: Callable) -> None:
    a, b = email_template("A"), email_template("B")
    answer = client_as(manager).post(NEW, {"name": "May", "segment_id": everyone.pk, "channel": "email",
                                           "attribution_days": 7, "template_A": a.pk, "share_A": 40,
                                           "template_B": b.pk, "share_B": 40})
    assert answer.status_code == 422
    assert "must add up to 100" in answer.content.decode()
    assert not Campaign.objects.exists()


def test_the_list_costs_the_same_queries_however_many_campaigns(agent: Any, client_as: Any, make_campaign: Callable,
                                                                django_assert_num_queries: Any) -> None:
    make_campaign()
    client = client_as(agent)
    client.get(LIST)
    with django_assert_num_queries(3):  # session, user, campaigns with their segments
        client.get(LIST)
    make_campaign()
    with django_assert_num_queries(3):
        client.get(LIST)


@pytest.mark.usefixtures("outbox_settings")
def test_the_detail_shows_progress_and_results_in_fixed_queries(agent: Any, client_as: Any, make_campaign: Callable,
                                                                person: Callable, django_assert_num_queries: Any) -> None:
    person("Rose", consents={"email": "granted"}, language="en")
    campaign = make_campaign(schedule=True, shares=(50, 50))
    campaign_sending.run_campaigns()
    client = client_as(agent)
    client.get(f"{LIST}{campaign.pk}/")
    # session, user, campaign, variants with templates, messages, reasons, orders
    with django_assert_num_queries(7):
        page = client.get(f"{LIST}{campaign.pk}/")
    body = page.content.decode()
    assert "<progress" in body and 'value="100"' in body
    for n in range(3):
        person(f"P{n}", email_address=f"p{n}@example.ht", consents={"email": "granted"}, language="en")
    with django_assert_num_queries(7):
        client.get(f"{LIST}{campaign.pk}/")


def test_the_progress_part_refreshes_alone_while_sending(agent: Any, client_as: Any, make_campaign: Callable) -> None:
    campaign = make_campaign(schedule=True)
    answer = client_as(agent).get(f"{LIST}{campaign.pk}/?part=progress", HTTP_HX_REQUEST="true")
    body = answer.content.decode()
    assert 'hx-trigger="every 3s"' in body and "<html" not in body
