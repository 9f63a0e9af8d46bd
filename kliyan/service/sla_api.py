"""API v1 for SLA policies, a ticket's SLA state, and the service desk reports.

Endpoints parse, check the permission, call kliyan.service.sla / reports, and render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from kliyan.accounts.access import Perm
from kliyan.contacts.schemas import Input
from kliyan.core.api_auth import actor
from kliyan.core.api_types import MAX_ID, ObjectId
from kliyan.core.errors import NotFound
from kliyan.service import queries, reports, sla
from kliyan.service.models import SLAPolicy

router = Router(tags=["service"])

CALENDAR_HELP = (
    '{"time_zone": "Europe/Bucharest", "weekly_hours": {"mon": [["09:00", "17:00"]], …}, "holidays": ["2026-12-25"]}; '
    'days left out are closed; "24:00" ends a day'
)


class CalendarIn(Schema):
    time_zone: str
    weekly_hours: dict[str, list[list[str]]] = Field(..., description="Weekday (mon … sun) → [start, end] pairs, HH:MM")
    holidays: list[str] = Field(default_factory=list, description="Local dates closed all day, YYYY-MM-DD")


class SLAPolicyIn(Input):
    name: str | None = None
    priority: str | None = Field(None, description="low, normal, high or urgent; empty for any")
    category: ObjectId | None = Field(None, description="Ticket category id (covers its subcategories); null for any")
    is_default: bool | None = Field(None, description="The policy for every ticket no other policy covers (one at most)")
    first_response_minutes: int | None = Field(None, description="Business minutes to the first response")
    resolution_minutes: int | None = Field(None, description="Business minutes to the resolution")
    calendar: dict[str, Any] | None = Field(None, description=CALENDAR_HELP)
    warn_at_percent: int | None = Field(None, description="Warn the assignee when this share of a budget is used (1-99)")
    warn_minutes_before: int | None = Field(None, description="…or this many business minutes before it runs out")
    active: bool | None = None


class SLAPolicyOut(Schema):
    id: int
    name: str
    priority: str
    category_id: int | None
    is_default: bool
    first_response_minutes: int
    resolution_minutes: int
    calendar: dict[str, Any]
    warn_at_percent: int | None
    warn_minutes_before: int | None
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class SLAPolicyList(Schema):
    items: list[SLAPolicyOut]


class TargetOut(Schema):
    target: str = Field(..., description="first_response or resolution")
    state: str = Field(..., description="on_track, at_risk, breached, met, missed or paused (waiting on the customer)")
    due: dt.datetime | None
    done_at: dt.datetime | None


class TicketSLAOut(Schema):
    ticket_id: int
    policy: SLAPolicyOut | None
    targets: list[TargetOut]


class Compliance(Schema):
    met: int
    missed: int
    share: float | None = Field(..., description="met / (met + missed); null when neither")


class ComplianceOut(Schema):
    first_response: Compliance
    resolution: Compliance


class BreakdownRow(Schema):
    id: int | None = Field(..., description="User or team id; null for unassigned / no team")
    name: str | None
    created: int
    resolved: int
    open: int
    sla: ComplianceOut


class TopRow(Schema):
    id: int
    name: str
    sku: str | None = None
    count: int


class ReportOut(Schema):
    period: dict[str, dt.date]
    team: int | None
    open_by_age: dict[str, int] = Field(..., description="Unresolved tickets now: under_1_day, 1_to_3_days, 3_to_7_days, over_7_days, total")
    tickets: dict[str, int] = Field(..., description="Tickets opened in the period: created, resolved, open (still)")
    sla: ComplianceOut
    median_seconds: dict[str, float | None] = Field(
        ..., description="first_response_business, first_response_calendar, resolution_business, resolution_calendar",
    )
    top_categories: list[TopRow]
    top_products: list[TopRow]
    agents: list[BreakdownRow]
    teams: list[BreakdownRow]
    csat: dict[str, Any] | None = Field(None, description="Customer satisfaction (the feedback app); null without it")


def policy_out(policy: SLAPolicy) -> dict[str, Any]:
    return {
        "id": policy.pk, "name": policy.name, "priority": policy.priority, "category_id": policy.category_id,
        "is_default": policy.is_default, "first_response_minutes": sla.minutes_of(policy.first_response_within),
        "resolution_minutes": sla.minutes_of(policy.resolution_within), "calendar": policy.calendar,
        "warn_at_percent": policy.warn_at_percent, "warn_minutes_before": policy.warn_minutes_before,
        "active": policy.active, "created_at": policy.created_at, "updated_at": policy.updated_at,
    }


def _policy(pk: int) -> SLAPolicy:
    policy = SLAPolicy.objects.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if policy is None:
        raise NotFound(_("There is no SLA policy with id %(id)s.") % {"id": pk})
    return policy


@router.get("/service/sla-policies", response=SLAPolicyList, summary="List SLA policies")
def sla_policy_list(request: HttpRequest) -> dict[str, Any]:
    actor(request, Perm.MANAGE_SERVICE)
    return {"items": [policy_out(policy) for policy in SLAPolicy.objects.order_by("-is_default", "name", "id")]}


@router.post("/service/sla-policies", response={201: SLAPolicyOut}, summary="Create an SLA policy")
def sla_policy_create(request: HttpRequest, payload: SLAPolicyIn) -> Status[dict[str, Any]]:
    user = actor(request, Perm.MANAGE_SERVICE)
    policy = sla.sla_policy_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, policy_out(policy))


@router.get("/service/sla-policies/{int:policy_id}", response=SLAPolicyOut, summary="Read an SLA policy")
def sla_policy_detail(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    actor(request, Perm.MANAGE_SERVICE)
    return policy_out(_policy(policy_id))


@router.patch("/service/sla-policies/{int:policy_id}", response=SLAPolicyOut, summary="Change or switch off an SLA policy")
def sla_policy_update(request: HttpRequest, policy_id: int, payload: SLAPolicyIn) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_SERVICE)
    policy = sla.sla_policy_update(actor=user, policy=_policy(policy_id), data=payload.model_dump(exclude_unset=True))
    return policy_out(policy)


@router.get("/tickets/{int:ticket_id}/sla", response=TicketSLAOut, summary="Where a ticket stands against its SLA targets")
def ticket_sla(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    actor(request, Perm.VIEW_TICKETS)
    ticket = queries.ticket_for_page(ticket_id) if 0 < ticket_id <= MAX_ID else None
    if ticket is None:
        raise NotFound(_("There is no ticket with id %(id)s.") % {"id": ticket_id})
    return {
        "ticket_id": ticket.pk,
        "policy": policy_out(ticket.sla_policy) if ticket.sla_policy else None,
        "targets": [
            {"target": item.target, "state": item.state, "due": item.due, "done_at": item.done_at}
            for item in sla.ticket_sla(ticket)
        ],
    }


@router.get("/service/reports", response=ReportOut, summary="Service desk figures for a period (and a team)")
def service_reports(
    request: HttpRequest,
    start: dt.date | None = Query(None, alias="from", description="First day (YYYY-MM-DD); 30 days before `to` by default"),
    end: dt.date | None = Query(None, alias="to", description="Last day, included; today by default"),
    team: ObjectId | None = Query(None, description="A team id; agents may ask only for their own teams"),
) -> dict[str, Any]:
    user = actor(request, Perm.VIEW_SERVICE_REPORTS)
    scope = reports.report_scope(user, team)
    first, last = reports.period(start, end)
    return reports.service_report(scope=scope, start=first, end=last)
