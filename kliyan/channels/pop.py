"""The screen-pop sections about the timeline: the last conversations and the open tasks.

Both are read in one statement of two indexed queries (core.prepared.run_prepared_parts;
the pop sends it with the other apps' reads),
as plain values: a pop must answer in a few milliseconds while the phone rings, and
building model instances for a handful of rows costs more than the queries themselves.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kliyan.core.choices import Channel
from kliyan.core.links import id_url
from kliyan.core.prepared import PreparedRead, once_per
from kliyan.core.registry import PopSection, register_pop_read, register_pop_section
from kliyan.interactions import queries as interaction_queries
from kliyan.interactions.choices import Outcome, TaskStatus

READ = "channels_pop"
LAST_INTERACTIONS = 5
OPEN_TASKS = 10
STAFF_FIELDS = ("first_name", "last_name", "username")
CHANNEL_LABELS = dict(Channel.choices)
OUTCOME_LABELS = dict(Outcome.choices)


INTERACTION_COLUMNS = ("id", "occurred_at", "channel", "direction", "question", "answer", "outcome", *(f"staff__{n}" for n in STAFF_FIELDS))
TASK_COLUMNS = ("id", "title", "due_date", *(f"assignee__{n}" for n in STAFF_FIELDS))


def _staff_name(row: dict[str, Any], prefix: str) -> str:
    """Return what str(user) would: the full name, else the username ("" without a user)."""
    first, last, username = (row.pop(f"{prefix}__{name}") or "" for name in STAFF_FIELDS)
    return f"{first} {last}".strip() or username


def _interaction_rows(contact_id: int) -> QuerySet:
    return (
        interaction_queries.interactions(contact_id=contact_id)
        .order_by("-occurred_at", "-id").values_list(*INTERACTION_COLUMNS)[:LAST_INTERACTIONS]
    )


def _task_rows(contact_id: int) -> QuerySet:
    return (
        interaction_queries.tasks(contact_id=contact_id, status=TaskStatus.OPEN)
        .order_by("due_date", "id").values_list(*TASK_COLUMNS)[:OPEN_TASKS]
    )


def _timeline_read(contact: Any) -> PreparedRead:
    # Compiled once per connection (core.prepared): the ORM's work would cost more than the queries.
    return PreparedRead("pop.timeline", {"interactions": _interaction_rows, "tasks": _task_rows}, {"contact_id": contact.pk})


def _timeline_rows(contact: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Return {"interactions": rows, "tasks": rows}, read once per caller for both sections."""
    return once_per(contact, READ, lambda: _timeline_read(contact).run())


def last_interactions(contact: Any) -> list[dict[str, Any]]:
    """Return the contact's last five conversations: when, channel, what was asked and answered, by whom."""
    rows = [dict(zip(INTERACTION_COLUMNS, row)) for row in _timeline_rows(contact)["interactions"]]
    return [
        {
            "id": row["id"],
            "at": row["occurred_at"].isoformat(),
            "channel": row["channel"],
            "channel_label": str(CHANNEL_LABELS.get(row["channel"], row["channel"])),
            "direction": row["direction"],
            "question": row["question"],
            "answer": row["answer"],
            "outcome": row["outcome"],
            "outcome_label": str(OUTCOME_LABELS.get(row["outcome"], "")) if row["outcome"] else "",
            "staff": _staff_name(row, "staff"),
        }
        for row in rows
    ]


def open_tasks(contact: Any) -> list[dict[str, Any]]:
    """Return the contact's open follow-ups, soonest due first."""
    today = timezone.localdate()
    rows = [dict(zip(TASK_COLUMNS, row)) for row in _timeline_rows(contact)["tasks"]]
    return [
        {
            "id": row["id"],
            "title": row["title"],
            "due_date": row["due_date"].isoformat(),
            "overdue": row["due_date"] < today,
            "assignee": _staff_name(row, "assignee"),
            "url": id_url("interactions:task_edit", row["id"]),
        }
        for row in rows
    ]


def register() -> None:
    register_pop_read(READ, _timeline_read)
    register_pop_section(PopSection(
        name="interactions", build=last_interactions, template="channels/_pop_interactions.html", order=10, read=READ,
    ))
    register_pop_section(PopSection(name="tasks", build=open_tasks, template="channels/_pop_tasks.html", order=20, read=READ))
