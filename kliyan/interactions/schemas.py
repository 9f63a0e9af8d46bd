"""API shapes for interactions, notes and tasks (unknown input fields are refused by name)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input, PageOut, Ref, UserRef, user_ref

DATETIME_HELP = "ISO 8601 date-time, e.g. 2026-03-14T09:30:00-05:00 (the organisation's time zone if no offset)"
DATE_HELP = "YYYY-MM-DD"


class FollowUpIn(Input):
    title: str
    description: str = ""
    due_date: str = Field(..., description=DATE_HELP)
    remind_at: str | None = Field(None, description=DATETIME_HELP)
    assignee: int | None = Field(None, description="Staff user id; the caller if left out")


class InteractionFields(Input):
    channel: str | None = Field(
        None, description="instagram, whatsapp, facebook, sms, email, phone, fax, store, website, letter, chat, meeting or other",
    )
    direction: str | None = Field(None, description="inbound or outbound")
    occurred_at: str | None = Field(None, description=DATETIME_HELP + "; now if left out")
    staff: int | None = Field(None, description="Staff user id; the caller if left out")
    question: str | None = Field(None, description="What the customer asked")
    answer: str | None = Field(None, description="The answer they were given")
    outcome: str | None = None
    external_id: str | None = Field(None, description="The message id on the channel; sending it twice logs once")
    interests: list[str] | None = Field(
        None, description="Interest names the customer showed (new names are created); the contact gains them too",
    )


class InteractionCreate(InteractionFields):
    contact: int = Field(..., description="Contact id")
    follow_up: FollowUpIn | None = Field(None, description="A follow-up task to create with it")


class InteractionOut(Schema):
    id: int
    contact: Ref
    company_id: int | None
    channel: str
    direction: str
    occurred_at: dt.datetime
    staff: UserRef | None
    question: str
    answer: str
    outcome: str
    external_id: str
    interests: list[str]
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


def interaction_out(item: Any) -> InteractionOut:
    return InteractionOut(
        id=item.pk, contact=Ref(id=item.contact_id, name=item.contact.display_name), company_id=item.company_id,
        channel=item.channel, direction=item.direction, occurred_at=item.occurred_at,
        staff=user_ref(item.staff if item.staff_id else None), question=item.question, answer=item.answer,
        outcome=item.outcome, external_id=item.external_id,
        interests=sorted(interest.name for interest in item.interests.all()), archived_at=item.archived_at,
        created_at=item.created_at, updated_at=item.updated_at,
    )


class InteractionPage(PageOut):
    items: list[InteractionOut]


class NoteIn(Input):
    body: str


class NoteOut(Schema):
    id: int
    contact_id: int
    body: str
    author: UserRef | None
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


def note_out(note: Any) -> NoteOut:
    return NoteOut(
        id=note.pk, contact_id=note.contact_id, body=note.body, author=user_ref(note.author if note.author_id else None),
        archived_at=note.archived_at, created_at=note.created_at, updated_at=note.updated_at,
    )


class TaskFields(Input):
    title: str | None = None
    description: str | None = None
    contact: int | None = Field(None, description="Contact id")
    company: int | None = Field(None, description="Company id")
    interaction: int | None = Field(None, description="The interaction it follows up")
    assignee: int | None = Field(None, description="Staff user id; the caller if left out on create")
    due_date: str | None = Field(None, description=DATE_HELP)
    remind_at: str | None = Field(None, description=DATETIME_HELP)
    status: str | None = Field(None, description="open, done or cancelled")


class TaskOut(Schema):
    id: int
    title: str
    description: str
    contact: Ref | None
    company: Ref | None
    interaction_id: int | None
    assignee: UserRef | None
    due_date: dt.date
    remind_at: dt.datetime | None
    reminded_at: dt.datetime | None
    status: str
    completed_at: dt.datetime | None
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


def task_out(task: Any) -> TaskOut:
    contact = task.contact if task.contact_id else None
    company = task.company if task.company_id else None
    return TaskOut(
        id=task.pk, title=task.title, description=task.description,
        contact=Ref(id=contact.pk, name=contact.display_name) if contact else None,
        company=Ref(id=company.pk, name=company.name) if company else None,
        interaction_id=task.interaction_id, assignee=user_ref(task.assignee if task.assignee_id else None),
        due_date=task.due_date, remind_at=task.remind_at, reminded_at=task.reminded_at, status=task.status,
        completed_at=task.completed_at, archived_at=task.archived_at, created_at=task.created_at, updated_at=task.updated_at,
    )


class TaskPage(PageOut):
    items: list[TaskOut]
