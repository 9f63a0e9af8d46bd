"""Campaigns: write, change, schedule, cancel and delete them, each change audited.

A campaign is checked in full before it may be scheduled (`check_ready`): the segment's rule,
every variant's template (active, for the channel, each text usable on it) and shares adding
up to 100. Storing its messages is marketing.campaign_sending's job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kliyan.core.api_types import MAX_ID
from kliyan.core.audit import record
from kliyan.core.errors import Conflict, FieldErrors, ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.marketing import rendering
from kliyan.marketing.choices import CampaignStatus, MessageChannel, MessageStatus, NotSentReason
from kliyan.marketing.cleaning import clean_name, found
from kliyan.marketing.models import Campaign, CampaignVariant, Message, MessageTemplate, Segment
from kliyan.marketing.segments import validate_rule

FIELDS = ("name", "segment_id", "channel", "scheduled_at", "attribution_days", "coupon_code", "variants")
AUDITED = ("name", "segment_id", "channel", "scheduled_at", "attribution_days", "coupon_code")
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
# A "sent" campaign has stored all its messages, but some may still wait (quiet hours, retries).
CANCELLABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.SENT)
LABELS = "ABCDEFGH"
COUPON_LIMIT = 50
MAX_ATTRIBUTION_DAYS = 365


def get_campaign(pk: Any) -> Campaign:
    """Return the campaign with id `pk`, or raise NotFound."""
    return found(Campaign, pk, _("There is no campaign with id %(id)s.") % {"id": pk})


# --- Cleaning input ----------------------------------------------------------------------

def _clean_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


def _clean_when(value: Any, errors: FieldErrors) -> dt.datetime | None:
    if value in (None, ""):
        return None
    when = value if isinstance(value, dt.datetime) else parse_datetime(value) if isinstance(value, str) else None
    if when is None:
        errors.add("scheduled_at", _("Give a date and time such as 2026-05-01T09:00."))
        return None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when


def _clean_variants(value: Any, errors: FieldErrors) -> list[dict[str, Any]]:
    """Return [{label, template_id, share}]; labels A, B, … in the order given."""
    if not isinstance(value, list) or not value:
        errors.add("variants", _("Give at least one variant: a template and its share."))
        return []
    if len(value) > len(LABELS):
        errors.add("variants", _("At most %(count)d variants.") % {"count": len(LABELS)})
        return []
    cleaned = []
    complete = True
    for index, item in enumerate(value):
        item = item if isinstance(item, Mapping) else {}
        template_id = _clean_id(item.get("template_id"))
        if template_id is None:
            errors.add(f"variants[{index}].template_id", _("Choose a template."))
            complete = False
        share = item.get("share", 100 if len(value) == 1 else None)
        if isinstance(share, str) and share.strip().isdigit():
            share = int(share)
        if isinstance(share, bool) or not isinstance(share, int) or not 1 <= share <= 100:
            errors.add(f"variants[{index}].share", _("Give a whole percentage from 1 to 100."))
            share, complete = 0, False
        cleaned.append({"label": LABELS[index], "template_id": template_id, "share": share})
    if complete and sum(v["share"] for v in cleaned) != 100:
        errors.add("variants", _("The shares add up to %(total)d %%; they must add up to 100 %%.") % {
            "total": sum(v["share"] for v in cleaned)})
    return cleaned


def _clean(data: Mapping[str, Any], *, campaign: Campaign | None) -> dict[str, Any]:
    """Return the cleaned fields present in `data` (all of them when creating)."""
    errors = FieldErrors()
    for key in data:
        if key not in FIELDS:
            errors.add(key, _("Unknown field."))
    creating = campaign is None
    cleaned: dict[str, Any] = {}
    if creating or "name" in data:
        cleaned["name"] = clean_name(data.get("name"), errors)
    if creating or "segment_id" in data:
        segment_id = _clean_id(data.get("segment_id"))
        if segment_id is None or not Segment.objects.filter(pk=segment_id).exists():
            errors.add("segment_id", _("Choose a saved segment."))
        cleaned["segment_id"] = segment_id
    if creating or "channel" in data:
        channel = data.get("channel")
        if channel not in MessageChannel.values:
            errors.add("channel", _("Choose one of: %(choices)s.") % {"choices": ", ".join(MessageChannel.values)})
        cleaned["channel"] = channel
    if "scheduled_at" in data:
        cleaned["scheduled_at"] = _clean_when(data.get("scheduled_at"), errors)
    if "attribution_days" in data:
        days = data.get("attribution_days")
        if isinstance(days, str) and days.strip().isdigit():
            days = int(days)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_ATTRIBUTION_DAYS:
            errors.add("attribution_days", _("Give a number of days from 1 to %(max)d.") % {"max": MAX_ATTRIBUTION_DAYS})
        cleaned["attribution_days"] = days
    if "coupon_code" in data:
        coupon = data.get("coupon_code") or ""
        if not isinstance(coupon, str) or len(coupon.strip()) > COUPON_LIMIT:
            errors.add("coupon_code", _("At most %(limit)d characters.") % {"limit": COUPON_LIMIT})
        cleaned["coupon_code"] = str(coupon).strip()
    if creating or "variants" in data:
        cleaned["variants"] = _clean_variants(data.get("variants"), errors)
    errors.raise_if_any()
    return cleaned


# --- Checking before anything is sent -----------------------------------------------------------

def check_ready(campaign: Campaign) -> None:
    """Refuse (ValidationFailed, every problem at once) a campaign that cannot be sent as it stands."""
    errors = FieldErrors()
    try:
        validate_rule(campaign.segment.rule)
    except ValidationFailed:
        errors.add("segment_id", _("The segment's rule has mistakes: fix the segment first."))
    variants = list(campaign.variants.select_related("template").prefetch_related("template__texts"))
    if not variants:
        errors.add("variants", _("Give at least one variant: a template and its share."))
    elif sum(v.share for v in variants) != 100:
        errors.add("variants", _("The shares add up to %(total)d %%; they must add up to 100 %%.") % {
            "total": sum(v.share for v in variants)})
    for index, variant in enumerate(variants):
        _check_template(variant.template, campaign.channel, f"variants[{index}].template_id", errors)
    errors.raise_if_any()


def _check_template(template: MessageTemplate, channel: str, field: str, errors: FieldErrors) -> None:
    if template.channel != channel:
        errors.add(field, _("“%(name)s” is a template for %(channel)s.") % {
            "name": template.name, "channel": template.get_channel_display()})
        return
    if not template.active:
        errors.add(field, _("“%(name)s” is switched off.") % {"name": template.name})
    texts = list(template.texts.all())
    if not texts:
        errors.add(field, _("“%(name)s” has no text yet.") % {"name": template.name})
    for text in texts:
        try:
            rendering.validate_text(channel=channel, subject=text.subject, body=text.body)
        except ValidationFailed as error:
            for messages in error.field_errors.values():
                for message in messages:
                    errors.add(field, _("“%(name)s” (%(language)s): %(problem)s") % {
                        "name": template.name, "language": text.language, "problem": message})


def _check_templates_exist(variants: Sequence[Mapping[str, Any]], channel: str | None) -> None:
    errors = FieldErrors()
    templates = MessageTemplate.objects.in_bulk([v["template_id"] for v in variants])
    for index, variant in enumerate(variants):
        template = templates.get(variant["template_id"])
        if template is None:
            errors.add(f"variants[{index}].template_id", _("There is no template with id %(id)s.") % {
                "id": variant["template_id"]})
        elif channel and template.channel != channel:
            errors.add(f"variants[{index}].template_id", _("“%(name)s” is a template for %(channel)s.") % {
                "name": template.name, "channel": template.get_channel_display()})
    errors.raise_if_any()


# --- Writes -----------------------------------------------------------------------------

def _state(campaign: Campaign) -> dict[str, Any]:
    state = {name: getattr(campaign, name) for name in AUDITED}
    state["variants"] = [
        {"label": v.label, "template_id": v.template_id, "share": v.share} for v in campaign.variants.order_by("label")
    ]
    return state


def _replace_variants(campaign: Campaign, variants: Sequence[Mapping[str, Any]]) -> None:
    campaign.variants.all().delete()
    CampaignVariant.objects.bulk_create([CampaignVariant(campaign=campaign, **v) for v in variants])


@transaction.atomic
def campaign_create(*, actor: Any, data: Mapping[str, Any]) -> Campaign:
    """Write a draft campaign: a name, a segment, a channel, variants; scheduling it is a separate step."""
    cleaned = _clean(data, campaign=None)
    variants = cleaned.pop("variants")
    _check_templates_exist(variants, cleaned["channel"])
    campaign = Campaign.objects.create(**cleaned, created_by=actor if getattr(actor, "is_authenticated", False) else None)
    _replace_variants(campaign, variants)
    record(actor=actor, action=AuditAction.CREATE, instance=campaign, after=_state(campaign))
    return campaign


def _locked(campaign: Campaign, allowed: Sequence[str], refusal: str) -> Campaign:
    campaign = Campaign.objects.select_for_update().select_related("segment").get(pk=campaign.pk)
    if campaign.status not in allowed:
        raise Conflict(refusal % {"status": campaign.get_status_display()})
    return campaign


@transaction.atomic
def campaign_update(*, actor: Any, campaign: Campaign, data: Mapping[str, Any]) -> Campaign:
    """Change a draft or scheduled campaign; once it is sending, only cancelling is left."""
    campaign = _locked(campaign, EDITABLE, _("A campaign can no longer be changed once it is %(status)s."))
    cleaned = _clean(data, campaign=campaign)
    before = _state(campaign)
    variants = cleaned.pop("variants", None)
    for name, value in cleaned.items():
        setattr(campaign, name, value)
    if variants is not None:
        _check_templates_exist(variants, campaign.channel)
    elif "channel" in cleaned:
        _check_templates_exist(before["variants"], campaign.channel)
    campaign.save()
    if variants is not None:
        _replace_variants(campaign, variants)
    if campaign.status == CampaignStatus.SCHEDULED:
        check_ready(campaign)  # a scheduled campaign stays sendable, or the change is refused
    after = _state(campaign)
    changed = [name for name in after if before[name] != after[name]]
    if changed:
        record(actor=actor, action=AuditAction.UPDATE, instance=campaign,
               before={n: before[n] for n in changed}, after={n: after[n] for n in changed})
    return campaign


@transaction.atomic
def campaign_schedule(*, actor: Any, campaign: Campaign, at: dt.datetime | None = None) -> Campaign:
    """Check the campaign in full and schedule it for `at` (or its own time; none: now)."""
    campaign = _locked(campaign, EDITABLE, _("A campaign that is %(status)s cannot be scheduled."))
    check_ready(campaign)
    before = {"status": campaign.status, "scheduled_at": campaign.scheduled_at}
    campaign.status = CampaignStatus.SCHEDULED
    campaign.scheduled_at = at or campaign.scheduled_at or timezone.now()
    campaign.save(update_fields=["status", "scheduled_at", "updated_at"])
    record(actor=actor, action=AuditAction.UPDATE, instance=campaign, before=before,
           after={"status": campaign.status, "scheduled_at": campaign.scheduled_at})
    if campaign.scheduled_at <= timezone.now():
        from kliyan.marketing.campaign_tasks import run_campaigns

        # Due now: start storing its messages in seconds, not at the next minute's run.
        transaction.on_commit(run_campaigns.enqueue)
    return campaign


@transaction.atomic
def campaign_cancel(*, actor: Any, campaign: Campaign) -> int:
    """Call a campaign off; its messages still waiting become "not sent: campaign cancelled". Return how many."""
    campaign = _locked(campaign, CANCELLABLE, _("A campaign that is %(status)s cannot be cancelled."))
    now = timezone.now()
    before = {"status": campaign.status}
    campaign.status = CampaignStatus.CANCELLED
    campaign.finished_at = now
    campaign.claimed_until = None
    campaign.save(update_fields=["status", "finished_at", "claimed_until", "updated_at"])
    # Messages a worker holds right now are in the provider's hands already: they keep their
    # real outcome rather than a "not sent" that might be false.
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    withdrawn = Message.objects.filter(free, campaign=campaign, status=MessageStatus.QUEUED).update(
        status=MessageStatus.NOT_SENT, reason=NotSentReason.CANCELLED, reason_at=now, updated_at=now,
    )
    record(actor=actor, action=AuditAction.UPDATE, instance=campaign, before=before,
           after={"status": campaign.status, "messages_withdrawn": withdrawn})
    return withdrawn


@transaction.atomic
def campaign_delete(*, actor: Any, campaign: Campaign) -> None:
    """Delete a draft (it has no messages); a campaign that was scheduled keeps its history: cancel it."""
    campaign = _locked(campaign, (CampaignStatus.DRAFT,), _("Only a draft can be deleted; this campaign is %(status)s."))
    before = _state(campaign)
    pk, label = campaign.pk, str(campaign)
    campaign.delete()
    record(actor=actor, action=AuditAction.DELETE, object_type_label="marketing.campaign", object_id=str(pk),
           label=label, before=before)
