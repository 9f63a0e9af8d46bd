"""API v1: interactions, notes and tasks. Endpoints parse, check the permission, call a service."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kliyan.accounts.access import Perm
from kliyan.contacts.api import LIMIT, UPDATED_SINCE
from kliyan.contacts.models import Contact
from kliyan.contacts.services import get_contact
from kliyan.core.api_auth import actor
from kliyan.core.api_types import ApiDateTime, ObjectId
from kliyan.core.errors import NotFound, ValidationFailed
from kliyan.core.pagination import keyset_page
from kliyan.interactions import queries, services
from kliyan.interactions.choices import TaskStatus
from kliyan.interactions.models import Interaction, Note, Task
from kliyan.interactions.schemas import (
    InteractionCreate,
    InteractionFields,
    InteractionOut,
    InteractionPage,
    NoteIn,
    NoteOut,
    TaskFields,
    TaskOut,
    TaskPage,
    interaction_out,
    note_out,
    task_out,
)

router = Router()


def _interaction(pk: int) -> Interaction:
    item = Interaction.objects.select_related("contact", "staff").prefetch_related("interests").filter(pk=pk).first()
    if item is None:
        raise NotFound(_("There is no interaction with id %(id)s.") % {"id": pk})
    return item


def _task(pk: int) -> Task:
    task = Task.objects.select_related("contact", "company", "assignee").filter(pk=pk).first()
    if task is None:
        raise NotFound(_("There is no task with id %(id)s.") % {"id": pk})
    return task


def _archived_too(status: str) -> bool:
    if status not in {"active", "all"}:
        raise ValidationFailed(field_errors={"status": [_("Choose active or all.")]})
    return status == "all"


# --- Interactions ---------------------------------------------------------------------

@router.get("/interactions", response=InteractionPage, tags=["interactions"], summary="List interactions, newest first")
def interaction_list(
    request: HttpRequest, contact: ObjectId | None = None, channel: str = "",
    status: str = Query("active", description="active, or all to include archived ones (for syncing)"),
    updated_since: ApiDateTime | None = UPDATED_SINCE, cursor: str | None = None, limit: int = LIMIT,
) -> dict[str, Any]:
    actor(request, Perm.VIEW_CUSTOMERS)
    qs = queries.interactions(contact_id=contact, channel=channel, updated_since=updated_since, include_archived=_archived_too(status))
    page = keyset_page(qs, ordering=["-occurred_at", "-id"], cursor=cursor, size=limit)
    return {"items": [interaction_out(i) for i in page.items], "next_cursor": page.next_cursor}


@router.post("/interactions", response={201: InteractionOut}, tags=["interactions"], summary="Log an interaction")
def interaction_create(request: HttpRequest, payload: InteractionCreate) -> Status[InteractionOut]:
    user = actor(request, Perm.LOG_INTERACTIONS)
    data = payload.model_dump(exclude_unset=True)
    contact = Contact.objects.filter(pk=data.pop("contact")).first()
    if contact is None:
        raise ValidationFailed(field_errors={"contact": [_("There is no contact with id %(id)s.") % {"id": payload.contact}]})
    if data.get("follow_up") is None:
        data.pop("follow_up", None)
    item = services.interaction_log(actor=user, contact=contact, data=data)
    return Status(201, interaction_out(_interaction(item.pk)))


@router.get("/interactions/{int:interaction_id}", response=InteractionOut, tags=["interactions"], summary="Read an interaction")
def interaction_detail(request: HttpRequest, interaction_id: int) -> InteractionOut:
    actor(request, Perm.VIEW_CUSTOMERS)
    return interaction_out(_interaction(interaction_id))


@router.patch("/interactions/{int:interaction_id}", response=InteractionOut, tags=["interactions"], summary="Change an interaction")
def interaction_update(request: HttpRequest, interaction_id: int, payload: InteractionFields) -> InteractionOut:
    user = actor(request, Perm.LOG_INTERACTIONS)
    services.interaction_update(actor=user, interaction=_interaction(interaction_id), data=payload.model_dump(exclude_unset=True))
    return interaction_out(_interaction(interaction_id))


@router.post("/interactions/{int:interaction_id}/archive", response=InteractionOut, tags=["interactions"], summary="Archive an interaction")
def interaction_archive(request: HttpRequest, interaction_id: int) -> InteractionOut:
    user = actor(request, Perm.ARCHIVE_CUSTOMERS)
    services.interaction_archive(actor=user, interaction=_interaction(interaction_id))
    return interaction_out(_interaction(interaction_id))


# --- Notes ----------------------------------------------------------------------------

@router.post("/contacts/{int:contact_id}/notes", response={201: NoteOut}, tags=["notes"], summary="Add a note to a contact")
def note_create(request: HttpRequest, contact_id: int, payload: NoteIn) -> Status[NoteOut]:
    user = actor(request, Perm.LOG_INTERACTIONS)
    note = services.note_add(actor=user, contact=get_contact(contact_id), body=payload.body)
    return Status(201, note_out(note))


@router.post("/notes/{int:note_id}/archive", response=NoteOut, tags=["notes"], summary="Archive a note")
def note_archive(request: HttpRequest, note_id: int) -> NoteOut:
    user = actor(request, Perm.ARCHIVE_CUSTOMERS)
    note = Note.objects.select_related("author").filter(pk=note_id).first()
    if note is None:
        raise NotFound(_("There is no note with id %(id)s.") % {"id": note_id})
    return note_out(services.note_archive(actor=user, note=note))


# --- Tasks ----------------------------------------------------------------------------

@router.get("/tasks", response=TaskPage, tags=["tasks"], summary="List tasks by due date")
def task_list(
    request: HttpRequest,
    status: str = Query("open", description="open, done, cancelled, or all"),
    assignee: ObjectId | None = None, contact: ObjectId | None = None,
    archived: bool = Query(False, description="Include archived tasks (for syncing)"),
    updated_since: ApiDateTime | None = UPDATED_SINCE, cursor: str | None = None, limit: int = LIMIT,
) -> dict[str, Any]:
    actor(request, Perm.VIEW_CUSTOMERS)
    if status != "all" and status not in TaskStatus.values:
        raise ValidationFailed(field_errors={"status": [_("“%(value)s” is not a valid choice.") % {"value": status}]})
    qs = queries.tasks(assignee_id=assignee, status=status, contact_id=contact, updated_since=updated_since, include_archived=archived)
    page = keyset_page(qs, ordering=["due_date", "id"], cursor=cursor, size=limit)
    return {"items": [task_out(t) for t in page.items], "next_cursor": page.next_cursor}


@router.post("/tasks", response={201: TaskOut}, tags=["tasks"], summary="Create a task")
def task_create(request: HttpRequest, payload: TaskFields) -> Status[TaskOut]:
    user = actor(request, Perm.LOG_INTERACTIONS)
    task = services.task_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, task_out(_task(task.pk)))


@router.get("/tasks/{int:task_id}", response=TaskOut, tags=["tasks"], summary="Read a task")
def task_detail(request: HttpRequest, task_id: int) -> TaskOut:
    actor(request, Perm.VIEW_CUSTOMERS)
    return task_out(_task(task_id))


@router.patch("/tasks/{int:task_id}", response=TaskOut, tags=["tasks"], summary="Change a task")
def task_update(request: HttpRequest, task_id: int, payload: TaskFields) -> TaskOut:
    user = actor(request, Perm.LOG_INTERACTIONS)
    services.task_update(actor=user, task=_task(task_id), data=payload.model_dump(exclude_unset=True))
    return task_out(_task(task_id))


@router.post("/tasks/{int:task_id}/complete", response=TaskOut, tags=["tasks"], summary="Mark a task done")
def task_complete(request: HttpRequest, task_id: int) -> TaskOut:
    user = actor(request, Perm.LOG_INTERACTIONS)
    services.task_complete(actor=user, task=_task(task_id))
    return task_out(_task(task_id))


@router.post("/tasks/{int:task_id}/reopen", response=TaskOut, tags=["tasks"], summary="Reopen a task")
def task_reopen(request: HttpRequest, task_id: int) -> TaskOut:
    user = actor(request, Perm.LOG_INTERACTIONS)
    services.task_reopen(actor=user, task=_task(task_id))
    return task_out(_task(task_id))


@router.post("/tasks/{int:task_id}/archive", response=TaskOut, tags=["tasks"], summary="Archive a task")
def task_archive(request: HttpRequest, task_id: int) -> TaskOut:
    user = actor(request, Perm.ARCHIVE_CUSTOMERS)
    services.task_archive(actor=user, task=_task(task_id))
    return task_out(_task(task_id))
