"""Service desk reports: open tickets by age, SLA compliance, medians, top categories and products,
and the same per agent and per team. One function builds the page's and the API's figures.

Everything is counted in the database (conditional aggregates, GROUP BY); medians too — with
PERCENTILE_CONT on PostgreSQL, and on SQLite by letting the database sort and reading the
middle row or two (ORDER BY … LIMIT 2 OFFSET n/2), so no list of values crosses into Python.
Both give the same number: the middle value, or the mean of the two middle values.

What counts:

* The period (`from`, `to`: dates in the organisation's time zone, both included) selects the
  tickets **opened** in it; every figure except "open by age" is about those tickets.
* "Open by age" is today's picture: the unresolved tickets in scope by how long ago they were
  opened (< 1 day, 1-3, 3-7, > 7 days).
* A target is **met** when it was done by its due time, **missed** when it was done late or
  its due time has passed undone; tickets without a policy, and targets neither done nor due
  yet, are in neither. Resolving a ticket without a reply stops its first-response clock too
  (as on the ticket page, `sla.target_status`). Compliance = met / (met + missed).
* Medians: calendar time from opening to the first response and to the resolution, and the
  business time (the policy's hours, waiting left out) stored on the ticket when it happened.

Who sees what (docs/permissions.md): `service.manage` every team; `service.reports` (agents)
the tickets of their own teams; others nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, can
from kliyan.accounts.models import Team
from kliyan.accounts.teams import team_ids_of
from kliyan.core.errors import AccessDenied, FieldErrors
from kliyan.service.choices import UNRESOLVED, TicketStatus
from kliyan.service.models import Ticket
from kliyan.service.queries import unresolved

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
TOP = 10
BREAKDOWN_LIMIT = 200
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("under_1_day", 0, 1), ("1_to_3_days", 1, 3), ("3_to_7_days", 3, 7), ("over_7_days", 7, None),
)


@dataclass(frozen=True)
class Scope:
    """The tickets a report covers: those of `team_ids`, or every ticket when None."""

    team_ids: tuple[int, ...] | None
    team: Team | None = None

    def tickets(self) -> QuerySet[Ticket]:
        qs = Ticket.objects.all()
        return qs if self.team_ids is None else qs.filter(team_id__in=self.team_ids)


def report_scope(user: Any, team_id: int | None) -> Scope:
    """Return what `user` may see, narrowed to `team_id` if given; raise AccessDenied otherwise."""
    team = None
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            errors = FieldErrors()
            errors.add("team", _("There is no team with id %(id)s.") % {"id": team_id})
            errors.raise_if_any()
    if can(user, Perm.MANAGE_SERVICE):
        return Scope((team_id,) if team_id is not None else None, team)
    if not can(user, Perm.VIEW_SERVICE_REPORTS):
        raise AccessDenied()
    own = tuple(team_ids_of(user))
    if team_id is not None:
        if team_id not in own:
            raise AccessDenied(_("You may only see the reports of your own teams."))
        return Scope((team_id,), team)
    return Scope(own)


def report_teams(user: Any) -> list[tuple[int, str]]:
    """Return the teams `user` may pick in the report's filter."""
    qs = Team.objects.order_by("name", "id")
    if not can(user, Perm.MANAGE_SERVICE):
        qs = qs.filter(pk__in=team_ids_of(user))
    return list(qs.values_list("pk", "name"))


def period(start: dt.date | None, end: dt.date | None, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """Return the period's first and last day (the last 30 days by default); check it is one."""
    today = today or timezone.localdate()
    end = end or today
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    errors = FieldErrors()
    if start > end:
        errors.add("to", _("The end of the period comes before its start."))
    elif (end - start).days >= MAX_DAYS:
        errors.add("from", _("A report covers at most %(days)d days.") % {"days": MAX_DAYS})
    errors.raise_if_any()
    return start, end


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )


# --- Conditions ------------------------------------------------------------------------------


def first_response_met() -> Q:
    answered = Q(first_responded_at__isnull=False, first_responded_at__lte=F("first_response_due"))
    resolved_unanswered = Q(first_responded_at__isnull=True, resolved_at__isnull=False, resolved_at__lte=F("first_response_due"))
    return Q(first_response_due__isnull=False) & (answered | resolved_unanswered)


def first_response_missed(now: dt.datetime) -> Q:
    answered_late = Q(first_responded_at__isnull=False, first_responded_at__gt=F("first_response_due"))
    resolved_late = Q(first_responded_at__isnull=True, resolved_at__isnull=False, resolved_at__gt=F("first_response_due"))
    overdue = Q(first_responded_at__isnull=True, resolved_at__isnull=True, first_response_due__lte=now)
    return Q(first_response_due__isnull=False) & (answered_late | resolved_late | overdue)


def resolution_met() -> Q:
    return Q(resolution_due__isnull=False, status__in=DONE, resolved_at__isnull=False, resolved_at__lte=F("resolution_due"))


def resolution_missed(now: dt.datetime) -> Q:
    late = Q(status__in=DONE, resolved_at__isnull=False, resolved_at__gt=F("resolution_due"))
    overdue = Q(status__in=UNRESOLVED, resolution_due__lte=now)
    return Q(resolution_due__isnull=False) & (late | overdue)


def _share(met: int, missed: int) -> float | None:
    return round(met / (met + missed), 4) if met + missed else None


def _compliance(met_response: int, missed_response: int, met_resolution: int, missed_resolution: int) -> dict[str, Any]:
    return {
        "first_response": {"met": met_response, "missed": missed_response, "share": _share(met_response, missed_response)},
        "resolution": {"met": met_resolution, "missed": missed_resolution, "share": _share(met_resolution, missed_resolution)},
    }


def _counts(now: dt.datetime) -> dict[str, Any]:
    """The conditional counts every table of the report shows (one aggregate or one GROUP BY)."""
    return {
        "created": Count("pk"),
        "resolved": Count("pk", filter=Q(status__in=DONE)),
        "open": Count("pk", filter=Q(status__in=UNRESOLVED)),
        "fr_met": Count("pk", filter=first_response_met()),
        "fr_missed": Count("pk", filter=first_response_missed(now)),
        "res_met": Count("pk", filter=resolution_met()),
        "res_missed": Count("pk", filter=resolution_missed(now)),
    }


def _row(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "created": values["created"], "resolved": values["resolved"], "open": values["open"],
        "sla": _compliance(values["fr_met"], values["fr_missed"], values["res_met"], values["res_missed"]),
    }


# --- Medians -----------------------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's PERCENTILE_CONT(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def _measures() -> dict[str, tuple[Any, Q]]:
    """Each median: the expression (seconds, or a duration) and which tickets it is taken over."""
    return {
        "first_response_calendar": (
            ExpressionWrapper(F("first_responded_at") - F("created_at"), output_field=DurationField()),
            Q(first_responded_at__isnull=False),
        ),
        "first_response_business": (F("first_response_business_seconds"), Q(first_response_business_seconds__isnull=False)),
        "resolution_calendar": (
            ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()),
            Q(status__in=DONE, resolved_at__isnull=False),
        ),
        "resolution_business": (F("resolution_business_seconds"), Q(resolution_business_seconds__isnull=False)),
    }


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


def medians(qs: QuerySet[Ticket]) -> dict[str, float | None]:
    """Return the median of each measure in seconds (None over no tickets)."""
    measures = _measures()
    if connection.vendor == "postgresql":
        found = qs.aggregate(**{
            name: PercentileCont(
                expression, filter=condition,
                output_field=DurationField() if isinstance(expression, ExpressionWrapper) else FloatField(),
            )
            for name, (expression, condition) in measures.items()
        })
        return {name: _seconds(found[name]) for name in measures}
    counts = qs.aggregate(**{name: Count("pk", filter=condition) for name, (_expr, condition) in measures.items()})
    out: dict[str, float | None] = {}
    for name, (expression, condition) in measures.items():
        n = counts[name]
        if not n:
            out[name] = None
            continue
        middle = (
            qs.filter(condition).annotate(measure=expression).order_by("measure")
            .values_list("measure", flat=True)[(n - 1) // 2: n // 2 + 1]
        )
        values = [_seconds(value) or 0.0 for value in middle]
        out[name] = sum(values) / len(values)
    return out


# --- The report ------------------------------------------------------------------------------------


def open_by_age(scope: Scope, now: dt.datetime) -> dict[str, int]:
    buckets = {}
    for key, low, high in AGE_BUCKETS:
        condition = Q(created_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - dt.timedelta(days=high))
        buckets[key] = Count("pk", filter=condition)
    found = scope.tickets().filter(unresolved()).aggregate(total=Count("pk"), **buckets)
    return {key: found[key] or 0 for key in [*buckets, "total"]}


def _top(qs: QuerySet[Ticket], field: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = (
        qs.filter(**{f"{field}__isnull": False}).values(field, *names).annotate(count=Count("pk"))
        .order_by("-count", field)[:TOP]
    )
    return [{"id": row[field], **{name.split("__")[-1]: row[name] for name in names}, "count": row["count"]} for row in rows]


def _breakdown(qs: QuerySet[Ticket], field: str, names: tuple[str, ...], now: dt.datetime) -> list[dict[str, Any]]:
    rows = qs.values(field, *names).annotate(**_counts(now)).order_by("-created", field)[:BREAKDOWN_LIMIT]
    return [{"id": row[field], **{name.split("__")[-1]: row[name] for name in names}, **_row(row)} for row in rows]


def _person(row: dict[str, Any]) -> str:
    full = f"{row.pop('first_name') or ''} {row.pop('last_name') or ''}".strip()
    username = row.pop("username")
    return full or username or ""


# --- Sections other apps add: CUSTOMER SATISFACTION (CSAT) goes here -------------------------------


@dataclass(frozen=True)
class ReportSection:
    """A part of the report another app provides (the feedback app's "csat").

    `build(scope, start, end)` returns the section's figures (JSON-ready) for the tickets of
    `scope` opened in [start, end); they appear under `key` in the API's answer, and the page
    includes `template` with them as `section` (and the whole report as `report`).
    """

    key: str
    build: Callable[[Scope, dt.datetime, dt.datetime], Any]
    template: str


SECTIONS: dict[str, ReportSection] = {}


def register_section(section: ReportSection) -> None:
    """Add a section to the report (call from an AppConfig.ready())."""
    SECTIONS[section.key] = section


def service_report(*, scope: Scope, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """Return the report's figures for tickets in `scope` opened from `start` to `end` (days, both included)."""
    now = now or timezone.now()
    low, high = _bounds(start, end)
    opened = scope.tickets().filter(created_at__gte=low, created_at__lt=high)
    totals = _row(opened.aggregate(**_counts(now)))
    agents = _breakdown(opened, "assignee_id", ("assignee__first_name", "assignee__last_name", "assignee__username"), now)
    for row in agents:
        row["name"] = _person(row) if row["id"] is not None else ""
    report: dict[str, Any] = {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "team": scope.team.pk if scope.team is not None else None,
        "open_by_age": open_by_age(scope, now),
        "tickets": {"created": totals["created"], "resolved": totals["resolved"], "open": totals["open"]},
        "sla": totals["sla"],
        "median_seconds": medians(opened),
        "top_categories": _top(opened, "category_id", ("category__name",)),
        "top_products": _top(opened, "product_id", ("product__name", "product__sku")),
        "agents": agents,
        "teams": _breakdown(opened, "team_id", ("team__name",), now),
        # Customer satisfaction: filled by the feedback app's section (register_section); None without it.
        "csat": None,
    }
    for section in SECTIONS.values():
        report[section.key] = section.build(scope, low, high)
    return report
