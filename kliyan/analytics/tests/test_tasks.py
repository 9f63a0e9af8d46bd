"""The tasks, run through the task backend of the test settings, and their place in the schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_tasks import TaskResultStatus

from kliyan.analytics.models import PendingCustomer, ProductPair, RecommendationRun, RunStatus
from kliyan.analytics.tasks import rebuild_recommendations, refresh_recommendations
from kliyan.analytics.tests.factories import START, make_contact, make_order, make_product
from kliyan.core.models import ScheduledRun
from kliyan.core.schedule import SCHEDULE, tick

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchases(db: Any) -> dict[str, Any]:
    bread, butter = make_product("bread"), make_product("butter")
    ann, bob = make_contact("ann"), make_contact("bob")
    make_order(ann, [bread, butter], at=START)
    return {"bread": bread, "butter": butter, "ann": ann, "bob": bob}


def test_rebuild_task_records_a_finished_run(purchases: dict[str, Any]) -> None:
    result = rebuild_recommendations.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    run = RecommendationRun.objects.get()
    assert result.return_value == {"run": run.pk, "customers": 1, "pairs": 1}
    assert run.status == RunStatus.DONE and run.started_at <= run.finished_at
    assert ProductPair.objects.count() == 2


def test_rebuild_task_for_an_already_finished_run_does_nothing_again(purchases: dict[str, Any]) -> None:
    done = RecommendationRun.objects.create(status=RunStatus.DONE, customers=7)

    rebuild_recommendations.enqueue(done.pk)

    assert list(RecommendationRun.objects.values_list("customers", flat=True)) == [7]
    assert not ProductPair.objects.exists()


def test_refresh_task_counts_the_pending_customers(purchases: dict[str, Any]) -> None:
    p = purchases
    rebuild_recommendations.enqueue()
    make_order(p["bob"], [p["bread"], p["butter"]], at=START + dt.timedelta(days=1))
    PendingCustomer.objects.create(contact_id=p["bob"].pk)

    result = refresh_recommendations.enqueue()

    assert (result.status, result.return_value) == (TaskResultStatus.SUCCESSFUL, 1)
    assert ProductPair.objects.get(product_a=p["bread"], product_b=p["butter"]).co_count == 2
    assert not PendingCustomer.objects.exists()


def test_schedule_refreshes_every_five_minutes_and_rebuilds_nightly(purchases: dict[str, Any]) -> None:
    jobs = {job.name: job for job in SCHEDULE}
    assert jobs["refresh_recommendations"].cron == "*/5 * * * *"
    assert jobs["rebuild_recommendations"].cron == "0 2 * * *"
    mine = tuple(jobs[name] for name in ("refresh_recommendations", "rebuild_recommendations"))

    now = dt.datetime(2026, 11, 29, 10, 7, tzinfo=dt.UTC)
    assert tick(now=now, schedule=mine) == ["refresh_recommendations", "rebuild_recommendations"]
    assert tick(now=now + dt.timedelta(minutes=1), schedule=mine) == []

    assert ScheduledRun.objects.filter(job="rebuild_recommendations").count() == 1
    assert RecommendationRun.objects.get().status == RunStatus.DONE
