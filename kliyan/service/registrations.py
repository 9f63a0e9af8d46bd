"""What the service desk contributes to shared places: the contact timeline, a contact panel,
the call screen pop. Internal notes appear in none of them (the timeline shows tickets, not
their conversation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, can
from kliyan.core.registry import ContactPanel, TimelineEntry, register_contact_panel, register_timeline_source
from kliyan.service import known_issues, pop, queries
from kliyan.service.choices import TicketKind, TicketStatus
from kliyan.service.models import Ticket, reference_for

PANEL_TICKETS = 10
STATUS_LABELS = dict(TicketStatus.choices)
KIND_LABELS = dict(TicketKind.choices)


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


def register() -> None:
    register_timeline_source("ticket", ticket_entries)
    register_contact_panel(
        ContactPanel(name="tickets", template="service/_contact_tickets_panel.html", context=contact_tickets_panel, order=15)
    )
    known_issues.register()  # the "Known issues" contact panel
    pop.register()  # the screen pop's "Tickets" and "Known issues" sections
