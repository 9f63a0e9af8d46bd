"""A CSAT survey follows a ticket's resolution: one invitation per ticket.

The `ticket.resolved` event is emitted inside the transaction that resolved the ticket
(kliyan.core.events), so the invitation commits or rolls back with the resolution: a
resolution is never without its survey, and a rolled-back one never sends one. The e-mail
leaves after the commit.

One invitation per ticket, not one per resolution: a ticket resolved, reopened and
resolved again asks the customer once (asking again after every reopening would pester
the people who already had the worst experience). The invitation keeps the ticket's
category, product, agent and team as they were at the first resolution.

The invitation is due KLIYAN_CSAT_DELAY_MINUTES (10) after the resolution, so the survey
arrives after the reply that resolved the ticket (both leave after the commit, in no set
order); the e-mail sweep sends it then. With no delay it is e-mailed right after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone

from kliyan.contacts.models import Contact
from kliyan.core.audit import record
from kliyan.core.models import AuditAction
from kliyan.feedback import mailer
from kliyan.feedback.choices import SurveyChannel, SurveyKind
from kliyan.feedback.models import SurveyInvitation
from kliyan.feedback.services import channel_for, language_for, new_invitation


def csat_enabled() -> bool:
    return bool(settings.KLIYAN_CSAT_ENABLED)


def csat_delay() -> dt.timedelta:
    """Return how long after a resolution the survey goes out: after the reply that resolved the ticket."""
    return dt.timedelta(minutes=max(0, int(settings.KLIYAN_CSAT_DELAY_MINUTES)))


def on_event(name: str, payloads: Sequence[dict[str, Any]]) -> None:
    """The domain-event subscriber: a CSAT invitation for every resolved ticket that has none."""
    if name != "ticket.resolved" or not csat_enabled():
        return
    for payload in payloads:
        invitation_for_resolved_ticket(payload)


def invitation_for_resolved_ticket(payload: dict[str, Any]) -> SurveyInvitation | None:
    """Create the ticket's CSAT invitation (None if it has one already), due to go out after the CSAT delay.

    `payload` is the ticket as the event carries it; the ticket row is locked by the
    service that resolved it, so two resolutions cannot both get here for one ticket.
    """
    ticket_id = payload["id"]
    if SurveyInvitation.objects.filter(ticket_id=ticket_id).exists():
        return None
    contact = (
        Contact.objects.filter(pk=payload["contact_id"])
        .values("language", "primary_email", "primary_phone", "preferred_channel").first()
    )
    if contact is None:
        return None
    invitation = new_invitation(
        kind=SurveyKind.CSAT, contact_id=payload["contact_id"], now=timezone.now(),
        language=language_for(contact["language"]),
        channel=channel_for(email=contact["primary_email"], phone=contact["primary_phone"], preferred=contact["preferred_channel"]),
        ticket_id=ticket_id, category_id=payload.get("category_id"), product_id=payload.get("product_id"),
        agent_id=payload.get("assignee_id"), team_id=payload.get("team_id"),
    )
    delay = csat_delay()
    invitation.next_attempt_at = invitation.created_at + delay
    invitation.save()
    record(
        actor=None, action=AuditAction.CREATE, instance=invitation, contact_id=invitation.contact_id,
        label=f"CSAT {payload.get('reference', '')}".strip(),
        after={"kind": invitation.kind, "channel": invitation.channel, "ticket": ticket_id},
    )
    if invitation.channel == SurveyChannel.EMAIL and not delay:
        mailer.send_after_commit(invitation.pk)  # else the every-minute sweep sends it once due
    return invitation
