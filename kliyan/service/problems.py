"""Writes for problems (root causes), their action plans and the tickets linked to them.

Every write runs in a transaction and writes, in it, the audit entry, the problem's history
(ProblemEvent) and, for a ticket, the ticket's history; then it announces itself
(`problem.created` / `problem.updated`, and `ticket.updated` for a ticket that was linked).

Who may do what (docs/permissions.md): `service.manage` records and changes problems and
their actions, and links or unlinks any ticket; `tickets.work` (agents) may link a ticket to
a problem that is still open, or take it off one, because the agent talking to the customer
is the one who recognises the known issue. Callers check the page/endpoint permission;
`check_may_link` is the finer rule for links and is applied here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, can
from kliyan.accounts.models import User
from kliyan.contacts import validation as v
from kliyan.core.audit import record, snapshot
from kliyan.core.errors import AccessDenied, Conflict, FieldErrors, NotFound, ValidationFailed
from kliyan.core.events import emit
from kliyan.core.models import AuditAction
from kliyan.service.choices import (
    PROBLEM_OPEN,
    PROBLEM_TRANSITIONS,
    ActionStatus,
    EventKind,
    ProblemEventKind,
    ProblemStatus,
)
from kliyan.service.models import CorrectiveAction, Problem, ProblemEvent, Ticket, TicketCategory, TicketEvent
from kliyan.service.services import _clean_product, _id, lookup, ticket_payload
from kliyan.service.ticket_search import problem_search_text

TITLE_LIMIT = 200
TEXT_LIMIT = 10_000
ACTION_LIMIT = 500
PROBLEM_FIELDS = {"title", "description", "root_cause", "status", "category", "product", "product_sku", "customer_message", "owner"}
CREATE_FIELDS = PROBLEM_FIELDS | {"tickets"}
ACTION_FIELDS = {"description", "owner", "due_date", "status", "verified", "verification_note"}
# What a "problem.*" event carries.
PROBLEM_EVENT_FIELDS = [
    "id", "title", "status", "category_id", "product_id", "owner_id", "created_at", "updated_at", "resolved_at", "closed_at",
]
# Problem fields whose change is a history line: (attribute, label read from the instance).
TRACKED = ("title", "description", "root_cause", "customer_message", "category_id", "product_id", "owner_id")
ACTION_TRACKED = ("description", "owner_id", "due_date", "status", "verified", "verification_note")


def _user(actor: Any) -> User | None:
    return actor if getattr(actor, "is_authenticated", False) else None


def _label(actor: Any) -> str:
    user = _user(actor)
    return str(user) if user else ""


def problem_payload(problem: Problem, **extra: Any) -> dict[str, Any]:
    return {**snapshot(problem, PROBLEM_EVENT_FIELDS), "reference": problem.reference, **extra}


# --- Who may link ----------------------------------------------------------------------


def may_link(user: Any, problem: Problem) -> bool:
    """Return whether `user` may link tickets to `problem` or take them off it.

    Managers may while the problem is not closed; agents only while it is open (not yet
    resolved): after that, which tickets it covered is the manager's record.
    """
    if problem.status == ProblemStatus.CLOSED:
        return False
    if can(user, Perm.MANAGE_SERVICE):
        return True
    return can(user, Perm.WORK_TICKETS) and problem.status in PROBLEM_OPEN


def check_may_link(user: Any, problem: Problem) -> None:
    if problem.status == ProblemStatus.CLOSED:
        raise Conflict(_("This problem is closed: its tickets can no longer change."))
    if not may_link(user, problem):
        raise AccessDenied(_("Only a manager may change the tickets of a problem that is resolved."))


# --- Cleaning input ---------------------------------------------------------------------


def _text(data: Mapping[str, Any], field: str, limit: int, errors: FieldErrors) -> str:
    text = str(data.get(field) or "").strip()
    if len(text) > limit:
        errors.add(field, _("At most %(limit)d characters.") % {"limit": limit})
    return text


def _line(data: Mapping[str, Any], field: str, limit: int, errors: FieldErrors) -> str:
    text = " ".join(str(data.get(field) or "").split())
    if not text:
        errors.add(field, _("This field is required."))
    elif len(text) > limit:
        errors.add(field, _("At most %(limit)d characters.") % {"limit": limit})
    return text


def _clean_owner(value: Any, errors: FieldErrors, field: str = "owner") -> User | None:
    user = lookup(User, value, errors, field, is_active=True)
    if user is not None and not can(user, Perm.WORK_TICKETS):
        errors.add(field, _("%(name)s may not work on tickets (their role is view-only).") % {"name": user})
        return None
    return user


def _unknown(data: Mapping[str, Any], allowed: set[str], errors: FieldErrors) -> None:
    for key in data:
        if key not in allowed:
            errors.add(key, _("Unknown field."))


def _clean_problem(data: Mapping[str, Any], *, creating: bool) -> tuple[dict[str, Any], FieldErrors]:
    """Return the problem fields present in `data` as model values (instances for relations)."""
    errors = FieldErrors()
    _unknown(data, CREATE_FIELDS if creating else PROBLEM_FIELDS, errors)
    out: dict[str, Any] = {}
    if creating or "title" in data:
        out["title"] = _line(data, "title", TITLE_LIMIT, errors)
    for field in ("description", "root_cause", "customer_message"):
        if field in data:
            out[field] = _text(data, field, TEXT_LIMIT, errors)
    if "status" in data:
        status = v.check_choice(data.get("status"), ProblemStatus.values, errors, "status")
        if status:
            out["status"] = status
        elif "status" not in errors.errors:
            errors.add("status", _("This field is required."))
    if "category" in data:
        out["category"] = lookup(TicketCategory, data.get("category"), errors, "category")
    if "product" in data or "product_sku" in data:
        out["product"] = _clean_product(data, errors)
    if "owner" in data:
        out["owner"] = _clean_owner(data.get("owner"), errors)
    return out, errors


def _ticket_ids(value: Any, errors: FieldErrors) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        errors.add("tickets", _("Send a list of ticket ids."))
        return []
    ids: list[int] = []
    for n, item in enumerate(value):
        pk = _id(item, errors, f"tickets.{n}")
        if pk is not None and pk not in ids:
            ids.append(pk)
    return ids


# --- History ----------------------------------------------------------------------------


def _event(problem: Problem, actor: Any, kind: str, *, at: dt.datetime, field: str = "", old: str = "", new: str = "",
           ticket: Ticket | None = None, action: CorrectiveAction | None = None) -> ProblemEvent:
    return ProblemEvent(
        problem=problem, kind=kind, field=field, old_value=old[:255], new_value=new[:255], ticket=ticket, action=action,
        actor=_user(actor), actor_label=_label(actor)[:200], at=at,
    )


def _shown(instance: Any, attribute: str) -> str:
    """Return a field's value as the history shows it (names for relations, ISO dates)."""
    if attribute.endswith("_id"):
        related = getattr(instance, attribute[:-3])
        return str(related) if related is not None else ""
    value = getattr(instance, attribute)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- Problems ---------------------------------------------------------------------------


def _apply_status(problem: Problem, status: str, now: dt.datetime) -> None:
    """Check the move to `status` and keep the dates in step with it (closing: every action settled)."""
    old = problem.status
    if status == old:
        return
    if status not in PROBLEM_TRANSITIONS.get(old, frozenset()):
        raise ValidationFailed(field_errors={"status": [
            _("A problem that is “%(old)s” cannot become “%(new)s”.") % {
                "old": ProblemStatus(old).label, "new": ProblemStatus(status).label,
            }
        ]})
    if status == ProblemStatus.CLOSED:
        _check_plan_settled(problem)
    problem.status = status
    if status == ProblemStatus.RESOLVED:
        problem.resolved_at = now
    elif status == ProblemStatus.CLOSED:
        problem.closed_at = now
        problem.resolved_at = problem.resolved_at or now
    else:
        problem.resolved_at = None


def _check_plan_settled(problem: Problem) -> None:
    unsettled = [a for a in CorrectiveAction.objects.filter(problem=problem).order_by("created_at", "id") if not a.settled]
    if not unsettled:
        return
    names = ", ".join(f"“{a.description[:60]}”" for a in unsettled[:3]) + (" …" if len(unsettled) > 3 else "")
    raise ValidationFailed(field_errors={"status": [
        _("A problem closes only when every action is done and checked to have worked. Not yet: %(actions)s.")
        % {"actions": names}
    ]})


@transaction.atomic
def problem_create(*, actor: Any, data: Mapping[str, Any], ticket: Ticket | None = None) -> Problem:
    """Record a problem; link `ticket` (the one it was found from) and any ids in data["tickets"].

    A new problem starts open, investigating or with a fix in progress: one that is already
    resolved is not a known issue anyone needs to be told about.
    """
    cleaned, errors = _clean_problem(data, creating=True)
    ticket_ids = _ticket_ids(data.get("tickets"), errors)
    if cleaned.get("status") and cleaned["status"] not in PROBLEM_OPEN:
        errors.add("status", _("A new problem is open, being investigated or being fixed."))
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids)) if ticket_ids else []
    missing = sorted(set(ticket_ids) - {t.pk for t in tickets})
    for pk in missing:
        errors.add(f"tickets.{ticket_ids.index(pk)}", _("There is no ticket with id %(id)s.") % {"id": pk})
    errors.raise_if_any()
    now = timezone.now()
    problem = Problem(created_by=_user(actor), created_at=now, **cleaned)
    problem.search_text = problem_search_text(problem.title, problem.description, problem.root_cause)
    problem.save()
    ProblemEvent.objects.bulk_create([_event(problem, actor, ProblemEventKind.CREATED, at=now, new=problem.title)])
    record(actor=actor, action=AuditAction.CREATE, instance=problem, after=snapshot(problem, [
        "title", "description", "root_cause", "status", "category_id", "product_id", "customer_message", "owner_id",
    ]))
    emit("problem.created", problem_payload(problem))
    for linked in ([ticket] if ticket is not None else []) + [t for t in tickets if ticket is None or t.pk != ticket.pk]:
        _link(actor, problem, linked, now=now)
    return problem


def _locked_problem(problem: Problem) -> Problem:
    locked = Problem.objects.select_for_update(of=("self",)).select_related("category", "product", "owner").filter(pk=problem.pk).first()
    if locked is None:
        raise NotFound(_("There is no problem with id %(id)s.") % {"id": problem.pk})
    return locked


@transaction.atomic
def problem_update(*, actor: Any, problem: Problem, data: Mapping[str, Any]) -> Problem:
    """Change a problem's fields or status; each change is a history line and in the audit entry.

    Closing needs every corrective action done and checked to have worked; a closed problem
    is final (the same fault coming back is a new problem).
    """
    cleaned, errors = _clean_problem(data, creating=False)
    errors.raise_if_any()
    problem = _locked_problem(problem)
    if problem.status == ProblemStatus.CLOSED and cleaned:
        raise Conflict(_("This problem is closed and can no longer change."))
    now = timezone.now()
    before = {attribute: getattr(problem, attribute) for attribute in (*TRACKED, "status")}
    labels = {attribute: _shown(problem, attribute) for attribute in TRACKED}
    status = cleaned.pop("status", None)
    for field, value in cleaned.items():
        setattr(problem, field, value)
    if status is not None:
        _apply_status(problem, status, now)
    changed = [attribute for attribute in (*TRACKED, "status") if getattr(problem, attribute) != before[attribute]]
    if not changed:
        return problem
    problem.search_text = problem_search_text(problem.title, problem.description, problem.root_cause)
    problem.save()
    events = [
        _event(problem, actor, ProblemEventKind.CHANGED, at=now, field=attribute.removesuffix("_id"),
               old=labels[attribute], new=_shown(problem, attribute))
        for attribute in changed if attribute != "status"
    ]
    if "status" in changed:
        events.append(_event(problem, actor, ProblemEventKind.STATUS, at=now, field="status", old=before["status"], new=problem.status))
    ProblemEvent.objects.bulk_create(events)
    record(
        actor=actor, action=AuditAction.UPDATE, instance=problem,
        before={attribute: before[attribute] for attribute in changed},
        after={attribute: getattr(problem, attribute) for attribute in changed},
    )
    emit("problem.updated", problem_payload(problem, changed=changed))
    return problem


def problem_change_status(*, actor: Any, problem: Problem, status: str) -> Problem:
    return problem_update(actor=actor, problem=problem, data={"status": status})


# --- Linked tickets ---------------------------------------------------------------------


def _ticket_locked(ticket: Ticket) -> Ticket:
    locked = Ticket.objects.select_for_update(of=("self",)).select_related("problem").filter(pk=ticket.pk).first()
    if locked is None:
        raise NotFound(_("There is no ticket with id %(id)s.") % {"id": ticket.pk})
    return locked


def _set_ticket_problem(actor: Any, ticket: Ticket, problem: Problem | None, *, now: dt.datetime) -> bool:
    """Point the ticket at `problem` (None: at none), writing both histories; return whether it changed."""
    ticket = _ticket_locked(ticket)
    old = ticket.problem
    if (old.pk if old else None) == (problem.pk if problem else None):
        return False
    if old is not None and problem is not None:
        check_may_link(actor, old)  # moving a ticket takes it off its old problem too
    ticket.problem = problem
    ticket.save(update_fields=["problem", "updated_at"])
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.PROBLEM, actor=_user(actor), actor_label=_label(actor), at=now,
        old_value=str(old.pk) if old else "", new_value=str(problem.pk) if problem else "",
        old_label=str(old)[:255] if old else "", new_label=str(problem)[:255] if problem else "",
    )
    for affected, kind in ((old, ProblemEventKind.TICKET_UNLINKED), (problem, ProblemEventKind.TICKET_LINKED)):
        if affected is not None:
            ProblemEvent.objects.bulk_create([_event(affected, actor, kind, at=now, ticket=ticket, new=ticket.reference)])
    record(
        actor=actor, action=AuditAction.UPDATE, instance=ticket, contact_id=ticket.contact_id,
        before={"problem_id": old.pk if old else None}, after={"problem_id": problem.pk if problem else None},
    )
    emit("ticket.updated", ticket_payload(ticket, changed=["problem_id"]))
    for affected in (old, problem):
        if affected is not None:
            emit("problem.updated", problem_payload(affected, changed=["tickets"]))
    return True


def _link(actor: Any, problem: Problem, ticket: Ticket, *, now: dt.datetime) -> bool:
    return _set_ticket_problem(actor, ticket, problem, now=now)


@transaction.atomic
def problem_link_ticket(*, actor: Any, problem: Problem, ticket: Ticket) -> bool:
    """Link `ticket` to `problem` (moving it off another problem); return False if it already was.

    Linking twice changes nothing and writes nothing, so a retried request is harmless.
    """
    problem = _locked_problem(problem)
    check_may_link(actor, problem)
    return _link(actor, problem, ticket, now=timezone.now())


@transaction.atomic
def problem_unlink_ticket(*, actor: Any, problem: Problem, ticket: Ticket) -> bool:
    """Take `ticket` off `problem`; return False if it was not linked to it."""
    problem = _locked_problem(problem)
    check_may_link(actor, problem)
    if Ticket.objects.filter(pk=ticket.pk, problem=problem).exists():
        return _set_ticket_problem(actor, ticket, None, now=timezone.now())
    return False


# --- Corrective actions -------------------------------------------------------------------


def _clean_verified(value: Any, errors: FieldErrors) -> bool | None:
    """Read "did it work?": true/false, "yes"/"no", or empty for "not checked yet"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"yes", "true", "1"}:
        return True
    if text in {"no", "false", "0"}:
        return False
    errors.add("verified", _("Answer yes, no, or leave empty while it has not been checked."))
    return None


def _clean_action(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    errors = FieldErrors()
    _unknown(data, ACTION_FIELDS, errors)
    out: dict[str, Any] = {}
    if creating or "description" in data:
        out["description"] = _line(data, "description", ACTION_LIMIT, errors)
    if "owner" in data:
        out["owner"] = _clean_owner(data.get("owner"), errors)
    if "due_date" in data:
        out["due_date"] = v.clean_date(data.get("due_date"), errors, "due_date")
    if "status" in data:
        status = v.check_choice(data.get("status"), ActionStatus.values, errors, "status")
        if status:
            out["status"] = status
        elif "status" not in errors.errors:
            errors.add("status", _("This field is required."))
    if "verified" in data:
        out["verified"] = _clean_verified(data.get("verified"), errors)
    if "verification_note" in data:
        out["verification_note"] = _text(data, "verification_note", TEXT_LIMIT, errors)
    errors.raise_if_any()
    return out


def _open_plan(problem: Problem) -> Problem:
    problem = _locked_problem(problem)
    if problem.status == ProblemStatus.CLOSED:
        raise Conflict(_("This problem is closed: its action plan can no longer change."))
    return problem


def _apply_action(action: CorrectiveAction, cleaned: dict[str, Any], actor: Any, now: dt.datetime) -> None:
    """Set the action's fields; "did it work?" is only asked of a done action, and answering it signs it."""
    verified_given = "verified" in cleaned
    for field, value in cleaned.items():
        setattr(action, field, value)
    if action.status == ActionStatus.DONE:
        action.done_at = action.done_at or now
    else:
        action.done_at = None
        if verified_given and action.verified is not None:
            raise ValidationFailed(field_errors={"verified": [_("Check whether it worked once the action is done.")]})
        action.verified = None  # undone: whatever was checked no longer holds
    if action.verified is None:
        action.verified_by, action.verified_at = None, None


@transaction.atomic
def action_create(*, actor: Any, problem: Problem, data: Mapping[str, Any]) -> CorrectiveAction:
    """Add a step to the problem's action plan."""
    cleaned = _clean_action(data, creating=True)
    problem = _open_plan(problem)
    now = timezone.now()
    action = CorrectiveAction(problem=problem, created_at=now)
    _apply_action(action, cleaned, actor, now)
    if action.verified is not None:
        action.verified_by, action.verified_at = _user(actor), now
    action.save()
    ProblemEvent.objects.bulk_create([_event(problem, actor, ProblemEventKind.ACTION_ADDED, at=now, action=action, new=action.description)])
    record(actor=actor, action=AuditAction.CREATE, instance=action, label=f"{problem.reference} · {action.description}",
           after=snapshot(action, ["problem_id", *ACTION_TRACKED]))
    emit("problem.updated", problem_payload(problem, changed=["actions"], action_id=action.pk))
    return action


@transaction.atomic
def action_update(*, actor: Any, action: CorrectiveAction, data: Mapping[str, Any]) -> CorrectiveAction:
    """Change an action: what, owner, due date, status, and whether it worked (with a note)."""
    cleaned = _clean_action(data, creating=False)
    problem = _open_plan(action.problem)
    action = CorrectiveAction.objects.select_for_update(of=("self",)).select_related("owner").get(pk=action.pk)
    now = timezone.now()
    before = {attribute: getattr(action, attribute) for attribute in ACTION_TRACKED}
    labels = {attribute: _shown(action, attribute) for attribute in ACTION_TRACKED}
    _apply_action(action, cleaned, actor, now)
    changed = [attribute for attribute in ACTION_TRACKED if getattr(action, attribute) != before[attribute]]
    if not changed:
        return action
    if "verified" in changed and action.verified is not None:
        action.verified_by, action.verified_at = _user(actor), now
    action.save()
    ProblemEvent.objects.bulk_create([
        _event(problem, actor, ProblemEventKind.ACTION_VERIFIED if attribute == "verified" else ProblemEventKind.ACTION_CHANGED,
               at=now, action=action, field=attribute.removesuffix("_id"), old=labels[attribute], new=_shown(action, attribute))
        for attribute in changed
    ])
    record(
        actor=actor, action=AuditAction.UPDATE, instance=action, label=f"{problem.reference} · {action.description}",
        before={attribute: before[attribute] for attribute in changed},
        after={attribute: getattr(action, attribute) for attribute in changed},
    )
    emit("problem.updated", problem_payload(problem, changed=["actions"], action_id=action.pk))
    return action


def get_problem(pk: Any) -> Problem:
    try:
        return Problem.objects.get(pk=int(pk))
    except (Problem.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("There is no problem with id %(id)s.") % {"id": pk}) from None


def get_action(pk: Any) -> CorrectiveAction:
    try:
        return CorrectiveAction.objects.select_related("problem", "owner", "verified_by").get(pk=int(pk))
    except (CorrectiveAction.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("There is no corrective action with id %(id)s.") % {"id": pk}) from None
