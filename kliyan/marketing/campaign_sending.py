"""Storing a campaign's messages: one per contact of its segment, a chunk at a time, resumable.

`run_campaigns` (the worker, every minute, and right after a campaign is scheduled for now)
starts the scheduled campaigns that are due and continues every "sending" one nobody holds.
`expand` takes the segment's contacts in id order after the stored cursor, splits each chunk
between the variants (a hash of campaign and contact, so a resumed run puts everyone where
the first run would have), stores the messages with outbox.queue_many under the keys
"campaign:<id>:<contact>" and saves the cursor and counts in the same transaction. A worker
killed mid-chunk rolls that chunk back and leaves its claim to lapse; the next run resumes
after the last committed chunk, and the keys make even a replayed chunk store nothing twice.
Delivery is the outbox's job; the campaign is "sent" once every message is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kliyan.core.errors import ValidationFailed
from kliyan.marketing import outbox, segments
from kliyan.marketing.choices import CampaignStatus
from kliyan.marketing.models import Campaign, CampaignVariant, Message

logger = logging.getLogger(__name__)

CHUNK = 1000
CLAIM = dt.timedelta(minutes=2)
# One run stops starting chunks after this long; the next minute's run carries on.
RUN_SECONDS = 50.0


def message_key(campaign_id: int, contact_id: int) -> str:
    return f"campaign:{campaign_id}:{contact_id}"


def bucket(campaign_id: int, contact_id: int) -> int:
    """Return 0–99 for a contact in a campaign: the same on every run, spread evenly."""
    digest = hashlib.sha256(f"{campaign_id}:{contact_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def assign(campaign_id: int, contact_ids: Sequence[int], variants: Sequence[CampaignVariant]) -> dict[int, list[int]]:
    """Return {variant id: contact ids}: each contact's bucket falls in one variant's share, in label order."""
    bounds: list[tuple[int, int]] = []
    upper = 0
    for variant in sorted(variants, key=lambda v: v.label):
        upper += variant.share
        bounds.append((upper, variant.pk))
    chosen: dict[int, list[int]] = {variant.pk: [] for variant in variants}
    for contact_id in contact_ids:
        slot = bucket(campaign_id, contact_id)
        # Shares add up to 100 (checked when scheduled); the last variant takes any remainder.
        variant_id = next((pk for limit, pk in bounds if slot < limit), bounds[-1][1])
        chosen[variant_id].append(contact_id)
    return chosen


def start_due(*, now: dt.datetime | None = None) -> list[int]:
    """Move the scheduled campaigns whose time has come to "sending"; return their ids."""
    now = now or timezone.now()
    started = []
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now).select_related("segment")
    for campaign in due:
        try:
            total = segments.count(campaign.segment.rule, now=now)
        except ValidationFailed:
            logger.warning("Campaign %s waits: the rule of segment %s has mistakes.", campaign.pk, campaign.segment_id)
            continue
        # Conditional: two workers starting the same campaign start it once.
        if Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SCHEDULED).update(
            status=CampaignStatus.SENDING, started_at=now, total=total, updated_at=now,
        ):
            started.append(campaign.pk)
    return started


def _claim(campaign_id: int, now: dt.datetime) -> dt.datetime | None:
    """Hold the campaign for this run; None when another worker holds it (or it is no longer sending)."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    mine = now + CLAIM + dt.timedelta(microseconds=random.randrange(1, 1_000_000))  # noqa: S311 - a tag, not a secret
    won = Campaign.objects.filter(free, pk=campaign_id, status=CampaignStatus.SENDING).update(claimed_until=mine)
    return mine if won else None


def expand(
    campaign_id: int, *, chunk: int = CHUNK, seconds: float = RUN_SECONDS,
    after_chunk: Callable[[Campaign], Any] | None = None,
) -> int:
    """Store the campaign's messages from its cursor on, a chunk per transaction; return how many were stored.

    `after_chunk` is called after each committed chunk (tests interrupt the run there).
    """
    started = time.monotonic()
    mine = _claim(campaign_id, timezone.now())
    if mine is None:
        return 0
    stored = 0
    while time.monotonic() - started < seconds:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().select_related("segment").get(pk=campaign_id)
            if campaign.status != CampaignStatus.SENDING or campaign.claimed_until != mine:
                return stored  # cancelled, or our claim lapsed and another worker took over
            done, count = _store_chunk(campaign, chunk)
            stored += count
            mine = timezone.now() + CLAIM
            campaign.claimed_until = None if done else mine
            campaign.save(update_fields=["cursor", "queued", "status", "finished_at", "claimed_until", "updated_at"])
        if done:
            return stored
        if after_chunk is not None:
            after_chunk(campaign)
    Campaign.objects.filter(pk=campaign_id, claimed_until=mine).update(claimed_until=None)
    return stored


def _store_chunk(campaign: Campaign, size: int) -> tuple[bool, int]:
    """Store the next `size` contacts' messages and move the cursor (in the caller's transaction)."""
    ids = list(
        segments.contacts_in(campaign.segment.rule).filter(pk__gt=campaign.cursor)
        .order_by("pk").values_list("pk", flat=True)[:size]
    )
    if not ids:
        campaign.status = CampaignStatus.SENT
        campaign.finished_at = timezone.now()
        return True, 0
    variants = list(campaign.variants.select_related("template"))
    coupon = {"coupon_code": campaign.coupon_code}
    stored = 0
    assigned = assign(campaign.pk, ids, variants)
    for variant in variants:
        contact_ids = assigned[variant.pk]
        if not contact_ids:
            continue
        stored += outbox.queue_many(
            contact_ids=contact_ids, channel=campaign.channel, purpose=campaign.purpose, template=variant.template,
            key_for=lambda cid: message_key(campaign.pk, cid), created_by=campaign.created_by,
            extra_for=lambda _cid: coupon,
        )
        # queue_many knows nothing of campaigns: tag the rows it just wrote (one UPDATE per variant).
        Message.objects.filter(
            idempotency_key__in=[message_key(campaign.pk, cid) for cid in contact_ids], campaign__isnull=True,
        ).update(campaign=campaign, variant=variant)
    campaign.cursor = ids[-1]
    campaign.queued += stored
    return False, stored


def run_campaigns(*, now: dt.datetime | None = None, seconds: float = RUN_SECONDS) -> int:
    """Start the due campaigns and continue every one still sending; return how many messages were stored."""
    started = time.monotonic()
    start_due(now=now)
    stored = 0
    for campaign_id in Campaign.objects.filter(status=CampaignStatus.SENDING).order_by("started_at", "id").values_list(
        "pk", flat=True,
    ):
        left = seconds - (time.monotonic() - started)
        if left <= 0:
            break
        try:
            stored += expand(campaign_id, seconds=left)
        except ValidationFailed:
            # A template lost its texts, or the rule broke, after scheduling: the campaign waits
            # (its claim lapses and the next run tries again) and the log says why.
            logger.exception("Campaign %s could not store its messages", campaign_id)
    return stored
