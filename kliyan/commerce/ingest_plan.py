"""The bookkeeping of a chunk: each record's outcome, and what to write for each key.

A chunk may hold the same key several times (a retried line, two versions of one order):
`classify` folds them into one `Plan` per key holding the newest version, and answers
each line on its own (created, updated, unchanged, stale) as if they had come one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import models

from kliyan.commerce.ingest_sql import insert_returning_ids, update_rows
from kliyan.core.audit import snapshot
from kliyan.core.models import AuditAction


class Result(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"
    FAILED = "failed"


@dataclass(frozen=True)
class Malformed:
    """A line that is not JSON; it fails with `message` and the rest goes on."""

    message: str


@dataclass(eq=False)
class Outcome:
    """What became of one record (one line of a bulk request)."""

    line: int
    external_id: str
    record: dict[str, Any] | None = None
    result: Result = Result.FAILED
    id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    plan: Plan | None = None

    def fail(self, errors: dict[str, list[str]]) -> None:
        self.result, self.errors, self.id = Result.FAILED, errors, None
        if self.plan is not None:
            self.plan.outcomes.remove(self)
            self.plan = None

    def reset(self) -> None:
        """Forget a result that a rolled-back write gave, before writing again."""
        self.result, self.errors, self.id, self.plan = Result.FAILED, {}, None, None


@dataclass(eq=False)
class Plan:
    """One row to create or update: the newest version a chunk holds of one key."""

    record: dict[str, Any]
    row: Any = None                       # the stored row, None when creating
    outcomes: list[Outcome] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # the row's values once written, with "id"
    before: dict[str, Any] | None = None  # the audited state before an update

    @property
    def creating(self) -> bool:
        return self.row is None


def classify(
    outcomes: Iterable[Outcome], *, key_of: Callable[[Outcome], Hashable], stored: Callable[[Outcome], Any],
) -> list[Plan]:
    """Decide each outcome against the stored row and the chunk's earlier lines; return the writes.

    `key_of` names the row a record is for; `stored` returns that row when it exists.
    """
    plans: dict[Hashable, Plan] = {}
    for outcome in outcomes:
        record = outcome.record
        assert record is not None
        key = key_of(outcome)
        plan = plans.get(key)
        if plan is not None:
            known: dt.datetime | None = plan.record["updated_at"]
        else:
            row = stored(outcome)
            known = getattr(row, "source_updated_at", None) if row is not None else None
            if row is None:
                plan = plans[key] = Plan(record=record)
                _attach(outcome, plan, Result.CREATED)
                continue
            plan = Plan(record=record, row=row)
            if known is not None and record["updated_at"] <= known:
                outcome.result = Result.STALE if record["updated_at"] < known else Result.UNCHANGED
                outcome.id = row.pk
                continue
            plans[key] = plan
            _attach(outcome, plan, Result.UPDATED)
            continue
        if known is not None and record["updated_at"] <= known:
            outcome.result = Result.STALE if record["updated_at"] < known else Result.UNCHANGED
            outcome.plan = plan  # its id is known once the plan is written
            plan.outcomes.append(outcome)
            continue
        plan.record = record
        _attach(outcome, plan, Result.UPDATED)
    return list(plans.values())


def _attach(outcome: Outcome, plan: Plan, result: Result) -> None:
    outcome.result, outcome.plan = result, plan
    plan.outcomes.append(outcome)


def fail_plan(plan: Plan, errors: dict[str, list[str]]) -> None:
    """Fail every line that a plan answers (a reference of its newest version did not resolve)."""
    for outcome in list(plan.outcomes):
        outcome.fail(errors)


def live(plans: Iterable[Plan]) -> list[Plan]:
    """Return the plans that still have something to write."""
    return [plan for plan in plans if any(o.result in (Result.CREATED, Result.UPDATED) for o in plan.outcomes)]


def settle(plans: Iterable[Plan]) -> None:
    """Give every line the id of the row its plan wrote."""
    for plan in plans:
        for outcome in plan.outcomes:
            outcome.id = plan.data["id"]


def row_values(row: models.Model) -> dict[str, Any]:
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}


def write_rows(
    model: type[models.Model], plans: list[Plan], values_of: Callable[[Plan], dict[str, Any]], *, now: dt.datetime,
    audit_fields: list[str],
) -> None:
    """Create or update one row per plan (in bulk), keeping the audited state before each update.

    Afterwards each plan's `data` holds the row's values (with "id"), for audit and events.
    """
    creating = [plan for plan in plans if plan.creating]
    updating = [plan for plan in plans if not plan.creating]
    if creating:
        defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}
        for plan in creating:
            plan.data = {**defaults, **values_of(plan), "created_at": now, "updated_at": now}
        names = list(creating[0].data)
        ids = insert_returning_ids(model, names, [[plan.data[name] for name in names] for plan in creating])
        for plan, pk in zip(creating, ids, strict=True):
            plan.data["id"] = pk
    if updating:
        rows = []
        names: list[str] = []
        for plan in updating:
            plan.before = snapshot(plan.row, audit_fields)
            values = {**values_of(plan), "updated_at": now}
            for name, value in values.items():
                setattr(plan.row, name, value)
            plan.data = row_values(plan.row)
            names = names or list(values)
            rows.append((plan.row.pk, [values[name] for name in names]))
        update_rows(model, names, rows)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def audit_entries(
    model: type[models.Model], plans: Iterable[Plan], *, actor: Any, audit_fields: list[str],
    label_of: Callable[[dict[str, Any]], str], with_contact: bool = False,
) -> list[dict[str, Any]]:
    """Return one audit entry (as record_many's mapping) per written plan: created or changed, before and after."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    actor_id = actor.pk if authenticated else None
    actor_label = actor.get_username() if authenticated else ""
    kind = f"{model._meta.app_label}.{model._meta.model_name}"
    entries = []
    for plan in plans:
        data = plan.data
        entries.append({
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": AuditAction.CREATE.value if plan.creating else AuditAction.UPDATE.value,
            "object_type": kind,
            "object_id": str(data["id"]),
            "object_label": label_of(data)[:255],
            "contact_id": data.get("contact_id") if with_contact else None,
            "before": plan.before,
            "after": {name: _jsonable(data[name]) for name in audit_fields},
        })
    return entries
