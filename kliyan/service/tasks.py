"""Background work of the service desk: e-mailing agents' replies, and the sweep that retries them."""

from __future__ import annotations

from django_tasks import task

from kliyan.service import outbox


@task()
def send_ticket_reply(message_id: int) -> bool:
    """E-mail one stored reply if it is still due; return whether it left."""
    return outbox.attempt(message_id)


@task()
def retry_ticket_replies() -> int:
    """Queue every reply whose e-mail is due again (run every minute by the schedule)."""
    ids = outbox.due_reply_ids()
    for message_id in ids:
        send_ticket_reply.enqueue(message_id)
    return len(ids)
