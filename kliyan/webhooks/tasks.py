"""Background work: send deliveries, and the periodic sweep that retries the ones due."""

from __future__ import annotations

from django_tasks import task

from kliyan.webhooks import sending

# Deliveries per queued task: a bulk import queues a few tasks, not one per record.
CHUNK = 50


@task()
def send_deliveries(delivery_ids: list[int]) -> int:
    """Send these deliveries if they are still due; return how many succeeded."""
    return sending.deliver(delivery_ids)


@task()
def retry_due_deliveries() -> int:
    """Queue every delivery whose next attempt has come, and forget old successes (run every minute)."""
    ids = sending.due_delivery_ids()
    enqueue_deliveries(ids)
    sending.prune_delivered()
    return len(ids)


def enqueue_deliveries(delivery_ids: list[int]) -> None:
    for start in range(0, len(delivery_ids), CHUNK):
        send_deliveries.enqueue(delivery_ids[start:start + CHUNK])
