"""Results: CSAT average and % satisfied, NPS, response rate, by category/product/agent/team, in SQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kliyan.accounts.teams import team_create
from kliyan.commerce.models import Product
from kliyan.core.errors import ValidationFailed
from kliyan.feedback.filters import result_filters
from kliyan.feedback.queries import ResultFilters, results
from kliyan.service import categories

pytestmark = pytest.mark.django_db



def filters(kind: str = "csat", **extra) -> ResultFilters:
    today = timezone.localdate()
    return ResultFilters(kind=kind, date_from=today - dt.timedelta(days=29), date_to=today, **extra)


def test_csat_average_satisfied_share_and_response_rate(survey) -> None:
    for score in (5, 4, 4, 2):
        survey("csat", score)
    survey("csat")  # asked, not answered
    survey("nps", 10)  # another kind does not count
    total = results(filters("csat")).total
    assert (total.invited, total.answered, total.average, total.high, total.satisfied_percent, total.response_rate) == (
        5, 4, 3.75, 3, 75.0, 80.0,
    )


def test_nps_is_promoters_minus_detractors_with_counts(survey) -> None:
    for score in (10, 9, 9, 8, 7, 6, 0):
        survey("nps", score)
    total = results(filters("nps")).total
    assert (total.high, total.passives, total.low, total.nps) == (3, 2, 2, 14)  # 3/7 − 2/7 = 14.3 %
    assert total.as_dict()["promoters"] == 3 and "satisfied_percent" not in total.as_dict()


def test_no_answers_gives_empty_figures_not_errors(survey) -> None:
    survey("csat")
    total = results(filters("csat")).total
    assert (total.invited, total.answered, total.average, total.satisfied_percent, total.response_rate) == (1, 0, None, None, 0.0)
    assert results(filters("nps")).total.nps is None


def test_grouped_by_each_dimension_with_the_groups_summing_to_the_total(agent, manager, survey) -> None:
    delivery = categories.category_create(actor=manager, data={"name": "Delivery"})
    billing = categories.category_create(actor=manager, data={"name": "Billing"})
    team = team_create(actor=manager, data={"name": "Desk"})
    product = Product.objects.create(sku="RICE-5", name="Rice 5 kg")
    survey("csat", 5, category=delivery, agent=agent, team=team, product=product)
    survey("csat", 3, category=delivery, agent=agent, team=team)
    survey("csat", 1, category=billing, agent=manager)
    survey("csat")
    by_category = results(filters("csat", group_by="category"))
    rows = {g.label: (g.figures.invited, g.figures.answered, g.figures.average) for g in by_category.groups}
    assert rows == {"Delivery": (2, 2, 4.0), "Billing": (1, 1, 1.0), "": (1, 0, None)}
    assert [g.label for g in by_category.groups][-1] == "" and by_category.groups[-1].key is None
    assert by_category.total.invited == 4 and by_category.total.average == 3.0
    agents = {g.key: g.label for g in results(filters("csat", group_by="agent")).groups}
    assert agents[agent.pk] == "agent" and agents[manager.pk] == "manager"
    assert {g.label: g.figures.answered for g in results(filters("csat", group_by="team")).groups} == {"Desk": 2, "": 1}
    assert {g.label: g.figures.answered for g in results(filters("csat", group_by="product")).groups} == {"Rice 5 kg": 1, "": 2}


def test_the_period_counts_surveys_sent_in_it_in_the_organisations_days(survey) -> None:
    survey("csat", 5, at=timezone.now() - dt.timedelta(days=40))
    survey("csat", 1)
    assert results(filters("csat")).total.average == 1.0
    today = timezone.localdate()
    old = ResultFilters(kind="csat", date_from=today - dt.timedelta(days=45), date_to=today - dt.timedelta(days=35))
    assert results(old).total.average == 5.0


def test_an_agent_sees_only_the_surveys_of_their_tickets(agent, manager, survey) -> None:
    survey("csat", 5, "Great help", agent=agent)
    survey("csat", 1, "Rude", agent=manager)
    own = result_filters({}, user=agent)
    assert own.agent_id == agent.pk and result_filters({}, user=manager).agent_id is None
    mine = results(own)
    assert mine.total.answered == 1 and [c.comment for c in mine.comments] == ["Great help"]
    assert results(result_filters({}, user=manager)).total.answered == 2


def test_the_latest_comments_newest_first_without_empty_ones(survey, contact) -> None:
    survey("csat", 2, "Slow answer")
    survey("csat", 5, "")
    survey("csat", 4, "Fixed fast")
    comments = results(filters("csat")).comments
    assert [(c.comment, c.score, c.contact_name) for c in comments] == [("Fixed fast", 4, contact.display_name), ("Slow answer", 2, contact.display_name)]


def test_results_take_two_queries_whatever_the_number_of_surveys(survey, django_assert_num_queries) -> None:
    for n in range(12):
        survey("csat", 1 + n % 5, f"c{n}")
    results(filters("csat", group_by="category"))  # the organisation's time zone is cached from here
    with django_assert_num_queries(2):
        found = results(filters("csat", group_by="agent"))
    assert found.total.answered == 12 and len(found.comments) == 10


@pytest.mark.parametrize(("data", "fields"), [
    ({"kind": "ces"}, {"kind"}),
    ({"group_by": "colour"}, {"group_by"}),
    ({"from": "yesterday", "to": "2026-13-01"}, {"from", "to"}),
    ({"from": "2026-03-10", "to": "2026-03-01"}, {"from"}),
    ({"from": "2000-01-01", "to": "2026-01-01"}, {"from"}),
    ({"campaign": "x"}, {"campaign"}),
])
def test_bad_filters_are_named(manager, data, fields) -> None:
    with pytest.raises(ValidationFailed) as raised:
        result_filters(data, user=manager)
    assert set(raised.value.field_errors) == fields
