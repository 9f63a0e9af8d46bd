"""API v1 of customer feedback: results, campaigns and invitations, by role; bad input named; retries safe."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kliyan.accounts.services import token_create
from kliyan.feedback.models import NpsCampaign, SurveyInvitation
from kliyan.feedback.schemas import CampaignPage, InvitationList, ResultsOut

pytestmark = pytest.mark.django_db

JSON = "application/json"
RESULTS = "/api/v1/feedback/results"
CAMPAIGNS = "/api/v1/feedback/campaigns"


def errors_of(response) -> set[str]:
    assert response["Content-Type"] == "application/problem+json", response.content
    return {e["field"] for e in response.json()["errors"]}


def bearer(user, scope: str = "write") -> Client:
    _token, raw = token_create(actor=user, user=user, name="bi", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_results_need_feedback_view_and_agents_get_their_own(users, agent, manager, survey, client_as, client) -> None:
    survey("csat", 5, "mine", agent=agent)
    survey("csat", 1, "not mine", agent=manager)
    expected = {"admin": (200, "all", 2), "manager": (200, "all", 2), "agent": (200, "own", 1)}
    for role, user in users.items():
        response = client_as(user).get(RESULTS)
        if role == "viewer":
            assert response.status_code == 403
            continue
        body = response.json()
        assert (response.status_code, body["scope"], body["total"]["answered"]) == expected[role], role
    assert client.get(RESULTS).status_code == 401


def test_csat_results_grouped_by_category_match_the_documented_shape(manager, survey, client_as) -> None:
    from kliyan.service import categories

    delivery = categories.category_create(actor=manager, data={"name": "Delivery"})
    survey("csat", 5, "fast", category=delivery)
    survey("csat", 3, category=delivery)
    survey("csat")
    body = client_as(manager).get(RESULTS, {"kind": "csat", "group_by": "category"}).json()
    ResultsOut.model_validate(body)
    assert set(body) >= {"from", "to", "kind", "group_by", "total", "groups", "comments"}
    nps_only = {"nps": None, "promoters": None, "passives": None, "detractors": None}
    assert body["total"] == {"invited": 3, "answered": 2, "response_rate": 66.7, "average": 4.0, "satisfied": 1,
                             "satisfied_percent": 50.0, **nps_only}
    assert body["groups"][0] == {"key": delivery.pk, "label": "Delivery", "figures": {
        "invited": 2, "answered": 2, "response_rate": 100.0, "average": 4.0, "satisfied": 1, "satisfied_percent": 50.0,
        **nps_only}}
    assert [c["comment"] for c in body["comments"]] == ["fast"]


def test_nps_results_with_a_period(manager, survey, client_as) -> None:
    for score in (10, 9, 3):
        survey("nps", score)
    start, end = (timezone.localdate() - dt.timedelta(days=60)).isoformat(), (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    body = client_as(manager).get(RESULTS, {"kind": "nps", "from": start, "to": end}).json()
    assert body["from"] == start and body["to"] == end
    assert (body["total"]["nps"], body["total"]["promoters"], body["total"]["detractors"]) == (33, 2, 1)


def test_bad_result_parameters_are_named(manager, client_as) -> None:
    response = client_as(manager).get(RESULTS, {"kind": "ces", "group_by": "colour", "from": "x"})
    assert response.status_code == 422 and errors_of(response) == {"kind", "group_by", "from"}


def test_results_query_count_does_not_grow_with_surveys(manager, survey, client_as, django_assert_num_queries) -> None:
    for n in range(10):
        survey("csat", 1 + n % 5, f"c{n}")
    api = client_as(manager)
    api.get(RESULTS)
    with django_assert_num_queries(4):  # session, user, figures, comments
        assert api.get(RESULTS, {"group_by": "team"}).status_code == 200


def test_campaigns_need_feedback_manage_and_bad_input_writes_nothing(users, contact, client_as, client,
                                                                    django_capture_on_commit_callbacks) -> None:
    for role, user in users.items():
        api = client_as(user)
        with django_capture_on_commit_callbacks(execute=True):
            created = api.post(CAMPAIGNS, {"name": f"by {role}", "audience": "contacts", "contact_ids": [contact.pk]},
                               content_type=JSON)
        assert created.status_code == (201 if role in {"admin", "manager"} else 403), role
        assert api.get(CAMPAIGNS).status_code == (200 if role in {"admin", "manager"} else 403), role
    assert client.post(CAMPAIGNS, {"name": "x", "audience": "all_with_email"}, content_type=JSON).status_code == 401
    assert set(NpsCampaign.objects.values_list("name", flat=True)) == {"by admin", "by manager"}
    api = client_as(users["manager"])
    bad = api.post(CAMPAIGNS, {"name": "", "audience": "contacts", "contact_ids": [999999]}, content_type=JSON)
    assert bad.status_code == 422 and errors_of(bad) == {"name", "contact_ids"}
    unknown = api.post(CAMPAIGNS, {"name": "x", "audience": "all_with_email", "segment": 4}, content_type=JSON)
    assert unknown.status_code == 422 and errors_of(unknown) == {"segment"}
    assert NpsCampaign.objects.count() == 2


def test_a_campaign_for_listed_contacts_runs_and_reports_progress(manager, contact, client_as,
                                                                 django_capture_on_commit_callbacks) -> None:
    api = client_as(manager)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(CAMPAIGNS, {"name": "VIP", "audience": "contacts", "contact_ids": [contact.pk]}, content_type=JSON)
    assert created.status_code == 201 and created.json()["status"] == "queued"
    detail = api.get(f"{CAMPAIGNS}/{created.json()['id']}").json()
    assert (detail["status"], detail["total"], detail["invited"], detail["percent_done"]) == ("done", 1, 1, 100)
    assert sum(detail["invitations"].values()) == 1
    page = api.get(CAMPAIGNS).json()
    CampaignPage.model_validate(page)
    assert [c["name"] for c in page["items"]] == ["VIP"]
    assert api.get(f"{CAMPAIGNS}/999999").status_code == 404


def test_a_retried_campaign_post_with_the_same_key_makes_one_campaign(manager, contact, django_capture_on_commit_callbacks) -> None:
    api = bearer(manager)
    body = {"name": "Once", "audience": "contacts", "contact_ids": [contact.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(CAMPAIGNS, body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="nps-once-1")
        second = api.post(CAMPAIGNS, body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="nps-once-1")
    assert first.status_code == second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert NpsCampaign.objects.count() == 1 and SurveyInvitation.objects.count() == 1


def test_a_read_token_cannot_start_a_campaign(manager) -> None:
    response = bearer(manager, scope="read").post(CAMPAIGNS, {"name": "x", "audience": "all_with_email"}, content_type=JSON)
    assert response.status_code == 403 and not NpsCampaign.objects.exists()


def test_invitations_of_a_ticket_carry_the_link_for_agents_only(users, ticket, invitation, client_as) -> None:
    for role, user in users.items():
        body = client_as(user).get("/api/v1/feedback/invitations", {"ticket": ticket.pk}).json()
        InvitationList.model_validate(body)
        [item] = body["items"]
        assert (item["id"], item["status"], item["channel"]) == (invitation.pk, "queued", "email")
        if role == "viewer":
            assert item["url"] is None
        else:
            assert item["url"].startswith("https://crm.shop.example/s/")


def test_invitations_list_shows_the_answer_and_needs_a_contact_or_ticket(agent, contact, survey, client_as) -> None:
    survey("nps", 9, "Good prices")
    api = client_as(agent)
    [item] = api.get("/api/v1/feedback/invitations", {"contact": contact.pk}).json()["items"]
    assert item["answer"]["score"] == 9 and item["answer"]["comment"] == "Good prices" and item["url"] is None
    missing = api.get("/api/v1/feedback/invitations")
    assert missing.status_code == 422 and errors_of(missing) == {"contact"}
