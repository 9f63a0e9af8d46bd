"""SLA warnings and escalations: the sweep the worker runs every minute, and the notices it sends.

Before a target runs out (the policy's warning threshold) the assignee is warned; once it has
run out, the assignee and the team's manager are told it was breached. Each notice is a line
in the ticket's history plus an e-mail to each person, and goes out **once** per ticket,
target (first response, resolution) and kind (warning, breach):

* The claim is an `SLAEvent` row under a unique (ticket, target, kind) constraint, inserted
  in the same transaction as the history line and the queued e-mail task. A second sweep, a
  restarted worker or two workers at once insert the same row: the constraint lets one win
  and the others skip (on PostgreSQL the loser waits for the winner's commit, then fails).
* The e-mail task marks the row `notified_at` once its mails have left; run twice, it sends
  nothing the second time.

Tickets waiting on the customer are skipped: their clock is paused (their due times are
recomputed when they leave that status). A warning whose target has already run out is not
sent: the breach notice says more.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kliyan.accounts.models import User
from kliyan.core.organisation import get_organisation
from kliyan.service.choices import EventKind, SLAEventKind, SLATarget, TicketStatus
from kliyan.service.models import SLAEvent, Ticket, TicketEvent
from kliyan.service.queries import unresolved

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 500


@dataclass(frozen=True)
class Rule:
    target: str
    kind: str

    @property
    def due_field(self) -> str:
        return f"{self.target}_due"

    @property
    def trigger_field(self) -> str:
        return f"{self.target}_warn_at" if self.kind == SLAEventKind.WARNING else self.due_field


RULES = tuple(Rule(target, kind) for target in SLATarget.values for kind in (SLAEventKind.BREACH, SLAEventKind.WARNING))


def _candidates(rule: Rule, now: dt.datetime, limit: int) -> list[tuple[int, dt.datetime]]:
    """Return (ticket id, due) of running tickets whose `rule` has fired and has no notice yet."""
    # Written as "unresolved, not waiting" so the partial index on unresolved tickets serves it.
    condition = Q(unresolved()) & ~Q(status=TicketStatus.WAITING) & Q(**{f"{rule.trigger_field}__lte": now})
    if rule.kind == SLAEventKind.WARNING:
        condition &= Q(**{f"{rule.due_field}__gt": now})
    if rule.target == SLATarget.FIRST_RESPONSE:
        condition &= Q(first_responded_at__isnull=True)
    sent = SLAEvent.objects.filter(ticket_id=OuterRef("pk"), target=rule.target, kind=rule.kind)
    return list(
        Ticket.objects.filter(condition).filter(~Exists(sent)).order_by(rule.trigger_field, "pk")
        .values_list("pk", rule.due_field)[:limit]
    )


def claim(ticket_id: int, rule: Rule, due: dt.datetime | None, now: dt.datetime) -> SLAEvent | None:
    """Record one notice (its row, its history line, its queued e-mail) unless it exists; return it if new."""
    from kliyan.service.tasks import send_sla_notice

    try:
        with transaction.atomic():
            event = SLAEvent.objects.create(ticket_id=ticket_id, target=rule.target, kind=rule.kind, due=due, at=now)
            TicketEvent.objects.create(
                ticket_id=ticket_id, kind=EventKind.SLA_BREACH if rule.kind == SLAEventKind.BREACH else EventKind.SLA_WARNING,
                new_value=rule.target, at=now,
            )
            # Queued inside the transaction: with the database task backend the task row
            # commits (or rolls back) with the claim, so a crash cannot lose the e-mail.
            send_sla_notice.enqueue(event.pk)
    except IntegrityError:
        return None
    return event


def escalate_due(now: dt.datetime | None = None, limit: int = SWEEP_LIMIT) -> list[int]:
    """Warn and escalate every ticket whose SLA threshold has passed; return the new SLAEvent ids."""
    now = now or timezone.now()
    created = []
    for rule in RULES:
        for ticket_id, due in _candidates(rule, now, limit):
            event = claim(ticket_id, rule, due, now)
            if event is not None:
                created.append(event.pk)
    return created


# --- The e-mails ----------------------------------------------------------------------------------


def recipients(event: SLAEvent) -> list[User]:
    """Return who hears of a notice: the assignee; for a breach (or an unassigned ticket) the team's manager too."""
    ticket = event.ticket
    people: list[User] = []
    if ticket.assignee is not None:
        people.append(ticket.assignee)
    manager = ticket.team.manager if ticket.team is not None else None
    if manager is not None and (event.kind == SLAEventKind.BREACH or ticket.assignee is None):
        people.append(manager)
    seen: set[int] = set()
    found = []
    for person in people:
        if person.pk not in seen and person.is_active and person.email:
            seen.add(person.pk)
            found.append(person)
    return found


def _message(event: SLAEvent, ticket: Ticket) -> tuple[str, str]:
    target = str(SLATarget(event.target).label).lower()
    when = timezone.localtime(event.due).strftime("%Y-%m-%d %H:%M %Z") if event.due else ""
    values = {"reference": ticket.reference, "subject": ticket.subject, "target": target, "due": when}
    if event.kind == SLAEventKind.BREACH:
        subject = _("SLA breached: %(reference)s %(subject)s") % values
        first = _("The %(target)s target of %(reference)s was due %(due)s and has been missed.") % values
    else:
        subject = _("SLA warning: %(reference)s %(subject)s") % values
        first = _("The %(target)s target of %(reference)s is due %(due)s.") % values
    lines = [first, ticket.subject, _("Priority: %(priority)s") % {"priority": ticket.get_priority_display()}]
    if ticket.team is not None:
        lines.append(_("Team: %(team)s") % {"team": ticket.team.name})
    lines.append(_("Assigned to: %(name)s") % {"name": ticket.assignee or _("nobody")})
    lines.append(_("Open it in Kliyan: %(path)s") % {"path": reverse("service:ticket_detail", args=[ticket.pk])})
    return subject, "\n\n".join(lines)


def notify(event_id: int) -> int:
    """E-mail one notice to each recipient, once; return how many e-mails left.

    Setting `notified_at` from NULL is the claim (a conditional UPDATE, so two runs cannot both
    win); it is taken back if sending fails, so the task can be run again. No row lock is held
    while the mail server is talked to.
    """
    now = timezone.now()
    if not SLAEvent.objects.filter(pk=event_id, notified_at__isnull=True).update(notified_at=now):
        return 0
    event = SLAEvent.objects.select_related("ticket__assignee", "ticket__team__manager").get(pk=event_id)
    ticket = event.ticket
    organisation = get_organisation()
    zone = _zone(organisation.timezone)
    messages = []
    for person in recipients(event):
        with translation.override(person.language or organisation.language), timezone.override(zone):
            messages.append((*_message(event, ticket), person.email))
    sent = 0
    try:
        for subject, body, address in messages:
            send_mail(subject, body, None, [address])
            sent += 1
    except Exception:
        if sent == 0:
            SLAEvent.objects.filter(pk=event_id).update(notified_at=None)
        logger.exception("SLA notice %s: %d of %d e-mails sent", event_id, sent, len(messages))
        raise
    return sent


def _zone(name: str) -> dt.tzinfo:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
