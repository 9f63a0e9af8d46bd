"""Resolved tickets close by themselves once the customer has stayed quiet long enough."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kliyan.core.models import AuditEntry
from kliyan.service import services
from kliyan.service.choices import TicketStatus
from kliyan.service.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _resolved(ticket: Ticket, agent, days_ago: int) -> Ticket:
    services.ticket_change_status(actor=agent, ticket=ticket, status=TicketStatus.RESOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - dt.timedelta(days=days_ago))
    return Ticket.objects.get(pk=ticket.pk)


def test_a_ticket_resolved_longer_ago_than_the_setting_is_closed_with_its_history_and_audit(ticket, agent, settings) -> None:
    settings.KLIYAN_TICKET_AUTOCLOSE_DAYS = 7
    _resolved(ticket, agent, days_ago=8)

    assert services.close_resolved_tickets() == 1

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None
    last = TicketEvent.objects.filter(ticket=ticket).order_by("-id").first()
    assert (last.kind, last.old_value, last.new_value, last.actor_id) == ("status", "resolved", "closed", None)
    assert AuditEntry.objects.filter(object_type="service.ticket", object_id=str(ticket.pk), actor=None).exists()
    assert services.close_resolved_tickets() == 0  # nothing left to close: a second run changes nothing


def test_a_recently_resolved_ticket_stays_open_to_the_customers_answer(ticket, agent, settings) -> None:
    settings.KLIYAN_TICKET_AUTOCLOSE_DAYS = 7
    _resolved(ticket, agent, days_ago=6)

    assert services.close_resolved_tickets() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED


def test_zero_days_never_closes(ticket, agent, settings) -> None:
    settings.KLIYAN_TICKET_AUTOCLOSE_DAYS = 0
    _resolved(ticket, agent, days_ago=400)

    assert services.close_resolved_tickets() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED


def test_open_and_waiting_tickets_are_never_closed(ticket, agent, settings) -> None:
    settings.KLIYAN_TICKET_AUTOCLOSE_DAYS = 1
    services.ticket_change_status(actor=agent, ticket=ticket, status=TicketStatus.WAITING)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - dt.timedelta(days=30))

    assert services.close_resolved_tickets() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.WAITING
