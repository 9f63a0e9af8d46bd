"""Contribute interactions, notes and tasks to the contact timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from kliyan.core.registry import TimelineEntry, register_timeline_source
from kliyan.interactions.models import Interaction, Note, Task


def interaction_entries(contact_id: int, limit: int, before: dt.datetime | None) -> Iterable[TimelineEntry]:
    qs = Interaction.objects.filter(contact_id=contact_id, archived_at__isnull=True).select_related("staff").prefetch_related("interests")
    if before is not None:
        qs = qs.filter(occurred_at__lt=before)
    for item in qs.order_by("-occurred_at", "-id")[:limit]:
        yield TimelineEntry(
            kind="interaction", id=item.pk, at=item.occurred_at,
            title=f"{item.get_channel_display()} · {item.get_direction_display()}",
            body=item.question, actor=str(item.staff) if item.staff else "", channel=item.channel, icon=item.channel,
            data={
                "question": item.question, "answer": item.answer, "outcome": item.outcome,
                "outcome_label": str(item.get_outcome_display()) if item.outcome else "", "direction": item.direction,
                "interests": sorted(interest.name for interest in item.interests.all()),
            },
        )


def note_entries(contact_id: int, limit: int, before: dt.datetime | None) -> Iterable[TimelineEntry]:
    qs = Note.objects.filter(contact_id=contact_id, archived_at__isnull=True).select_related("author")
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    for note in qs.order_by("-created_at", "-id")[:limit]:
        yield TimelineEntry(
            kind="note", id=note.pk, at=note.created_at, title=_("Note"), body=note.body,
            actor=str(note.author) if note.author else "", icon="note",
        )


def task_entries(contact_id: int, limit: int, before: dt.datetime | None) -> Iterable[TimelineEntry]:
    qs = Task.objects.filter(contact_id=contact_id, archived_at__isnull=True).select_related("assignee")
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    for task in qs.order_by("-created_at", "-id")[:limit]:
        yield TimelineEntry(
            kind="task", id=task.pk, at=task.created_at, title=_("Task: %(title)s") % {"title": task.title},
            body=task.description, actor=str(task.assignee) if task.assignee else "", icon="task",
            url=reverse("interactions:task_edit", args=[task.pk]),
            data={"status": task.status, "status_label": str(task.get_status_display()), "due_date": task.due_date.isoformat()},
        )


def register() -> None:
    register_timeline_source("interaction", interaction_entries)
    register_timeline_source("note", note_entries)
    register_timeline_source("task", task_entries)
