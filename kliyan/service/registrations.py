"""What the service desk contributes to shared places: the contact timeline, a contact panel,
the call screen pop. Internal notes appear in none of them (the timeline shows tickets, not
their conversation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, can
from kliyan.core.prepared import run_prepared
from kliyan.core.registry import (
    ContactPanel,
    PopSection,
    TimelineEntry,
    register_contact_panel,
    register_pop_section,
    register_timeline_source,
)
from kliyan.service import known_issues, queries
from kliyan.service.choices import UNRESOLVED, Priority, TicketKind, TicketStatus
from kliyan.service.models import Ticket, reference_for

PANEL_TICKETS = 10
POP_OPEN_TICKETS = 5
STATUS_LABELS = dict(TicketStatus.choices)
KIND_LABELS = dict(TicketKind.choices)
PRIORITY_LABELS = dict(Priority.choices)


def ticket_entries(contact_id: int, limit: int, before: dt.datetime | None) -> Iterable[TimelineEntry]:
    """Return the contact's tickets as timeline entries (when each was opened), newest first: one query."""
    qs = Ticket.objects.filter(contact_id=contact_id)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    rows = qs.order_by("-created_at", "-id").values_list("id", "created_at", "kind", "subject", "status", "channel")[:limit]
    for pk, created_at, kind, subject, status, channel in rows:
        yield TimelineEntry(
            kind="ticket", id=pk, at=created_at,
            title=_("%(kind)s %(reference)s: %(subject)s") % {
                "kind": KIND_LABELS.get(kind, kind), "reference": reference_for(pk), "subject": subject,
            },
            channel=channel, icon="chat", url=reverse("service:ticket_detail", args=[pk]),
            data={"status": status, "status_label": str(STATUS_LABELS.get(status, status)), "reference": reference_for(pk)},
        )


def contact_tickets_panel(request: HttpRequest, contact: Any) -> dict[str, Any]:
    """Fill the "Tickets" panel of the contact page: the open tickets (nothing for a role without tickets)."""
    if not can(request.user, Perm.VIEW_TICKETS):
        return {"tickets": None}
    return {"tickets": queries.contact_tickets(contact.pk, limit=PANEL_TICKETS)}


POP_COLUMNS = ("id", "subject", "status", "priority", "kind", "created_at", "resolved_at")


def _open_rows(contact_id: int) -> QuerySet:
    return (
        Ticket.objects.filter(contact_id=contact_id, status__in=UNRESOLVED)
        .order_by("-created_at", "-id").values_list(*POP_COLUMNS)[:POP_OPEN_TICKETS]
    )


def _resolved_rows(contact_id: int) -> QuerySet:
    return (
        Ticket.objects.filter(contact_id=contact_id, resolved_at__isnull=False)
        .exclude(status__in=UNRESOLVED).order_by("-resolved_at", "-id").values_list(*POP_COLUMNS)[:1]
    )


def _pop_row(row: tuple[Any, ...]) -> dict[str, Any]:
    item = dict(zip(POP_COLUMNS, row))
    return {
        "id": item["id"], "reference": reference_for(item["id"]), "subject": item["subject"],
        "status": item["status"], "status_label": str(STATUS_LABELS.get(item["status"], item["status"])),
        "priority": item["priority"], "priority_label": str(PRIORITY_LABELS.get(item["priority"], item["priority"])),
        "kind": item["kind"], "kind_label": str(KIND_LABELS.get(item["kind"], item["kind"])),
        "created_at": item["created_at"].isoformat(),
        "resolved_at": item["resolved_at"].isoformat() if item["resolved_at"] else None,
        "url": reverse("service:ticket_detail", args=[item["id"]]),
    }


def tickets_section(contact: Any) -> dict[str, Any]:
    """Return the caller's open tickets and the last one resolved: two indexed queries, compiled once."""
    open_rows = run_prepared("pop.tickets.open", _open_rows, contact_id=contact.pk)
    resolved_rows = run_prepared("pop.tickets.resolved", _resolved_rows, contact_id=contact.pk)
    return {
        "open": [_pop_row(row) for row in open_rows],
        "last_resolved": _pop_row(resolved_rows[0]) if resolved_rows else None,
    }


def register() -> None:
    register_timeline_source("ticket", ticket_entries)
    register_contact_panel(
        ContactPanel(name="tickets", template="service/_contact_tickets_panel.html", context=contact_tickets_panel, order=15)
    )
    register_pop_section(PopSection(name="tickets", build=tickets_section, template="service/pop/_tickets.html", order=25))
    known_issues.register()  # the "Known issues" contact panel and screen-pop section
