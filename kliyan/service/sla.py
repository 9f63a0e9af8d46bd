"""SLA policies, and the due times they give tickets.

A policy promises a first response and a resolution within budgets of *business* time (its
calendar: opening hours per weekday, a time zone, holidays). Which policy a ticket gets:

1. Only active policies count. A policy names a priority, a category, or both; a category's
   policy covers its subcategories too.
2. The most specific match wins: a category and a priority together beat a category alone,
   which beats a priority alone; between two category matches the nearer category (the
   ticket's own before its parent's) wins. The default policy takes every ticket nothing else
   matches; without one, such a ticket has no due times.

The clock starts when the ticket is opened and stops while it waits on the customer (both
targets) and, for the resolution, while it stands resolved (a reopened ticket continues where
it stopped). Spans come from the status history, so due times are recomputed from scratch
whenever something they depend on changes: the priority, the category, the status, or the
policy itself (`recompute_open_tickets`, queued after a policy is saved). While a ticket waits
on the customer, a target whose budget had not run out has no due time (`due_at` gives None).

The arithmetic is `business_hours`; this module holds no database work except reading the
history and the policies, so the states shown to agents are plain functions of a ticket's fields.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.core.audit import record, snapshot
from kliyan.core.errors import FieldErrors
from kliyan.core.models import AuditAction
from kliyan.service import business_hours as bh
from kliyan.service.choices import UNRESOLVED, EventKind, Priority, SLAState, SLATarget, TicketStatus
from kliyan.service.models import SLAPolicy, Ticket, TicketCategory, TicketEvent

NAME_LIMIT = 120
# A budget longer than a year of business time is a typo, not a promise.
MAX_BUDGET_MINUTES = 366 * 24 * 60
POLICY_FIELDS = {
    "name", "priority", "category", "is_default", "first_response_minutes", "resolution_minutes", "calendar",
    "warn_at_percent", "warn_minutes_before", "active",
}
AUDITED = [
    "name", "priority", "category_id", "is_default", "first_response_minutes", "resolution_minutes", "calendar",
    "warn_at_percent", "warn_minutes_before", "active",
]
# The SLA fields of a ticket that `compute` fills.
TICKET_SLA_FIELDS = (
    "sla_policy", "first_response_due", "first_response_warn_at", "resolution_due", "resolution_warn_at",
    "first_response_business_seconds", "resolution_business_seconds",
)
# Which statuses stop each clock.
RESPONSE_PAUSED = frozenset({TicketStatus.WAITING})
RESOLUTION_PAUSED = frozenset({TicketStatus.WAITING, TicketStatus.RESOLVED})
RECOMPUTE_BATCH = 500

StatusChange = tuple[dt.datetime, str, str]  # (at, old status, new status)


# --- Budgets written by people ---------------------------------------------------------------

_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.IGNORECASE)


def parse_minutes(text: Any) -> int | None:
    """Return the minutes in "90", "4h", "1h30m" or "1h 30min"; None when it is not a duration."""
    value = str(text if text is not None else "").strip()
    if value.isdigit():
        return int(value)
    match = _DURATION.match(value)
    if not value or match is None or not any(match.groups()):
        return None
    hours, minutes = (int(group) if group else 0 for group in match.groups())
    return hours * 60 + minutes


def format_minutes(minutes: int) -> str:
    """Return minutes as "4h", "1h30m" or "45m" (what `parse_minutes` reads back)."""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours}h{rest:02d}m"
    return f"{hours}h" if hours else f"{rest}m"


def minutes_of(duration: dt.timedelta) -> int:
    return int(duration.total_seconds() // 60)


# --- Calendars ---------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _calendar_from_json(text: str) -> bh.BusinessCalendar:
    import json

    return bh.BusinessCalendar.from_dict(json.loads(text))


def calendar_of(policy: SLAPolicy) -> bh.BusinessCalendar:
    """Return the policy's calendar (parsed once per distinct definition)."""
    import json

    return _calendar_from_json(json.dumps(policy.calendar, sort_keys=True))


def clean_calendar(value: Any, errors: FieldErrors, field: str = "calendar") -> dict[str, Any] | None:
    """Return a calendar definition as `BusinessCalendar.to_dict()` gives it, or None with errors.

    Errors are named by part: `calendar.time_zone`, `calendar.weekly_hours.mon` (each weekday
    on its own, so a page can show the error next to that day) and `calendar.holidays`.
    """
    if not isinstance(value, Mapping):
        errors.add(field, _("Send an object with time_zone, weekly_hours and holidays."))
        return None
    before = len(errors.errors)
    for key in value:
        if key not in {"time_zone", "weekly_hours", "holidays"}:
            errors.add(f"{field}.{key}", _("Unknown field."))
    zone = value.get("time_zone")
    try:
        bh.BusinessCalendar.always_open(time_zone=zone)  # type: ignore[arg-type]
    except bh.InvalidCalendar as error:
        errors.add(f"{field}.time_zone", error.message)
    weekly = value.get("weekly_hours")
    if not isinstance(weekly, Mapping):
        errors.add(f"{field}.weekly_hours", _("Send an object from weekday (mon … sun) to a list of [start, end] pairs."))
    else:
        for key, intervals in weekly.items():
            day = str(key).lower()[:3]
            if day not in bh.DAY_KEYS:
                errors.add(f"{field}.weekly_hours", _("“%(key)s” is not a weekday (mon-sun).") % {"key": key})
                continue
            if not intervals:
                continue
            try:
                bh.BusinessCalendar(time_zone="UTC", weekly_hours={day: intervals})
            except bh.InvalidCalendar as error:
                errors.add(f"{field}.weekly_hours.{day}", error.message)
    try:
        bh.BusinessCalendar.always_open(holidays=value.get("holidays") or ())
    except bh.InvalidCalendar as error:
        errors.add(f"{field}.holidays", error.message)
    if len(errors.errors) > before:
        return None
    try:
        return bh.BusinessCalendar.from_dict(value).to_dict()
    except bh.InvalidCalendar as error:  # no opening hours on any day
        errors.add(f"{field}.{error.field}", error.message)
        return None


# --- Policies: writes ----------------------------------------------------------------------------


def _clean_minutes(data: Mapping[str, Any], key: str, errors: FieldErrors, *, required: bool, minimum: int = 1) -> int | None:
    raw = data.get(key)
    if raw in (None, ""):
        if required:
            errors.add(key, _("This field is required."))
        return None
    minutes = raw if isinstance(raw, int) and not isinstance(raw, bool) else parse_minutes(raw)
    if minutes is None:
        errors.add(key, _("“%(value)s” is not a number of minutes.") % {"value": raw})
    elif not minimum <= minutes <= MAX_BUDGET_MINUTES:
        errors.add(key, _("Enter between %(low)d and %(high)d minutes.") % {"low": minimum, "high": MAX_BUDGET_MINUTES})
        return None
    return minutes


def _clean_policy(data: Mapping[str, Any], *, policy: SLAPolicy | None) -> dict[str, Any]:
    from kliyan.service.services import lookup

    creating = policy is None
    errors = FieldErrors()
    for key in data:
        if key not in POLICY_FIELDS:
            errors.add(key, _("Unknown field."))
    out: dict[str, Any] = {}
    if creating or "name" in data:
        out["name"] = " ".join(str(data.get("name") or "").split())
        if not out["name"]:
            errors.add("name", _("This field is required."))
        elif len(out["name"]) > NAME_LIMIT:
            errors.add("name", _("At most %(limit)d characters.") % {"limit": NAME_LIMIT})
    if "priority" in data:
        priority = str(data.get("priority") or "").strip()
        if priority and priority not in Priority.values:
            errors.add("priority", _("“%(value)s” is not a valid choice.") % {"value": priority})
        out["priority"] = priority
    if "category" in data:
        out["category"] = lookup(TicketCategory, data.get("category"), errors, "category")
    for key in ("is_default", "active"):
        if key in data:
            out[key] = bool(data[key])
    for key, field in (("first_response_minutes", "first_response_within"), ("resolution_minutes", "resolution_within")):
        if creating or key in data:
            minutes = _clean_minutes(data, key, errors, required=True)
            if minutes is not None:
                out[field] = dt.timedelta(minutes=minutes)
    if "warn_at_percent" in data:
        percent = _clean_minutes(data, "warn_at_percent", errors, required=False)
        if percent is not None and not 1 <= percent <= 99:
            errors.add("warn_at_percent", _("Enter a share between 1 and 99 %."))
        out["warn_at_percent"] = percent
    if "warn_minutes_before" in data:
        out["warn_minutes_before"] = _clean_minutes(data, "warn_minutes_before", errors, required=False)
    if creating or "calendar" in data:
        calendar = clean_calendar(data.get("calendar", _default_calendar()), errors)
        if calendar is not None:
            out["calendar"] = calendar
    if not errors:
        _check_scope(out, policy, errors)
    errors.raise_if_any()
    return out


def _default_calendar() -> dict[str, Any]:
    from kliyan.service.models import default_calendar

    return default_calendar()


def _check_scope(out: Mapping[str, Any], policy: SLAPolicy | None, errors: FieldErrors) -> None:
    """A default policy names no priority or category; any other names at least one, and no two overlap."""
    def value(name: str, attr: str | None = None) -> Any:
        if name in out:
            return out[name]
        return getattr(policy, attr or name) if policy is not None else None

    is_default = bool(value("is_default"))
    priority = value("priority") or ""
    category = value("category")
    category_id = category.pk if isinstance(category, TicketCategory) else None
    if is_default and (priority or category_id):
        errors.add("is_default", _("The default policy applies to every other ticket: leave priority and category empty."))
        return
    if not is_default and not priority and category_id is None:
        errors.add("priority", _("Choose a priority, a category or both (or make this the default policy)."))
        return
    others = SLAPolicy.objects.exclude(pk=policy.pk) if policy is not None else SLAPolicy.objects.all()
    if is_default and others.filter(is_default=True).exists():
        errors.add("is_default", _("There is already a default policy."))
    elif not is_default and value("active") is not False and others.filter(
        active=True, is_default=False, priority=priority, category_id=category_id,
    ).exists():
        errors.add("priority", _("Another active policy already applies to this priority and category."))


def _audit_view(policy: SLAPolicy) -> dict[str, Any]:
    """Return the policy as the audit log keeps it (budgets in minutes: JSON has no durations)."""
    values = snapshot(policy, [name for name in AUDITED if not name.endswith("_minutes")])
    values["first_response_minutes"] = minutes_of(policy.first_response_within)
    values["resolution_minutes"] = minutes_of(policy.resolution_within)
    return values


def _after_policy_change() -> None:
    from kliyan.service.tasks import recompute_ticket_slas

    transaction.on_commit(lambda: recompute_ticket_slas.enqueue())


@transaction.atomic
def sla_policy_create(*, actor: Any, data: Mapping[str, Any]) -> SLAPolicy:
    """Add an SLA policy; the open tickets it now covers get new due times (a queued task)."""
    cleaned = _clean_policy(data, policy=None)
    policy = SLAPolicy.objects.create(**cleaned)
    record(actor=actor, action=AuditAction.CREATE, instance=policy, after=_audit_view(policy))
    _after_policy_change()
    return policy


@transaction.atomic
def sla_policy_update(*, actor: Any, policy: SLAPolicy, data: Mapping[str, Any]) -> SLAPolicy:
    """Change an SLA policy (switch it off with active=False); open tickets follow (a queued task)."""
    policy = SLAPolicy.objects.select_for_update().get(pk=policy.pk)
    cleaned = _clean_policy(data, policy=policy)
    before = _audit_view(policy)
    for name, value in cleaned.items():
        setattr(policy, name, value)
    after = _audit_view(policy)
    changed = [name for name in AUDITED if before[name] != after[name]]
    if changed:
        policy.save()
        record(
            actor=actor, action=AuditAction.UPDATE, instance=policy,
            before={name: before[name] for name in changed}, after={name: after[name] for name in changed},
        )
        _after_policy_change()
    return policy


# --- Which policy a ticket gets --------------------------------------------------------------------


def active_policies() -> list[SLAPolicy]:
    return list(SLAPolicy.objects.filter(active=True).order_by("id"))


def category_parents() -> dict[int, int | None]:
    return dict(TicketCategory.objects.values_list("pk", "parent_id"))


def _ancestors(category_id: int | None, parents: Mapping[int, int | None]) -> list[int]:
    """Return the category and its parents, nearest first (bounded: a tree is a few levels deep)."""
    chain: list[int] = []
    current = category_id
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        current = parents.get(current)
    return chain


def policy_for(
    *, priority: str, category_id: int | None, policies: Sequence[SLAPolicy], parents: Mapping[int, int | None] | None = None,
) -> SLAPolicy | None:
    """Return the policy a ticket of this priority and category gets (see the module's rules)."""
    chain = _ancestors(category_id, parents or {})
    best: tuple[int, int, int, int] | None = None
    chosen = None
    default = None
    for policy in policies:
        if not policy.active:
            continue
        if policy.is_default:
            default = default or policy
            continue
        if policy.priority and policy.priority != priority:
            continue
        if policy.category_id is not None and policy.category_id not in chain:
            continue
        has_category = policy.category_id is not None
        nearness = -chain.index(policy.category_id) if has_category else 0
        rank = (int(has_category), nearness, int(bool(policy.priority)), -policy.pk)
        if best is None or rank > best:
            best, chosen = rank, policy
    return chosen or default


def _needs_parents(policies: Sequence[SLAPolicy]) -> bool:
    return any(policy.category_id is not None for policy in policies)


# --- Due times ----------------------------------------------------------------------------------


def paused_spans(changes: Iterable[StatusChange], statuses: frozenset[str]) -> list[bh.Pause]:
    """Return the spans the ticket stood in one of `statuses`, from its status changes in order."""
    spans: list[bh.Pause] = []
    started: dt.datetime | None = None
    for at, old, new in changes:
        if new in statuses and started is None:
            started = at
        elif old in statuses and new not in statuses and started is not None:
            spans.append((started, at))
            started = None
    if started is not None:
        spans.append((started, None))
    return spans


def warn_budget(policy: SLAPolicy, budget: dt.timedelta) -> dt.timedelta | None:
    """Return how much of `budget` may pass before the warning: the earlier of the two thresholds."""
    candidates = []
    if policy.warn_at_percent:
        candidates.append(budget * policy.warn_at_percent / 100)
    if policy.warn_minutes_before:
        candidates.append(max(budget - dt.timedelta(minutes=policy.warn_minutes_before), dt.timedelta(0)))
    return min(candidates) if candidates else None


def compute(ticket: Ticket, policy: SLAPolicy | None, changes: Sequence[StatusChange]) -> dict[str, Any]:
    """Return the SLA fields of `ticket` under `policy`, given its status changes (oldest first)."""
    if policy is None:
        return dict.fromkeys(TICKET_SLA_FIELDS)
    calendar = calendar_of(policy)
    start = ticket.created_at
    # Once a target is done, its due time stays what it was then: the spans after (or the
    # resolved span that begins at the resolution) do not move it.
    responded = ticket.first_responded_at or ticket.resolved_at
    resolved = ticket.resolved_at if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else None
    response_pauses = _until(paused_spans(changes, RESPONSE_PAUSED), responded)
    resolution_pauses = _until(paused_spans(changes, RESOLUTION_PAUSED), resolved)
    values: dict[str, Any] = {"sla_policy": policy}
    for target, budget, pauses in (
        ("first_response", policy.first_response_within, response_pauses),
        ("resolution", policy.resolution_within, resolution_pauses),
    ):
        values[f"{target}_due"] = bh.due_at(calendar, start, budget, pauses)
        warn = warn_budget(policy, budget)
        values[f"{target}_warn_at"] = bh.due_at(calendar, start, warn, pauses) if warn is not None else None
    answered = ticket.first_responded_at
    values["first_response_business_seconds"] = (
        int(bh.elapsed(calendar, start, answered, response_pauses).total_seconds()) if answered else None
    )
    values["resolution_business_seconds"] = (
        int(bh.elapsed(calendar, start, resolved, resolution_pauses).total_seconds()) if resolved else None
    )
    return values


def _until(pauses: list[bh.Pause], done: dt.datetime | None) -> list[bh.Pause]:
    """Return the pauses cut at `done` (the moment a target was met), or as they are when it is not."""
    if done is None:
        return pauses
    return [(begin, min(end, done) if end is not None else done) for begin, end in pauses if begin < done]


def _status_changes(ticket_ids: Sequence[int]) -> dict[int, list[StatusChange]]:
    found: dict[int, list[StatusChange]] = {pk: [] for pk in ticket_ids}
    rows = (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind=EventKind.STATUS)
        .order_by("ticket_id", "at", "id").values_list("ticket_id", "at", "old_value", "new_value")
    )
    for ticket_id, at, old, new in rows:
        found[ticket_id].append((at, old, new))
    return found


def _apply(ticket: Ticket, values: Mapping[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        attname = "sla_policy_id" if name == "sla_policy" else name
        new = value.pk if name == "sla_policy" and value is not None else value
        if getattr(ticket, attname) != new:
            setattr(ticket, name, value)
            changed = True
    return changed


def apply_on_create(ticket: Ticket) -> None:
    """Give a ticket being opened its policy and due times (it has no history yet)."""
    policies = active_policies()
    if not policies:
        return
    parents = category_parents() if ticket.category_id and _needs_parents(policies) else {}
    policy = policy_for(priority=ticket.priority, category_id=ticket.category_id, policies=policies, parents=parents)
    _apply(ticket, compute(ticket, policy, []))


# What a change must touch for the due times to move.
_SLA_INPUTS = {"priority", "category_id", "status"}


def follow_ticket(
    ticket: Ticket, *, changed: Iterable[str], status_change: StatusChange | None, actor: Any, actor_label: str,
) -> bool:
    """Recompute a ticket's SLA fields after a change, before it is saved; return whether any moved.

    `status_change` is the change being made (not yet in the history). A new line in the
    history names the policy when the change gave the ticket a different one.
    """
    changed = set(changed)
    answered_now = ticket.first_responded_at is not None and ticket.first_response_business_seconds is None
    if not (changed & _SLA_INPUTS) and not answered_now:
        return False
    policies = active_policies()
    if not policies and ticket.sla_policy_id is None:
        return False
    parents = category_parents() if ticket.category_id and _needs_parents(policies) else {}
    policy = policy_for(priority=ticket.priority, category_id=ticket.category_id, policies=policies, parents=parents)
    history = _status_changes([ticket.pk])[ticket.pk]
    if status_change is not None:
        history.append(status_change)
    old_policy_id = ticket.sla_policy_id
    moved = _apply(ticket, compute(ticket, policy, history))
    if ticket.sla_policy_id != old_policy_id:
        old_label = str(SLAPolicy.objects.filter(pk=old_policy_id).values_list("name", flat=True).first() or "") if old_policy_id else ""
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.SLA_POLICY, actor=actor, actor_label=actor_label[:200],
            old_value=str(old_policy_id or ""), new_value=str(ticket.sla_policy_id or ""),
            old_label=old_label[:255], new_label=(policy.name if policy else "")[:255],
            at=status_change[0] if status_change else timezone.now(),
        )
    return moved


def recompute_open_tickets(*, batch: int = RECOMPUTE_BATCH) -> int:
    """Recompute the SLA fields of every unresolved ticket (after a policy changed); return how many moved.

    Resolved and closed tickets keep theirs: a met or missed target is history. Works in
    batches by id, each in its own transaction with the rows locked, so agents' changes
    made meanwhile are not overwritten with stale values.
    """
    policies = active_policies()
    parents = category_parents() if _needs_parents(policies) else {}
    moved = 0
    last = 0
    while True:
        ids = list(
            Ticket.objects.filter(status__in=UNRESOLVED, pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return moved
        last = ids[-1]
        with transaction.atomic():
            tickets = list(Ticket.objects.select_for_update().filter(pk__in=ids, status__in=UNRESOLVED).order_by("pk"))
            histories = _status_changes([ticket.pk for ticket in tickets])
            dirty = []
            for ticket in tickets:
                policy = policy_for(priority=ticket.priority, category_id=ticket.category_id, policies=policies, parents=parents)
                if _apply(ticket, compute(ticket, policy, histories[ticket.pk])):
                    dirty.append(ticket)
            Ticket.objects.bulk_update(dirty, list(TICKET_SLA_FIELDS))
            moved += len(dirty)


# --- Where a ticket stands ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TargetStatus:
    """One SLA target of a ticket: its state, when it is (or was) due, when it was met or missed."""

    target: str
    state: str
    due: dt.datetime | None
    done_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        return str(SLATarget(self.target).label)

    @property
    def state_label(self) -> str:
        return str(SLAState(self.state).label)


def target_status(ticket: Ticket, target: str, now: dt.datetime) -> TargetStatus | None:
    """Return where `ticket` stands against `target`; None when it has neither a policy nor a due time."""
    if target == SLATarget.FIRST_RESPONSE:
        due, warn = ticket.first_response_due, ticket.first_response_warn_at
        # Resolving a ticket without a reply answers it too: the clock stops then.
        done = ticket.first_responded_at or ticket.resolved_at or ticket.closed_at
    else:
        due, warn = ticket.resolution_due, ticket.resolution_warn_at
        done = ticket.resolved_at if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else None
    if ticket.sla_policy_id is None and due is None:
        return None
    if done is not None:
        state = SLAState.MET if due is None or done <= due else SLAState.MISSED
        return TargetStatus(target, state, due, done)
    if due is None:
        return TargetStatus(target, SLAState.PAUSED, None)
    if due <= now:
        return TargetStatus(target, SLAState.BREACHED, due)
    if warn is not None and warn <= now:
        return TargetStatus(target, SLAState.AT_RISK, due)
    return TargetStatus(target, SLAState.ON_TRACK, due)


def ticket_sla(ticket: Ticket, now: dt.datetime | None = None) -> list[TargetStatus]:
    """Return both targets' status (first response, resolution); empty without a policy."""
    now = now or timezone.now()
    found = [target_status(ticket, target, now) for target in (SLATarget.FIRST_RESPONSE, SLATarget.RESOLUTION)]
    return [item for item in found if item is not None]


def next_target(ticket: Ticket, now: dt.datetime | None = None) -> TargetStatus | None:
    """Return the target a queue row shows: the first response while it is owed, else the resolution."""
    statuses = ticket_sla(ticket, now)
    if not statuses:
        return None
    first = statuses[0]
    if first.state in (SLAState.MET, SLAState.MISSED) and len(statuses) > 1:
        return statuses[1]
    return first

