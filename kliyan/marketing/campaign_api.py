"""API v1: campaigns — write, schedule and cancel them (marketing.manage); read them and their results (messages.send).

Endpoints parse, check the permission, call kliyan.marketing.campaign_services or the queries, and render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from kliyan.accounts.access import Perm
from kliyan.commerce.money import organisation_currency, organisation_timezone, organisation_today
from kliyan.contacts.api import LIMIT
from kliyan.core.api_auth import actor
from kliyan.core.errors import NotFound, ValidationFailed
from kliyan.marketing import campaign_queries as queries
from kliyan.marketing import campaign_services as services
from kliyan.marketing.campaign_schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPage,
    ReportOut,
    ResultsOut,
    ScheduleIn,
    campaign_out,
    report_row_out,
    results_out,
)
from kliyan.marketing.models import Campaign

router = Router(tags=["campaigns"])


def _campaign(pk: int) -> Campaign:
    campaign = queries.campaign_with_variants(pk) if 0 < pk < 2**63 else None
    if campaign is None:
        raise NotFound(_("There is no campaign with id %(id)s.") % {"id": pk})
    return campaign


@router.get("/campaigns", response=CampaignPage, summary="List campaigns, newest first")
def campaign_list(request: HttpRequest, cursor: str | None = None, limit: int = LIMIT) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    page = queries.campaign_page(cursor=cursor, size=limit)
    return {"items": [campaign_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.post("/campaigns", response={201: CampaignOut}, summary="Write a campaign (a draft until it is scheduled)")
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    user = actor(request, Perm.MANAGE_MARKETING)
    campaign = services.campaign_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, campaign_out(_campaign(campaign.pk)))


@router.get("/campaigns/report", response=ReportOut, summary="Which promotion worked: campaigns started in a period compared")
def campaign_report(request: HttpRequest, since: dt.date | None = None, until: dt.date | None = None) -> dict[str, Any]:
    """Revenue, orders and conversion (buyers / sent) of each campaign started between `since` and `until` (days, inclusive)."""
    actor(request, Perm.SEND_MESSAGES)
    since, until = queries.report_period(since, until, today=organisation_today())
    if since > until:
        raise ValidationFailed(field_errors={"since": [_("The start comes after the end.")]})
    zone = organisation_timezone()
    rows = queries.promotion_report(
        since=dt.datetime.combine(since, dt.time.min, zone), until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, zone),
    )
    return {"since": since, "until": until, "currency": organisation_currency(), "campaigns": [report_row_out(r) for r in rows]}


@router.get("/campaigns/{int:campaign_id}", response=CampaignOut, summary="Read a campaign, its variants and progress")
def campaign_detail(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    return campaign_out(_campaign(campaign_id))


@router.patch("/campaigns/{int:campaign_id}", response=CampaignOut, summary="Change a draft or scheduled campaign")
def campaign_update(request: HttpRequest, campaign_id: int, payload: CampaignIn) -> dict[str, Any]:
    """Refused (409) once it is sending; `variants`, when given, replace all of them."""
    user = actor(request, Perm.MANAGE_MARKETING)
    services.campaign_update(actor=user, campaign=_campaign(campaign_id), data=payload.model_dump(exclude_unset=True))
    return campaign_out(_campaign(campaign_id))


@router.delete("/campaigns/{int:campaign_id}", response={204: None}, summary="Delete a draft campaign")
def campaign_delete(request: HttpRequest, campaign_id: int) -> Status[None]:
    user = actor(request, Perm.MANAGE_MARKETING)
    services.campaign_delete(actor=user, campaign=_campaign(campaign_id))
    return Status(204, None)


@router.post("/campaigns/{int:campaign_id}/schedule", response=CampaignOut, summary="Check a campaign and schedule it")
def campaign_schedule(request: HttpRequest, campaign_id: int, payload: ScheduleIn) -> dict[str, Any]:
    """422 naming each problem (segment rule, templates, shares) before anything is sent."""
    user = actor(request, Perm.MANAGE_MARKETING)
    services.campaign_schedule(actor=user, campaign=_campaign(campaign_id), at=payload.at)
    return campaign_out(_campaign(campaign_id))


@router.post("/campaigns/{int:campaign_id}/cancel", response=CampaignOut, summary="Cancel a campaign; its waiting messages are not sent")
def campaign_cancel(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_MARKETING)
    services.campaign_cancel(actor=user, campaign=_campaign(campaign_id))
    return campaign_out(_campaign(campaign_id))


@router.get("/campaigns/{int:campaign_id}/results", response=ResultsOut, summary="Results per variant and in total")
def campaign_results(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    campaign = _campaign(campaign_id)
    return results_out(campaign, queries.campaign_results(campaign))
