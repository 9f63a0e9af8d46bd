"""Writes of customer feedback: invitations, the customer's answer, expiry.

Every write runs in a transaction and writes its audit entry there. The callers (the
ticket.resolved subscriber, campaigns, the public survey page, the API) check
permissions first; the public page needs none — holding the link is the permission.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kliyan.core.audit import record
from kliyan.core.choices import Language
from kliyan.core.errors import Conflict, FieldErrors, KliyanError
from kliyan.core.events import emit
from kliyan.core.models import AuditAction
from kliyan.core.organisation import get_organisation
from kliyan.feedback import tokens
from kliyan.feedback.choices import ANSWERABLE, SCORE_RANGE, InvitationStatus, SurveyChannel
from kliyan.feedback.models import SurveyInvitation, SurveyResponse

COMMENT_LIMIT = 2000


class AlreadyAnswered(Conflict):
    code = "already_answered"
    default_message = gettext_lazy("This survey has already been answered.")


class LinkExpired(KliyanError):
    status = 410
    code = "survey_expired"
    default_message = gettext_lazy("This survey link has expired.")


def expiry_days() -> int:
    return max(1, int(settings.KLIYAN_SURVEY_EXPIRY_DAYS))


def language_for(contact_language: str) -> str:
    """Return the survey's language: the contact's, else the organisation's."""
    if contact_language in Language.values:
        return contact_language
    return get_organisation().language or settings.LANGUAGE_CODE


def channel_for(*, email: str, phone: str, preferred: str) -> str:
    """Return how an invitation should reach the contact.

    Their preferred channel when we can reach them on it, else e-mail, else SMS; a contact
    with neither gets "link": staff hand the link over (on a call, in a chat).
    """
    if preferred in (SurveyChannel.SMS, SurveyChannel.WHATSAPP) and phone:
        return preferred
    if email:
        return SurveyChannel.EMAIL
    if phone:
        return SurveyChannel.SMS
    return SurveyChannel.LINK


def new_invitation(
    *, kind: str, contact_id: int, language: str, channel: str, now: dt.datetime, **fields: Any,
) -> SurveyInvitation:
    """Return an unsaved invitation with a fresh token, waiting to be sent (status "queued")."""
    return SurveyInvitation(
        kind=kind, contact_id=contact_id, language=language, channel=channel, status=InvitationStatus.QUEUED,
        created_at=now, expires_at=now + dt.timedelta(days=expiry_days()), next_attempt_at=now,
        **tokens.new_token_fields(), **fields,
    )


def invitation_audit_row(invitation: SurveyInvitation, actor: Any = None) -> dict[str, Any]:
    """Return the audit entry of a new invitation, as core.audit.record_many takes it."""
    return {
        "actor_id": getattr(actor, "pk", None), "actor_label": actor.get_username() if actor is not None else "",
        "action": AuditAction.CREATE, "object_type": "feedback.surveyinvitation", "object_id": str(invitation.pk),
        "object_label": str(invitation)[:255], "contact_id": invitation.contact_id,
        "after": {"kind": invitation.kind, "channel": invitation.channel, "ticket": invitation.ticket_id,
                  "campaign": invitation.campaign_id},
    }


# --- The public page ---------------------------------------------------------------------------


def find_invitation(token: str) -> SurveyInvitation | None:
    """Return the invitation whose link carries `token`, or None (for a malformed or unknown token)."""
    if not tokens.well_formed(token):
        return None
    invitation = (
        SurveyInvitation.objects.select_related("response").filter(token_hash=tokens.hash_token(token)).first()
    )
    if invitation is None or not tokens.matches(invitation.token_hash, token):
        return None
    return invitation


def invitation_opened(invitation: SurveyInvitation, *, now: dt.datetime | None = None) -> SurveyInvitation:
    """Note that the customer opened the link (the first time only); expire it if its time is up.

    Not audited: opening changes no customer data, only where the invitation stands.
    """
    now = now or timezone.now()
    if invitation.status in ANSWERABLE and invitation.expires_at <= now:
        return invitation_expire(invitation, now=now)
    if invitation.opened_at is None:
        # One UPDATE; an answered or expired invitation opened for the first time keeps its status.
        answerable = Q(status__in=ANSWERABLE)
        SurveyInvitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=now,
            status=Case(When(answerable, then=Value(InvitationStatus.OPENED)), default=F("status")),
            next_attempt_at=Case(When(answerable, then=Value(None)), default=F("next_attempt_at")),
        )
        invitation.opened_at = now
        if invitation.status in ANSWERABLE:
            invitation.status, invitation.next_attempt_at = InvitationStatus.OPENED, None
    return invitation


def invitation_expire(invitation: SurveyInvitation, *, now: dt.datetime) -> SurveyInvitation:
    SurveyInvitation.objects.filter(pk=invitation.pk, status__in=ANSWERABLE).update(
        status=InvitationStatus.EXPIRED, expired_at=now, next_attempt_at=None,
    )
    invitation.status, invitation.expired_at, invitation.next_attempt_at = InvitationStatus.EXPIRED, now, None
    return invitation


def _score(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def clean_answer(kind: str, score: Any, comment: Any) -> tuple[int, str]:
    """Return the score and comment, or raise ValidationFailed naming `score`/`comment`."""
    low, high = SCORE_RANGE[kind]
    errors = FieldErrors()
    value = _score(score)
    if score is None or str(score).strip() == "":
        errors.add("score", _("Choose a score."))
    elif value is None or not low <= value <= high:
        errors.add("score", _("Choose a score from %(low)d to %(high)d.") % {"low": low, "high": high})
    text = str(comment or "").strip().replace("\x00", "")
    if len(text) > COMMENT_LIMIT:
        errors.add("comment", _("At most %(limit)d characters.") % {"limit": COMMENT_LIMIT})
    errors.raise_if_any()
    assert value is not None
    return value, text


@transaction.atomic
def response_submit(*, invitation: SurveyInvitation, score: Any, comment: Any = "", language: str = "") -> SurveyResponse:
    """Record the customer's answer: once. A second answer changes nothing (AlreadyAnswered).

    The invitation row is locked first, so two submissions at the same moment (a double
    tap) store one answer; the unique invitation of SurveyResponse is the last guard.
    """
    value, text = clean_answer(invitation.kind, score, comment)
    locked = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.status == InvitationStatus.ANSWERED or SurveyResponse.objects.filter(invitation_id=locked.pk).exists():
        raise AlreadyAnswered()
    now = timezone.now()
    if locked.status == InvitationStatus.EXPIRED or locked.expires_at <= now:
        invitation_expire(locked, now=now)
        raise LinkExpired()
    response = SurveyResponse.objects.create(
        invitation=locked, contact_id=locked.contact_id, kind=locked.kind, score=value, comment=text,
        language=language if language in Language.values else locked.language, answered_at=now,
    )
    SurveyInvitation.objects.filter(pk=locked.pk).update(
        status=InvitationStatus.ANSWERED, answered_at=now, opened_at=locked.opened_at or now, next_attempt_at=None,
    )
    record(
        actor=None, action=AuditAction.CREATE, instance=response, contact_id=locked.contact_id,
        label=f"{locked.kind.upper()} {value}", after={"kind": locked.kind, "score": value, "comment": text, "invitation": locked.pk},
    )
    emit("survey.answered", {
        # Like ticket messages, the customer's words stay out of the event (webhooks): only whether there are any.
        "id": response.pk, "invitation_id": locked.pk, "kind": locked.kind, "score": value, "has_comment": bool(text),
        "contact_id": locked.contact_id, "ticket_id": locked.ticket_id, "campaign_id": locked.campaign_id,
        "answered_at": now.isoformat(),
    })
    return response


# --- Housekeeping ------------------------------------------------------------------------------


def expire_due_invitations(*, now: dt.datetime | None = None) -> int:
    """Mark every unanswered invitation whose link has run out as expired; return how many.

    One UPDATE: expiry is bookkeeping about the invitation, not a change to customer data,
    so it writes no audit entries.
    """
    now = now or timezone.now()
    return SurveyInvitation.objects.filter(Q(status__in=ANSWERABLE), Q(expires_at__lte=now)).update(
        status=InvitationStatus.EXPIRED, expired_at=now, next_attempt_at=None,
    )
