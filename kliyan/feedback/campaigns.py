"""NPS campaigns: ask many contacts at once, in batches, in the background, with progress.

`campaign_create` checks the request and stores the campaign; a task (`run_nps_campaign`)
then creates the invitations a batch at a time. Each batch — its invitations, their audit
entries and the campaign's progress and cursor (the last contact id done) — is one
transaction taken under the campaign's row lock, so a retried, resumed or doubled run
carries on where the last batch stopped and never invites anyone twice (the unique
(campaign, contact) constraint is the last guard).

Who is asked: every active contact with an e-mail address who has not withdrawn e-mail
consent, the contacts of a saved segment (kliyan.marketing.segments; its rule as the campaign
starts), or a list of contact ids (API).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.contacts.choices import ConsentChannel, ConsentStatus
from kliyan.contacts.models import Consent, Contact
from kliyan.core.audit import record, record_many
from kliyan.core.errors import FieldErrors, NotFound, ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.feedback.choices import Audience, CampaignStatus, SurveyChannel, SurveyKind
from kliyan.feedback.models import NpsCampaign, SurveyInvitation
from kliyan.feedback.services import channel_for, invitation_audit_row, language_for, new_invitation

BATCH_SIZE = 2000
NAME_LIMIT = 200
MAX_LISTED_CONTACTS = 100_000
# A run that has not moved for this long is taken as stopped (its worker died): it may be resumed.
STALLED_AFTER_SECONDS = 600
FIELDS = {"name", "audience", "contact_ids", "segment_id"}
CONTACT_COLUMNS = ("pk", "language", "primary_email", "primary_phone", "preferred_channel", "email_withdrawn")


def _email_withdrawn() -> Exists:
    return Exists(Consent.objects.filter(
        contact=OuterRef("pk"), channel=ConsentChannel.EMAIL, status=ConsentStatus.WITHDRAWN,
    ))


def audience_queryset(audience: str, rule: Any = None) -> QuerySet:
    """Return the contacts an audience asks, by id (the campaign's cursor walks them in that order)."""
    if audience == Audience.SEGMENT:
        from kliyan.marketing.segments import contacts_in

        return contacts_in(rule).annotate(email_withdrawn=_email_withdrawn()).order_by("pk")
    contacts = Contact.objects.annotate(email_withdrawn=_email_withdrawn())
    if audience == Audience.ALL_WITH_EMAIL:
        contacts = contacts.filter(archived_at__isnull=True).exclude(primary_email="").filter(email_withdrawn=False)
    return contacts.order_by("pk")


def _clean_contact_ids(value: Any, errors: FieldErrors) -> list[int]:
    if not isinstance(value, list | tuple) or not value:
        errors.add("contact_ids", _("Send a list of contact ids."))
        return []
    if len(value) > MAX_LISTED_CONTACTS:
        errors.add("contact_ids", _("At most %(limit)d contacts per campaign.") % {"limit": MAX_LISTED_CONTACTS})
        return []
    ids: set[int] = set()
    malformed = False
    for n, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).isdigit() or not 0 < int(item) < 2**63:
            errors.add(f"contact_ids.{n}", _("“%(value)s” is not a valid id.") % {"value": item})
            malformed = True
            continue
        ids.add(int(item))
    if malformed:
        return []
    ordered = sorted(ids)
    found: set[int] = set()
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start:start + 5000]
        found.update(Contact.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    missing = [pk for pk in ordered if pk not in found]
    if missing:
        shown = ", ".join(str(pk) for pk in missing[:10]) + (" …" if len(missing) > 10 else "")
        errors.add("contact_ids", _("There are no contacts with these ids: %(ids)s.") % {"ids": shown})
    return ordered


def clean_campaign(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the campaign's name, audience and contact ids, or raise ValidationFailed naming each field."""
    errors = FieldErrors()
    for key in data:
        if key not in FIELDS:
            errors.add(key, _("Unknown field."))
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors.add("name", _("This field is required."))
    elif len(name) > NAME_LIMIT:
        errors.add("name", _("At most %(limit)d characters.") % {"limit": NAME_LIMIT})
    audience = str(data.get("audience") or "")
    contact_ids: list[int] = []
    segment = None
    if audience not in Audience.values:
        errors.add("audience", _("Choose who is asked: %(choices)s.") % {"choices": ", ".join(Audience.values)})
    elif audience == Audience.CONTACT_LIST:
        contact_ids = _clean_contact_ids(data.get("contact_ids"), errors)
    elif data.get("contact_ids"):
        errors.add("contact_ids", _("Contact ids go with the audience “%(audience)s”.") % {"audience": Audience.CONTACT_LIST})
    if audience == Audience.SEGMENT:
        segment = _clean_segment(data.get("segment_id"), errors)
    elif data.get("segment_id"):
        errors.add("segment_id", _("A segment goes with the audience “%(audience)s”.") % {"audience": Audience.SEGMENT})
    errors.raise_if_any()
    return {"name": name, "audience": audience, "contact_ids": contact_ids, "segment": segment,
            "segment_rule": segment.rule if segment else None}


def _clean_segment(value: Any, errors: FieldErrors) -> Any:
    """Return the saved segment `value` names, if it exists and its rule is sound."""
    from kliyan.marketing.models import Segment
    from kliyan.marketing.segments import validate_rule

    if value in (None, ""):
        errors.add("segment_id", _("Choose a segment."))
        return None
    segment = Segment.objects.filter(pk=value).first() if str(value).isdigit() and int(value) < 2**63 else None
    if segment is None:
        errors.add("segment_id", _("There is no segment with id %(id)s.") % {"id": value})
        return None
    try:
        validate_rule(segment.rule)
    except ValidationFailed:
        errors.add("segment_id", _("The rule of this segment has mistakes; correct it on the segment's page first."))
        return None
    return segment


@transaction.atomic
def campaign_create(*, actor: Any, data: Mapping[str, Any]) -> NpsCampaign:
    """Store an NPS campaign and start the task that invites its contacts (after the commit)."""
    cleaned = clean_campaign(data)
    if cleaned["audience"] == Audience.CONTACT_LIST:
        total = len(cleaned["contact_ids"])
    else:
        total = audience_queryset(cleaned["audience"], cleaned["segment_rule"]).count()
    campaign = NpsCampaign.objects.create(
        **cleaned, total=total, created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record(actor=actor, action=AuditAction.CREATE, instance=campaign, after={
        "name": campaign.name, "audience": campaign.audience, "segment": campaign.segment_id, "total": total,
    })
    _start_after_commit(campaign.pk)
    return campaign


def _start_after_commit(campaign_id: int) -> None:
    from kliyan.feedback.tasks import run_nps_campaign

    transaction.on_commit(lambda: run_nps_campaign.enqueue(campaign_id))


def is_stalled(campaign: NpsCampaign) -> bool:
    """Return whether the campaign stopped before the end: it failed, or its run has not moved for a while."""
    if campaign.status == CampaignStatus.FAILED:
        return True
    return campaign.is_active and (timezone.now() - campaign.updated_at).total_seconds() > STALLED_AFTER_SECONDS


@transaction.atomic
def campaign_resume(*, actor: Any, campaign: NpsCampaign) -> NpsCampaign:
    """Start a failed or stalled campaign again from where it stopped."""
    locked = NpsCampaign.objects.select_for_update().get(pk=campaign.pk)
    if not is_stalled(locked):
        raise ValidationFailed(_("This campaign is not stopped."), field_errors={"status": [_("This campaign is not stopped.")]})
    locked.status, locked.error, locked.updated_at = CampaignStatus.QUEUED, "", timezone.now()
    locked.save(update_fields=["status", "error", "updated_at"])
    record(actor=actor, action=AuditAction.UPDATE, instance=locked, before={"status": campaign.status}, after={"status": locked.status})
    _start_after_commit(locked.pk)
    return locked


def _batch_rows(campaign: NpsCampaign, batch_size: int) -> list[dict[str, Any]]:
    if campaign.audience == Audience.CONTACT_LIST:
        ids = campaign.contact_ids
        start = bisect.bisect_right(ids, campaign.cursor)
        chunk = ids[start:start + batch_size]
        if not chunk:
            return []
        rows = list(audience_queryset(Audience.CONTACT_LIST).filter(pk__in=chunk).values(*CONTACT_COLUMNS))
        # Contacts erased since the campaign was made are passed over; the cursor still moves past them.
        return rows or [{"pk": chunk[-1], "skip": True}]
    contacts = audience_queryset(campaign.audience, campaign.segment_rule)
    return list(contacts.filter(pk__gt=campaign.cursor).values(*CONTACT_COLUMNS)[:batch_size])


def _channel(campaign: NpsCampaign, row: Mapping[str, Any]) -> str:
    if campaign.audience == Audience.ALL_WITH_EMAIL:
        return SurveyChannel.EMAIL  # the audience is defined by its e-mail addresses
    email = "" if row["email_withdrawn"] else row["primary_email"]
    return channel_for(email=email, phone=row["primary_phone"], preferred=row["preferred_channel"])


def _run_batch(campaign_id: int, batch_size: int) -> bool:
    """Invite the next batch of contacts; return False when there is nothing left (the campaign is done)."""
    with transaction.atomic():
        campaign = (
            NpsCampaign.objects.select_for_update(of=("self",)).select_related("created_by").filter(pk=campaign_id).first()
        )
        if campaign is None or campaign.status not in (CampaignStatus.QUEUED, CampaignStatus.RUNNING):
            return False
        rows = _batch_rows(campaign, batch_size)
        now = timezone.now()
        if not rows:
            NpsCampaign.objects.filter(pk=campaign_id).update(
                status=CampaignStatus.DONE, finished_at=now, processed=campaign.total, updated_at=now,
            )
            return False
        invitations = [
            new_invitation(
                kind=SurveyKind.NPS, contact_id=row["pk"], language=language_for(row["language"]),
                channel=_channel(campaign, row), now=now, campaign_id=campaign_id,
            )
            for row in rows if not row.get("skip")
        ]
        SurveyInvitation.objects.bulk_create(invitations, batch_size=500)
        record_many(invitation_audit_row(invitation, campaign.created_by) for invitation in invitations)
        cursor = rows[-1]["pk"]
        if campaign.audience == Audience.CONTACT_LIST:
            done = bisect.bisect_right(campaign.contact_ids, cursor)
        else:
            done = campaign.processed + len(rows)
        NpsCampaign.objects.filter(pk=campaign_id).update(
            status=CampaignStatus.RUNNING, cursor=cursor, processed=min(done, campaign.total or done),
            invited=campaign.invited + len(invitations), started_at=campaign.started_at or now, updated_at=now,
        )
    return True


def campaign_run(*, campaign_id: int, batch_size: int = BATCH_SIZE) -> NpsCampaign:
    """Create the campaign's invitations batch by batch; return the campaign as it ends."""
    try:
        while _run_batch(campaign_id, batch_size):
            pass
    except Exception as error:
        NpsCampaign.objects.filter(pk=campaign_id).update(
            status=CampaignStatus.FAILED, error=f"{type(error).__name__}: {error}"[:500], updated_at=timezone.now(),
        )
        raise
    campaign = NpsCampaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("There is no campaign with id %(id)s.") % {"id": campaign_id})
    return campaign
