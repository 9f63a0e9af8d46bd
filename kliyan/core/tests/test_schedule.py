"""The periodic schedule: each slot of each job is enqueued exactly once."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import connection
from django.test import override_settings
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from kliyan.core.models import ScheduledRun
from kliyan.core.organisation import get_organisation
from kliyan.core.schedule import SCHEDULE, Job, claim_slot, tick

UTC = dt.UTC
RUNS: list[str] = []


@task()
def count_run() -> None:
    RUNS.append("ran")


EVERY_MINUTE = Job("count_run", "* * * * *", "kliyan.core.tests.test_schedule.count_run")
AT_EIGHT = Job("count_run_daily", "0 8 * * *", "kliyan.core.tests.test_schedule.count_run")


@pytest.fixture(autouse=True)
def _reset_runs() -> None:
    RUNS.clear()


def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 14, hour, minute, second, tzinfo=UTC)


def test_slot_is_the_latest_time_the_expression_fired() -> None:
    assert EVERY_MINUTE.slot_at(at(10, 5, 42), UTC) == at(10, 5)
    assert EVERY_MINUTE.slot_at(at(10, 5, 0), UTC) == at(10, 5)


def test_slot_is_read_in_the_organisation_time_zone() -> None:
    haiti = zoneinfo.ZoneInfo("America/Port-au-Prince")
    # 12:30 UTC is 08:30 in Port-au-Prince in March (UTC-4): today's 8 o'clock slot.
    assert AT_EIGHT.slot_at(at(12, 30), haiti) == dt.datetime(2026, 3, 14, 8, 0, tzinfo=haiti)


def test_the_reminder_sweep_is_scheduled_every_minute() -> None:
    job = next(j for j in SCHEDULE if j.name == "queue_due_reminders")
    assert job.cron == "* * * * *"
    assert job.task_path == "kliyan.interactions.tasks.queue_due_reminders"


@pytest.mark.django_db
def test_two_workers_ticking_the_same_slot_enqueue_once() -> None:
    first = tick(now=at(10, 5, 1), schedule=(EVERY_MINUTE,))
    second = tick(now=at(10, 5, 9), schedule=(EVERY_MINUTE,))

    assert first == ["count_run"]
    assert second == []
    assert RUNS == ["ran"]
    assert list(ScheduledRun.objects.values_list("job", "slot")) == [("count_run", at(10, 5))]


@pytest.mark.django_db
def test_a_restarted_worker_does_not_enqueue_a_slot_again() -> None:
    ScheduledRun.objects.create(job="count_run", slot=at(10, 5))  # written before the restart

    assert tick(now=at(10, 5, 30), schedule=(EVERY_MINUTE,)) == []
    assert RUNS == []


@pytest.mark.django_db
def test_each_new_slot_is_enqueued() -> None:
    tick(now=at(10, 5, 1), schedule=(EVERY_MINUTE,))
    tick(now=at(10, 6, 1), schedule=(EVERY_MINUTE,))

    assert RUNS == ["ran", "ran"]
    assert ScheduledRun.objects.count() == 2


@pytest.mark.django_db
def test_runs_older_than_a_week_are_pruned() -> None:
    old = ScheduledRun.objects.create(job="count_run", slot=at(10, 5) - dt.timedelta(days=8))
    recent = ScheduledRun.objects.create(job="count_run", slot=at(10, 5) - dt.timedelta(days=1))

    tick(now=at(10, 5, 1), schedule=(EVERY_MINUTE,))

    assert not ScheduledRun.objects.filter(pk=old.pk).exists()
    assert ScheduledRun.objects.filter(pk=recent.pk).exists()


@pytest.mark.django_db
def test_with_the_database_queue_the_task_is_stored_with_the_claim() -> None:
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        assert tick(now=at(10, 5, 1), schedule=SCHEDULE[:1]) == ["queue_due_reminders"]

    run = ScheduledRun.objects.get()
    queued = DBTaskResult.objects.get()
    assert run.task_id == str(queued.id)
    assert queued.task_path == "kliyan.interactions.tasks.queue_due_reminders"


def test_the_database_is_optimised_every_night() -> None:
    job = next(j for j in SCHEDULE if j.name == "optimize_database")
    assert job.slot_at(at(10, 5), dt.UTC) == at(3, 30)


@pytest.mark.django_db
def test_the_nightly_optimisation_runs_on_sqlite_and_leaves_postgresql_to_autovacuum() -> None:
    from kliyan.core.tasks import optimize_database

    assert optimize_database.call() is (connection.vendor == "sqlite")


@pytest.mark.django_db
def test_a_slot_whose_task_cannot_be_enqueued_stays_unclaimed() -> None:
    missing = Job("missing", "* * * * *", "kliyan.core.tests.test_schedule.no_such_task")

    with pytest.raises(ImportError):
        claim_slot(missing, at(10, 5))

    assert not ScheduledRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_enqueue_a_slot_once() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database is not shared between threads")
    get_organisation()
    results: list[list[str]] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(tick(now=at(10, 5, 1), schedule=(EVERY_MINUTE,)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [[], [], [], ["count_run"]]
    assert RUNS == ["ran"]
    assert ScheduledRun.objects.count() == 1
