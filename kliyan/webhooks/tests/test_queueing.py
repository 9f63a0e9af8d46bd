"""The production queue: deliveries are queued as tasks after commit, and raced for by one sender only."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kliyan.core.events import emit_many
from kliyan.webhooks import sending, tasks
from kliyan.webhooks.models import WebhookDelivery
from kliyan.webhooks.services import endpoint_create


@pytest.mark.django_db
def test_with_the_database_queue_deliveries_are_queued_after_commit_in_chunks(admin, django_capture_on_commit_callbacks):
    endpoint_create(actor=admin, data={"url": "http://127.0.0.1:9/hook", "all_events": True})
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            emit_many("contact.created", [{"id": n} for n in range(tasks.CHUNK + 1)])
        assert not DBTaskResult.objects.exists()  # nothing leaves before the commit
        for callback in callbacks:
            callback()
    queued = list(DBTaskResult.objects.order_by("enqueued_at", "id"))
    assert [q.task_path for q in queued] == ["kliyan.webhooks.tasks.send_deliveries"] * 2
    ids = sorted(i for q in queued for i in q.args_kwargs["args"][0])
    assert ids == sorted(WebhookDelivery.objects.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_the_same_delivery_send_it_once(admin, receiver):
    if connection.vendor == "sqlite":
        # The in-memory test database's shared cache fails concurrent writers with "table is
        # locked" instead of queueing them (a real SQLite file queues them: one writer at a time).
        pytest.skip("concurrent writers need PostgreSQL or a file database")
    endpoint = endpoint_create(actor=admin, data={"url": receiver.url, "all_events": True})
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="contact.created", message_id="msg_race", payload={"type": "contact.created", "data": {"id": 1}},
        next_attempt_at=now,
    )
    start = threading.Barrier(4)
    results: list[object] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(sending.attempt(delivery.pk, now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert sum(result is not None for result in results) == 1
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
