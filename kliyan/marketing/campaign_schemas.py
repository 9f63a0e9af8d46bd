"""API shapes of campaigns: a campaign with its variants and progress, its results, the comparison report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input, PageOut
from kliyan.marketing.campaign_queries import ReportRow, Results, progress_percent
from kliyan.marketing.models import Campaign


class VariantIn(Input):
    template_id: int
    share: int = Field(100, description="Percent of the contacts (1–100); the shares add up to 100")


class CampaignIn(Input):
    name: str | None = None
    segment_id: int | None = None
    channel: str | None = Field(None, description="email, sms, whatsapp, facebook or instagram")
    scheduled_at: dt.datetime | None = Field(None, description="When to send; empty: as soon as it is scheduled")
    attribution_days: int | None = Field(None, description="Orders and unsubscriptions within this many days count (default 7)")
    coupon_code: str | None = Field(None, description="Printed by the {{ coupon_code }} placeholder")
    variants: list[VariantIn] | None = Field(None, description="Labelled A, B, … in this order; one variant: no A/B test")


class ScheduleIn(Input):
    at: dt.datetime | None = Field(None, description="Send at; empty: the campaign's own time, or now")


class VariantOut(Schema):
    id: int
    label: str
    template_id: int
    share: int


class CampaignOut(Schema):
    id: int
    name: str
    segment_id: int
    channel: str
    status: str
    scheduled_at: dt.datetime | None
    attribution_days: int
    coupon_code: str
    variants: list[VariantOut]
    total: int = Field(description="Contacts in the segment when sending started")
    queued: int = Field(description="Messages stored so far")
    progress: int = Field(description="0–100")
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CampaignPage(PageOut):
    items: list[CampaignOut]


class TallyOut(Schema):
    stored: int
    queued: int
    not_sent: dict[str, int] = Field(description="Messages not sent, by reason")
    sent: int
    delivered: int
    opened: int
    clicked: int
    failed: int
    bounced: int
    unsubscribed: int
    orders: int
    buyers: int
    revenue: Decimal
    conversion: float = Field(description="Buyers per message sent (0–1)")


class VariantResultOut(TallyOut):
    label: str
    template_id: int
    share: int


class ResultsOut(Schema):
    campaign_id: int
    currency: str
    attribution_days: int
    variants: list[VariantResultOut]
    total: TallyOut


class ReportRowOut(TallyOut):
    campaign_id: int
    name: str
    channel: str
    started_at: dt.datetime | None


class ReportOut(Schema):
    since: dt.date
    until: dt.date
    currency: str
    campaigns: list[ReportRowOut] = Field(description="Best revenue first")


def campaign_out(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.pk, "name": campaign.name, "segment_id": campaign.segment_id, "channel": campaign.channel,
        "status": campaign.status, "scheduled_at": campaign.scheduled_at, "attribution_days": campaign.attribution_days,
        "coupon_code": campaign.coupon_code,
        "variants": [{"id": v.pk, "label": v.label, "template_id": v.template_id, "share": v.share} for v in campaign.variants.all()],
        "total": campaign.total, "queued": campaign.queued, "progress": progress_percent(campaign),
        "started_at": campaign.started_at, "finished_at": campaign.finished_at, "created_by_id": campaign.created_by_id,
        "created_at": campaign.created_at, "updated_at": campaign.updated_at,
    }


def results_out(campaign: Campaign, results: Results) -> dict[str, Any]:
    return {
        "campaign_id": campaign.pk, "currency": results.currency, "attribution_days": campaign.attribution_days,
        "variants": [
            {"label": v.label, "template_id": v.template_id, "share": v.share, **tally.as_dict()} for v, tally in results.variants
        ],
        "total": results.total.as_dict(),
    }


def report_row_out(row: ReportRow) -> dict[str, Any]:
    c = row.campaign
    return {"campaign_id": c.pk, "name": c.name, "channel": c.channel, "started_at": c.started_at, **row.tally.as_dict()}


