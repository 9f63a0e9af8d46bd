"""Reads of campaigns: the list, one campaign with its variants, its results, and the comparison report.

Results are counted from the outbox (Message.campaign / .variant), never a query per message:
one aggregate of the messages, one of the unsubscriptions and one of the orders per campaign
(the report: one of each per attribution window in use, usually one). An order counts when
the contact placed it (status in PURCHASE_STATUSES) within `attribution_days` after their
message left; revenue is in the organisation's currency at the rate of the order's day
(orders in a currency without a rate are counted but left out of the revenue).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from kliyan.commerce.choices import PURCHASE_STATUSES
from kliyan.commerce.models import Order
from kliyan.commerce.money import WIDE, ZERO, organisation_currency, quantize, rate_on_order_day
from kliyan.contacts.choices import ConsentMethod, ConsentStatus
from kliyan.contacts.models import ConsentEvent
from kliyan.core.pagination import Page, keyset_page
from kliyan.marketing.choices import MessageStatus, NotSentReason
from kliyan.marketing.models import Campaign, CampaignVariant, Message

ORDERING = ["-created_at", "-id"]
TOTAL = "total"


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("segment").order_by(*ORDERING)


def campaign_page(*, cursor: str | None, size: int) -> Page:
    return keyset_page(campaign_list(), ordering=ORDERING, cursor=cursor, size=size)


def campaign_with_variants(pk: int) -> Campaign | None:
    return (
        Campaign.objects.select_related("segment", "created_by")
        .prefetch_related(_variants()).filter(pk=pk).first()
    )


def _variants() -> Any:
    from django.db.models import Prefetch

    return Prefetch("variants", queryset=CampaignVariant.objects.select_related("template").order_by("label"))


def progress_percent(campaign: Campaign) -> int:
    """Return how far storing the messages has come, 0–100 (the segment may have grown since it was counted)."""
    if campaign.status in ("sent",):
        return 100
    if not campaign.total:
        return 0
    return min(99, campaign.queued * 100 // campaign.total)


@dataclass
class Tally:
    """The results of one variant, or of the whole campaign."""

    stored: int = 0
    queued: int = 0
    not_sent: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    failed: int = 0
    bounced: int = 0
    unsubscribed: int = 0
    orders: int = 0
    buyers: int = 0
    revenue: Decimal = ZERO

    @property
    def conversion(self) -> float:
        """Buyers per message that left (0–1)."""
        return self.buyers / self.sent if self.sent else 0.0

    @property
    def not_sent_total(self) -> int:
        return sum(self.not_sent.values())

    def not_sent_labelled(self) -> list[tuple[str, int]]:
        """Return (reason in words, count), most first: what a page shows."""
        labels = dict(NotSentReason.choices)
        return sorted(((str(labels.get(r, r)), n) for r, n in self.not_sent.items()), key=lambda pair: -pair[1])

    def add(self, other: Tally) -> None:
        for name in ("stored", "queued", "sent", "delivered", "opened", "clicked", "failed", "bounced", "unsubscribed",
                     "orders", "buyers"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.revenue += other.revenue
        for reason, count in other.not_sent.items():
            self.not_sent[reason] = self.not_sent.get(reason, 0) + count

    def as_dict(self) -> dict[str, Any]:
        return {
            "stored": self.stored, "queued": self.queued, "not_sent": dict(self.not_sent), "sent": self.sent,
            "delivered": self.delivered, "opened": self.opened, "clicked": self.clicked, "failed": self.failed,
            "bounced": self.bounced, "unsubscribed": self.unsubscribed, "orders": self.orders, "buyers": self.buyers,
            "revenue": quantize(self.revenue), "conversion": round(self.conversion, 4),
        }


def _left() -> Q:
    """Messages that reached the provider (status callbacks may move them on; the sent time stays)."""
    return Q(sent_at__isnull=False)


def _unsubscribed(window: dt.timedelta) -> Exists:
    return Exists(ConsentEvent.objects.filter(
        contact_id=OuterRef("contact_id"), channel=OuterRef("channel"), method=ConsentMethod.UNSUBSCRIBE,
        status=ConsentStatus.WITHDRAWN, at__gte=OuterRef("sent_at"), at__lt=OuterRef("sent_at") + window,
    ))


def _message_tallies(campaign_ids: list[int], window: dt.timedelta, by: str) -> dict[Any, Tally]:
    """Count the messages of the campaigns grouped by `by` ("variant_id" or "campaign_id"): two queries."""
    tallies: dict[Any, Tally] = defaultdict(Tally)
    rows = (
        Message.objects.filter(campaign_id__in=campaign_ids).annotate(unsubscribed=_unsubscribed(window))
        .values(by).order_by()
        .annotate(
            stored=Count("id"), queued=Count("id", filter=Q(status=MessageStatus.QUEUED)), sent=Count("id", filter=_left()),
            delivered=Count("id", filter=Q(delivered_at__isnull=False)),
            opened=Count("id", filter=Q(opened_at__isnull=False)), clicked=Count("id", filter=Q(clicked_at__isnull=False)),
            failed=Count("id", filter=Q(status=MessageStatus.FAILED)), bounced=Count("id", filter=Q(status=MessageStatus.BOUNCED)),
            unsubscribed_count=Count("id", filter=_left() & Q(unsubscribed=True)),
        )
    )
    for row in rows:
        tally = tallies[row[by]]
        for name in ("stored", "queued", "sent", "delivered", "opened", "clicked", "failed", "bounced"):
            setattr(tally, name, row[name])
        tally.unsubscribed = row["unsubscribed_count"]
    reasons = (
        Message.objects.filter(campaign_id__in=campaign_ids, status=MessageStatus.NOT_SENT)
        .values_list(by, "reason").order_by().annotate(count=Count("id"))
    )
    for key, reason, count in reasons:
        tallies[key].not_sent[reason or NotSentReason.GAVE_UP] = count
    return tallies


def _order_tallies(campaign_ids: list[int], window: dt.timedelta, by: str) -> dict[Any, Tally]:
    """Sum the recipients' orders placed within `window` after their message left: one query.

    A contact has one message per campaign (its idempotency key), so joining orders to the
    campaign's messages counts each order once per campaign.
    """
    sent_at = F("contact__messages__sent_at")
    rows = (
        Order.objects.filter(
            contact__messages__campaign_id__in=campaign_ids, contact__messages__sent_at__isnull=False,
            status__in=PURCHASE_STATUSES, ordered_at__gte=sent_at, ordered_at__lt=sent_at + window,
        )
        .annotate(rate=rate_on_order_day(), group=F(f"contact__messages__{by}"))
        .values("group").order_by()
        .annotate(
            orders=Count("id"), buyers=Count("contact_id", distinct=True),
            revenue=Sum(F("total") * F("rate"), output_field=WIDE),
        )
    )
    tallies: dict[Any, Tally] = defaultdict(Tally)
    for row in rows:
        tally = tallies[row["group"]]
        tally.orders, tally.buyers, tally.revenue = row["orders"], row["buyers"], row["revenue"] or ZERO
    return tallies


def _merge(*parts: dict[Any, Tally]) -> dict[Any, Tally]:
    merged: dict[Any, Tally] = defaultdict(Tally)
    for part in parts:
        for key, tally in part.items():
            merged[key].add(tally)
    return merged


@dataclass
class Results:
    currency: str
    variants: list[tuple[CampaignVariant, Tally]]
    total: Tally


def campaign_results(campaign: Campaign) -> Results:
    """Return the campaign's results per variant and in total (four queries, whatever its size)."""
    window = dt.timedelta(days=campaign.attribution_days)
    by_variant = _merge(_message_tallies([campaign.pk], window, "variant_id"), _order_tallies([campaign.pk], window, "variant_id"))
    variants = list(campaign.variants.all())  # prefetched by campaign_with_variants
    total = Tally()
    for tally in by_variant.values():
        total.add(tally)
    return Results(
        currency=organisation_currency(), variants=[(v, by_variant.get(v.pk, Tally())) for v in variants], total=total,
    )


@dataclass
class ReportRow:
    campaign: Campaign
    tally: Tally


def promotion_report(*, since: dt.datetime, until: dt.datetime) -> list[ReportRow]:
    """Return the campaigns started in [since, until), best revenue first: which promotion worked.

    A few queries: the campaigns, then messages and orders once per attribution window in use.
    """
    campaigns = list(
        Campaign.objects.filter(started_at__gte=since, started_at__lt=until).select_related("segment").order_by("started_at", "id")
    )
    windows: dict[int, list[int]] = defaultdict(list)
    for campaign in campaigns:
        windows[campaign.attribution_days].append(campaign.pk)
    tallies: dict[int, Tally] = {}
    for days, ids in windows.items():
        window = dt.timedelta(days=days)
        tallies.update(_merge(_message_tallies(ids, window, "campaign_id"), _order_tallies(ids, window, "campaign_id")))
    rows = [ReportRow(campaign=c, tally=tallies.get(c.pk, Tally())) for c in campaigns]
    rows.sort(key=lambda row: (-row.tally.revenue, -row.tally.conversion, row.campaign.pk))
    return rows


def report_period(since: dt.date | None, until: dt.date | None, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """Return the report's days: by default the last 90 days up to today."""
    until = until or today
    since = since or until - dt.timedelta(days=89)
    return since, until


