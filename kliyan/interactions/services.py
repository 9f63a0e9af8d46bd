"""Writes for interactions, notes and tasks. Each one audits itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kliyan.contacts import validation as v
from kliyan.contacts.models import Contact, Interest
from kliyan.contacts.services import names_to_objects
from kliyan.core.audit import record, snapshot
from kliyan.core.choices import Channel
from kliyan.core.errors import Conflict, FieldErrors
from kliyan.core.events import emit
from kliyan.core.models import AuditAction
from kliyan.interactions.choices import Direction, Outcome, TaskStatus
from kliyan.interactions.models import Interaction, Note, Task

INTERACTION_FIELDS = ("channel", "direction", "occurred_at", "staff_id", "question", "answer", "outcome", "external_id")
TASK_FIELDS = ("title", "description", "contact_id", "company_id", "interaction_id", "assignee_id", "due_date", "remind_at", "status")
# What an "interaction.*" / "task.*" event carries (kliyan.core.events).
INTERACTION_EVENT_FIELDS = ["id", "contact_id", "company_id", *INTERACTION_FIELDS, "archived_at", "created_at", "updated_at"]
TASK_EVENT_FIELDS = ["id", *TASK_FIELDS, "completed_at", "archived_at", "created_at", "updated_at"]


def _clean_datetime(value: Any, errors: FieldErrors, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:
            parsed = None
        if parsed is None:
            errors.add(field, _("“%(value)s” is not a date and time (use YYYY-MM-DDTHH:MM).") % {"value": value})
            return None
    try:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        # The database stores UTC: the first and last hours of the calendar do not fit.
        parsed.astimezone(dt.timezone.utc)
    except OverflowError:
        errors.add(field, _("Use a date between the years 1 and 9999."))
        return None
    return parsed


def _user_id(value: Any, errors: FieldErrors, field: str) -> int | None:
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        errors.add(field, _("“%(value)s” is not a valid id.") % {"value": value})
        return None
    if not get_user_model().objects.filter(pk=pk, is_active=True).exists():
        errors.add(field, _("There is no active user with id %(id)s.") % {"id": pk})
        return None
    return pk


def _reject_unknown(data: Mapping[str, Any], known: set[str], errors: FieldErrors) -> None:
    for key in data:
        if key not in known:
            errors.add(key, _("Unknown field."))


def _clean_interaction(data: Mapping[str, Any], *, interaction: Interaction | None, actor: Any) -> dict[str, Any]:
    errors = FieldErrors()
    _reject_unknown(data, {"channel", "direction", "occurred_at", "staff", "staff_id", "question", "answer", "outcome", "external_id",
                           "interests", "follow_up"}, errors)
    partial = interaction is not None
    out: dict[str, Any] = {}
    if "channel" in data or not partial:
        out["channel"] = v.check_choice(data.get("channel"), Channel.values, errors, "channel")
        if not out["channel"] and "channel" not in errors.errors:
            errors.add("channel", _("This field is required."))
    if "direction" in data or not partial:
        out["direction"] = v.check_choice(data.get("direction") or Direction.INBOUND, Direction.values, errors, "direction")
    if "occurred_at" in data or not partial:
        out["occurred_at"] = _clean_datetime(data.get("occurred_at"), errors, "occurred_at") or timezone.now()
        if out["occurred_at"] > timezone.now() + dt.timedelta(minutes=5):
            errors.add("occurred_at", _("An interaction cannot be in the future."))
    if "staff" in data or "staff_id" in data:
        out["staff_id"] = _user_id(data.get("staff_id", data.get("staff")), errors, "staff")
    elif not partial:
        out["staff_id"] = actor.pk if getattr(actor, "is_authenticated", False) else None
    for name, limit in (("question", 20000), ("answer", 20000), ("external_id", 200)):
        if name in data or not partial:
            out[name] = v.check_length(data.get(name), limit, errors, name)
    if "outcome" in data or not partial:
        out["outcome"] = v.check_choice(data.get("outcome"), Outcome.values, errors, "outcome")
    if "interests" in data:
        if isinstance(data["interests"], str) or not isinstance(data["interests"], (list, tuple)):
            errors.add("interests", _("Give a list of interest names."))
        else:
            out["interests"] = v.clean_names(data["interests"], errors, "interests", 80)
    if not partial and not (out.get("question") or out.get("answer")):
        errors.add("question", _("Write what the customer asked or what they were told."))
    follow_up = data.get("follow_up")
    if follow_up:
        out["follow_up"] = _clean_task(dict(follow_up), task=None, errors=errors, prefix="follow_up.", actor=actor)
    errors.raise_if_any()
    return out


@transaction.atomic
def interaction_log(*, actor: Any, contact: Contact, data: Mapping[str, Any]) -> Interaction:
    """Record an interaction on the contact's timeline, with an optional follow-up task.

    Sending the same `external_id` twice on a channel returns the first interaction.
    """
    cleaned = _clean_interaction(data, interaction=None, actor=actor)
    follow_up = cleaned.pop("follow_up", None)
    interests = cleaned.pop("interests", [])
    if cleaned.get("external_id"):
        existing = Interaction.objects.filter(channel=cleaned["channel"], external_id=cleaned["external_id"]).first()
        if existing:
            if existing.contact_id != contact.pk:
                raise Conflict(field_errors={"external_id": [_("This external id is already used for another contact.")]})
            return existing
    try:
        with transaction.atomic():
            interaction = Interaction.objects.create(contact=contact, company_id=contact.company_id, **cleaned)
    except IntegrityError:
        existing = Interaction.objects.get(channel=cleaned["channel"], external_id=cleaned["external_id"])
        return existing
    shown = _show_interests(actor, interaction, contact, interests) if interests else []
    record(actor=actor, action=AuditAction.CREATE, instance=interaction, contact_id=contact.pk, label=str(contact),
           after={**snapshot(interaction), "interests": shown})
    emit("interaction.created", {**snapshot(interaction, INTERACTION_EVENT_FIELDS), "interests": shown})
    if follow_up:
        follow_up.update(contact_id=contact.pk, interaction_id=interaction.pk)
        _task_save(actor=actor, task=None, cleaned=follow_up)
    Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now())
    return interaction


@transaction.atomic
def interaction_update(*, actor: Any, interaction: Interaction, data: Mapping[str, Any]) -> Interaction:
    if "follow_up" in data:
        errors = FieldErrors()
        errors.add("follow_up", _("Add a follow-up as a task."))
        errors.raise_if_any()
    cleaned = _clean_interaction(data, interaction=interaction, actor=actor)
    interests = cleaned.pop("interests", None)
    shown = interest_names(interaction)
    before = {**snapshot(interaction), "interests": shown}
    for key, value in cleaned.items():
        setattr(interaction, key, value)
    interaction.save()
    if interests is not None:
        shown = _show_interests(actor, interaction, interaction.contact, interests)
    record(actor=actor, action=AuditAction.UPDATE, instance=interaction, contact_id=interaction.contact_id, before=before,
           after={**snapshot(interaction), "interests": shown})
    emit("interaction.updated", {**snapshot(interaction, INTERACTION_EVENT_FIELDS), "interests": shown})
    return interaction


def interest_names(interaction: Interaction) -> list[str]:
    return sorted(interest.name for interest in interaction.interests.all())


def _show_interests(actor: Any, interaction: Interaction, contact: Contact, names: list[str]) -> list[str]:
    """Set the interests shown in the interaction and return their names; the contact gains those it lacked (audited)."""
    interests = names_to_objects(Interest, names)
    interaction.interests.set(interests)
    had = dict(contact.interests.values_list("pk", "name"))
    new = [interest for interest in interests if interest.pk not in had]
    if new:
        before = sorted(had.values())
        contact.interests.add(*new)
        record(actor=actor, action=AuditAction.UPDATE, instance=contact, contact_id=contact.pk,
               before={"interests": before}, after={"interests": sorted([*before, *(i.name for i in new)])})
    return sorted(interest.name for interest in interests)


@transaction.atomic
def interaction_archive(*, actor: Any, interaction: Interaction) -> Interaction:
    if interaction.archived_at is None:
        interaction.archived_at = timezone.now()
        interaction.save(update_fields=["archived_at", "updated_at"])
        record(actor=actor, action=AuditAction.ARCHIVE, instance=interaction, contact_id=interaction.contact_id)
    return interaction


@transaction.atomic
def note_add(*, actor: Any, contact: Contact, body: str) -> Note:
    errors = FieldErrors()
    text = v.check_length(body, 20000, errors, "body")
    if not text:
        errors.add("body", _("This field is required."))
    errors.raise_if_any()
    note = Note.objects.create(contact=contact, body=text, author=actor if getattr(actor, "is_authenticated", False) else None)
    record(actor=actor, action=AuditAction.CREATE, instance=note, contact_id=contact.pk, label=str(contact), after={"body": text})
    Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now())
    return note


@transaction.atomic
def note_archive(*, actor: Any, note: Note) -> Note:
    if note.archived_at is None:
        note.archived_at = timezone.now()
        note.save(update_fields=["archived_at", "updated_at"])
        record(actor=actor, action=AuditAction.ARCHIVE, instance=note, contact_id=note.contact_id)
    return note


def _clean_task(data: Mapping[str, Any], *, task: Task | None, errors: FieldErrors, prefix: str = "", actor: Any = None) -> dict[str, Any]:
    from kliyan.contacts.models import Company

    _reject_unknown(
        data,
        {"title", "description", "contact", "contact_id", "company", "company_id", "interaction", "interaction_id",
         "assignee", "assignee_id", "due_date", "remind_at", "status"},
        _Prefixed(errors, prefix),
    )
    partial = task is not None
    out: dict[str, Any] = {}
    if "title" in data or not partial:
        out["title"] = v.check_length(data.get("title"), 200, errors, prefix + "title")
        if not out["title"]:
            errors.add(prefix + "title", _("This field is required."))
    if "description" in data or not partial:
        out["description"] = v.check_length(data.get("description"), 20000, errors, prefix + "description")
    if "due_date" in data or not partial:
        out["due_date"] = v.clean_date(data.get("due_date"), errors, prefix + "due_date")
        if out["due_date"] is None and prefix + "due_date" not in errors.errors:
            errors.add(prefix + "due_date", _("This field is required."))
    if "remind_at" in data:
        out["remind_at"] = _clean_datetime(data.get("remind_at"), errors, prefix + "remind_at")
        out["reminded_at"] = None
    if "assignee" in data or "assignee_id" in data:
        out["assignee_id"] = _user_id(data.get("assignee_id", data.get("assignee")), errors, prefix + "assignee")
    elif not partial:
        out["assignee_id"] = actor.pk if getattr(actor, "is_authenticated", False) else None
    for key, model in (("contact", Contact), ("company", Company), ("interaction", Interaction)):
        if key in data or f"{key}_id" in data:
            raw = data.get(f"{key}_id", data.get(key))
            if raw in (None, ""):
                out[f"{key}_id"] = None
                continue
            try:
                pk = int(getattr(raw, "pk", raw))
            except (TypeError, ValueError):
                errors.add(prefix + key, _("“%(value)s” is not a valid id.") % {"value": raw})
                continue
            if not model.objects.filter(pk=pk).exists():
                errors.add(prefix + key, _("There is no %(thing)s with id %(id)s.") % {"thing": model._meta.verbose_name, "id": pk})
                continue
            out[f"{key}_id"] = pk
    if "status" in data:
        out["status"] = v.check_choice(data.get("status"), TaskStatus.values, errors, prefix + "status")
        if not out["status"]:
            out.pop("status")
    return out


class _Prefixed(FieldErrors):
    """Report errors of a nested object under its prefix ("follow_up.title")."""

    def __init__(self, inner: FieldErrors, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix
        self.errors = inner.errors

    def add(self, field: str, message: str) -> None:
        self.inner.add(self.prefix + field, message)


def _task_save(*, actor: Any, task: Task | None, cleaned: dict[str, Any]) -> Task:
    before = snapshot(task) if task else None
    if task is None:
        task = Task(created_by=actor if getattr(actor, "is_authenticated", False) else None)
    for key, value in cleaned.items():
        setattr(task, key, value)
    if "status" in cleaned:
        task.completed_at = timezone.now() if task.status == TaskStatus.DONE else None
    task.save()
    record(
        actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE, instance=task,
        contact_id=task.contact_id, before=before, after=snapshot(task),
    )
    payload = snapshot(task, TASK_EVENT_FIELDS)
    emit("task.updated" if before else "task.created", payload)
    if task.status == TaskStatus.DONE and (before or {}).get("status") != TaskStatus.DONE:
        emit("task.completed", payload)
    if task.contact_id:
        Contact.objects.filter(pk=task.contact_id).update(updated_at=timezone.now())
    return task


@transaction.atomic
def task_create(*, actor: Any, data: Mapping[str, Any]) -> Task:
    errors = FieldErrors()
    cleaned = _clean_task(data, task=None, errors=errors, actor=actor)
    errors.raise_if_any()
    return _task_save(actor=actor, task=None, cleaned=cleaned)


@transaction.atomic
def task_update(*, actor: Any, task: Task, data: Mapping[str, Any]) -> Task:
    errors = FieldErrors()
    cleaned = _clean_task(data, task=task, errors=errors, actor=actor)
    errors.raise_if_any()
    return _task_save(actor=actor, task=task, cleaned=cleaned)


def task_complete(*, actor: Any, task: Task) -> Task:
    return task_update(actor=actor, task=task, data={"status": TaskStatus.DONE})


def task_reopen(*, actor: Any, task: Task) -> Task:
    return task_update(actor=actor, task=task, data={"status": TaskStatus.OPEN})


@transaction.atomic
def task_archive(*, actor: Any, task: Task) -> Task:
    if task.archived_at is None:
        task.archived_at = timezone.now()
        task.save(update_fields=["archived_at", "updated_at"])
        record(actor=actor, action=AuditAction.ARCHIVE, instance=task, contact_id=task.contact_id)
    return task


def claim_due_reminders(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Mark due reminders as sent and return their task ids; each reminder is claimed once.

    The conditional UPDATE is the claim: two workers racing for the same task cannot
    both change `reminded_at` from NULL, so nobody is reminded twice.
    """
    now = now or timezone.now()
    candidates = list(
        Task.objects.filter(status=TaskStatus.OPEN, archived_at__isnull=True, remind_at__lte=now, reminded_at__isnull=True)
        .values_list("pk", flat=True)[:limit]
    )
    claimed = []
    for pk in candidates:
        if Task.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
            claimed.append(pk)
    return claimed
