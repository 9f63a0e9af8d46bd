"""Feedback pages: results and NPS campaigns, by role, with pinned query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kliyan.feedback.models import NpsCampaign, SurveyInvitation

pytestmark = pytest.mark.django_db

RESULTS = reverse("feedback:results")
CAMPAIGNS = reverse("feedback:campaign_list")


def test_results_need_feedback_view(users, client_as, client) -> None:
    expected = {"admin": 200, "manager": 200, "agent": 200, "viewer": 403}
    for role, user in users.items():
        assert client_as(user).get(RESULTS).status_code == expected[role], role
    response = client.get(RESULTS)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_results_page_shows_figures_groups_and_comments(manager, agent, survey, client_as) -> None:
    survey("csat", 5, "Très bien", agent=agent)
    survey("csat", 2, "Trop lent", agent=manager)
    page = client_as(manager).get(RESULTS, {"kind": "csat", "group_by": "agent"}).content.decode()
    assert "Très bien" in page and "Trop lent" in page
    assert "3,5" in page or "3.5" in page  # the average, in the page's number format
    assert ">agent<" in page and ">manager<" in page


def test_an_agent_sees_their_own_results_only(manager, agent, survey, client_as) -> None:
    survey("csat", 5, "Mine", agent=agent)
    survey("csat", 1, "Someone else's", agent=manager)
    page = client_as(agent).get(RESULTS).content.decode()
    assert "Mine" in page and "Someone else&#x27;s" not in page and "Someone else's" not in page


def test_bad_filters_are_shown_next_to_their_fields(manager, client_as) -> None:
    response = client_as(manager).get(RESULTS, {"from": "soon", "group_by": "colour"})
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count('class="field__error"') == 2 and 'value="soon"' in page


@pytest.mark.parametrize("count", [1, 15])
def test_the_results_page_costs_the_same_queries_however_many_surveys(count, manager, agent, survey, client_as,
                                                                      django_assert_num_queries) -> None:
    for n in range(count):
        survey("nps", n % 11, f"comment {n}", agent=agent)
    client = client_as(manager)
    client.get(RESULTS)
    # session, user, the grouped figures, the latest comments
    with django_assert_num_queries(4):
        assert client.get(RESULTS, {"kind": "nps", "group_by": "agent"}).status_code == 200


def test_campaign_pages_need_feedback_manage(users, client_as, client) -> None:
    campaign = NpsCampaign.objects.create(name="Spring", audience="all_with_email")
    pages = [CAMPAIGNS, reverse("feedback:campaign_detail", args=[campaign.pk]),
             reverse("feedback:campaign_progress", args=[campaign.pk])]
    expected = {"admin": 200, "manager": 200, "agent": 403, "viewer": 403}
    for role, user in users.items():
        for url in pages:
            assert client_as(user).get(url).status_code == expected[role], (role, url)
        denied = client_as(user).post(CAMPAIGNS, {"name": f"by {role}"})
        assert denied.status_code == (302 if expected[role] == 200 else 403), role
    assert client.get(CAMPAIGNS).status_code == 302
    assert client.post(CAMPAIGNS, {"name": "anon"}).status_code == 302
    assert set(NpsCampaign.objects.values_list("name", flat=True)) == {"Spring", "by admin", "by manager"}


def test_a_manager_starts_a_campaign_and_follows_its_progress(manager, agent, contact, client_as,
                                                               django_capture_on_commit_callbacks) -> None:
    client = client_as(manager)
    assert "Asks 1 contact" in client.get(CAMPAIGNS).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CAMPAIGNS, {"name": "NPS spring 2026"})
    campaign = NpsCampaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("feedback:campaign_detail", args=[campaign.pk])
    page = client.get(response["Location"]).content.decode()
    assert "NPS spring 2026" in page and 'value="100"' in page and 'hx-trigger="every 2s"' not in page
    assert SurveyInvitation.objects.filter(campaign=campaign, contact=contact).count() == 1


def test_a_manager_asks_a_saved_segment_from_the_page(manager, agent, client_as, django_capture_on_commit_callbacks) -> None:
    from kliyan.contacts.services import contact_create
    from kliyan.marketing.segment_services import segment_create

    ro = contact_create(actor=agent, data={"first_name": "Ioana", "language": "ro", "emails": [{"email": "ioana@example.ro"}]})
    contact_create(actor=agent, data={"first_name": "Jean", "language": "fr", "emails": [{"email": "jean@example.fr"}]})
    segment = segment_create(actor=manager, data={"name": "Romanian speakers", "rule": {"all": [
        {"field": "language", "op": "is", "value": "ro"}]}})
    client = client_as(manager)
    assert ">Romanian speakers</option>" in client.get(CAMPAIGNS).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CAMPAIGNS, {"name": "NPS RO", "segment": str(segment.pk)})
    campaign = NpsCampaign.objects.get()
    assert (campaign.audience, campaign.segment_id, campaign.total) == ("segment", segment.pk, 1)
    assert list(SurveyInvitation.objects.filter(campaign=campaign).values_list("contact_id", flat=True)) == [ro.pk]
    assert "Romanian speakers" in client.get(response["Location"]).content.decode()


def test_a_campaign_without_a_name_is_refused_by_name(manager, client_as) -> None:
    response = client_as(manager).post(CAMPAIGNS, {"name": "  "})
    assert response.status_code == 422 and 'id="id_name_error"' in response.content.decode()
    assert not NpsCampaign.objects.exists()


def test_a_running_campaign_page_polls_its_progress(manager, client_as) -> None:
    campaign = NpsCampaign.objects.create(name="Running", audience="all_with_email", status="running", total=10, processed=4)
    page = client_as(manager).get(reverse("feedback:campaign_detail", args=[campaign.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'value="40"' in page
    fragment = client_as(manager).get(reverse("feedback:campaign_progress", args=[campaign.pk])).content.decode()
    assert "<html" not in fragment and 'id="campaign-progress"' in fragment


@pytest.mark.parametrize("count", [1, 12])
def test_the_campaign_list_costs_the_same_queries_however_many_campaigns(count, manager, client_as, django_assert_num_queries) -> None:
    for n in range(count):
        NpsCampaign.objects.create(name=f"C{n}", audience="all_with_email", created_by=manager)
    client = client_as(manager)
    client.get(CAMPAIGNS)  # the organisation is cached from here
    # session, user, the campaigns with who made them, the audience's size, the segments offered
    with django_assert_num_queries(5):
        assert client.get(CAMPAIGNS).status_code == 200


def test_the_campaign_page_costs_a_fixed_number_of_queries(manager, client_as, django_assert_num_queries) -> None:
    campaign = NpsCampaign.objects.create(name="C", audience="all_with_email", status="done")
    client = client_as(manager)
    client.get(reverse("feedback:campaign_detail", args=[campaign.pk]))
    # session, user, the campaign, its counts by status, its figures
    with django_assert_num_queries(5):
        assert client.get(reverse("feedback:campaign_detail", args=[campaign.pk])).status_code == 200


def test_resume_is_for_managers_and_only_for_a_stopped_campaign(manager, agent, client_as) -> None:
    campaign = NpsCampaign.objects.create(name="C", audience="all_with_email", status="done")
    url = reverse("feedback:campaign_resume", args=[campaign.pk])
    assert client_as(agent).post(url).status_code == 403
    assert client_as(manager).post(url).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "done"
    assert client_as(manager).get(reverse("feedback:campaign_detail", args=[999999])).status_code == 404
