"""The periodic schedule, declared in this one place, and the tick that enqueues due jobs.

`kliyan worker` calls `tick()` every few seconds. For each job it works out the latest
slot the cron expression has reached and tries to insert a ScheduledRun row for it; the
unique (job, slot) constraint lets exactly one insert win, and only the winner enqueues
the task. So several workers, or a worker that restarts, never enqueue a slot twice.
Slots missed while no worker ran are not replayed: the jobs are sweeps (such as "send
every reminder that is due"), and the next slot catches up.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass

from croniter import croniter
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from kliyan.core.models import ScheduledRun

logger = logging.getLogger(__name__)

# ScheduledRun rows older than this are only history; the lock needs the latest slot.
KEEP_RUNS_FOR = dt.timedelta(days=7)


@dataclass(frozen=True)
class Job:
    """A task (dotted path to a django-tasks task) run on a cron expression."""

    name: str
    cron: str
    task_path: str

    def slot_at(self, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
        """Return the latest time at or before `now` that the cron expression fires.

        The expression is read in the organisation's time zone ("0 8 * * *" is 8 in the
        morning where the shop is).
        """
        # croniter's get_prev is strict: start one second later so `now` itself counts.
        start = now.astimezone(tz).replace(microsecond=0) + dt.timedelta(seconds=1)
        return croniter(self.cron, start).get_prev(dt.datetime)


SCHEDULE: tuple[Job, ...] = (
    Job("queue_due_reminders", "* * * * *", "kliyan.interactions.tasks.queue_due_reminders"),
    Job("optimize_database", "30 3 * * *", "kliyan.core.tasks.optimize_database"),
    Job("refresh_recommendations", "*/5 * * * *", "kliyan.analytics.tasks.refresh_recommendations"),
    Job("rebuild_recommendations", "0 2 * * *", "kliyan.analytics.tasks.rebuild_recommendations"),
    Job("retry_due_webhooks", "* * * * *", "kliyan.webhooks.tasks.retry_due_deliveries"),
    Job("retry_ticket_replies", "* * * * *", "kliyan.service.tasks.retry_ticket_replies"),
    Job("send_survey_emails", "* * * * *", "kliyan.feedback.tasks.send_due_survey_emails"),
    Job("send_survey_texts", "* * * * *", "kliyan.feedback.tasks.send_due_survey_texts"),
    Job("expire_survey_invitations", "15 * * * *", "kliyan.feedback.tasks.expire_survey_invitations"),
    Job("escalate_slas", "* * * * *", "kliyan.service.tasks.escalate_slas"),
    Job("close_resolved_tickets", "40 * * * *", "kliyan.service.tasks.close_resolved_tickets"),
    Job("scan_duplicates", "30 1 * * *", "kliyan.dedupe.tasks.scheduled_duplicate_scan"),
    Job("purge_import_files", "50 2 * * *", "kliyan.imports.tasks.purge_import_files"),
    Job("deliver_messages", "* * * * *", "kliyan.marketing.tasks.deliver_messages"),
    Job("run_campaigns", "* * * * *", "kliyan.marketing.campaign_tasks.run_campaigns"),
    Job("run_automations", "*/15 * * * *", "kliyan.marketing.automation_tasks.run_automations"),
)


def _organisation_timezone() -> dt.tzinfo:
    from kliyan.core.organisation import get_organisation

    try:
        return zoneinfo.ZoneInfo(get_organisation().timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def claim_slot(job: Job, slot: dt.datetime) -> bool:
    """Enqueue `job` for `slot` unless someone already has; return whether this call did.

    The row and (with the database task backend) the queued task are written in one
    transaction, so a crash cannot leave a claimed slot without its task.
    """
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job=job.name, slot=slot)
            result = import_string(job.task_path).enqueue()
            run.task_id = str(getattr(result, "id", ""))[:64]
            run.save(update_fields=["task_id"])
    except IntegrityError:
        return False
    return True


def tick(now: dt.datetime | None = None, schedule: tuple[Job, ...] = SCHEDULE) -> list[str]:
    """Enqueue every job whose current slot nobody has enqueued yet; return their names."""
    now = now or timezone.now()
    tz = _organisation_timezone()
    enqueued = []
    for job in schedule:
        slot = job.slot_at(now, tz)
        if claim_slot(job, slot):
            logger.info("Enqueued %s for %s", job.name, slot.isoformat())
            enqueued.append(job.name)
            ScheduledRun.objects.filter(job=job.name, slot__lt=now - KEEP_RUNS_FOR).delete()
    return enqueued
