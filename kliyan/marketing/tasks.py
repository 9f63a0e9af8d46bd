"""Background work of the messaging outbox. Tasks take ids (or nothing) and may run twice."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_messages() -> int:
    """Send the messages that are due, every channel, a batch at a time (every minute, and right after storing)."""
    from kliyan.marketing.outbox import deliver_due

    return deliver_due()
