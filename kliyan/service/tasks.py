"""Background work of the service desk: e-mailing agents' replies and the sweep that retries them; SLA escalations."""

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


@task()
def escalate_slas() -> int:
    """Warn before and escalate after SLA breaches, once each (run every minute by the schedule)."""
    from kliyan.service.escalation import escalate_due

    return len(escalate_due())


@task()
def send_sla_notice(event_id: int) -> int:
    """E-mail one SLA warning or breach notice to the people it concerns (at most once)."""
    from kliyan.service.escalation import notify

    return notify(event_id)


@task()
def recompute_ticket_slas() -> int:
    """Give every unresolved ticket the due times of the current policies (queued after a policy changes)."""
    from kliyan.service.sla import recompute_open_tickets

    return recompute_open_tickets()


@task()
def close_resolved_tickets() -> int:
    """Close tickets resolved long enough ago (run hourly by the schedule)."""
    from kliyan.service.services import close_resolved_tickets as close

    return close()
