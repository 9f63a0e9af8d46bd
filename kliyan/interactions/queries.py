"""Reads: task lists and the "My day" page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kliyan.contacts.models import Contact
from kliyan.contacts.queries import birthdays_on
from kliyan.interactions.choices import TaskStatus
from kliyan.interactions.models import Interaction, Task


def tasks(*, assignee_id: int | None = None, status: str = "open", contact_id: int | None = None,
          updated_since: dt.datetime | None = None, include_archived: bool = False) -> QuerySet[Task]:
    qs = Task.objects.select_related("contact", "company", "assignee")
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if status in TaskStatus.values:
        qs = qs.filter(status=status)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    return qs


def interactions(*, contact_id: int | None = None, channel: str = "", updated_since: dt.datetime | None = None,
                 include_archived: bool = False) -> QuerySet[Interaction]:
    qs = Interaction.objects.select_related("contact", "staff").prefetch_related("interests")
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    if channel:
        qs = qs.filter(channel=channel)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    return qs


@dataclass
class MyDay:
    today: dt.date
    overdue: list[Task]
    due_today: list[Task]
    birthdays: list[Contact]


def my_day(user: Any, today: dt.date | None = None) -> MyDay:
    """Return the user's overdue and today's open tasks, and today's birthdays."""
    today = today or timezone.localdate()
    open_tasks = tasks(assignee_id=user.pk, status=TaskStatus.OPEN).filter(due_date__lte=today).order_by("due_date", "id")
    overdue, due_today = [], []
    for task in open_tasks[:500]:
        (overdue if task.due_date < today else due_today).append(task)
    return MyDay(today=today, overdue=overdue, due_today=due_today, birthdays=list(birthdays_on(today)[:200]))
