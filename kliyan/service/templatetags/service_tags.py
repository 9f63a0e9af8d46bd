"""Template helpers of the service desk: badges' styles and one readable line per history event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.translation import gettext as _

from kliyan.service.choices import EventKind, Priority, SLATarget, TicketKind, TicketStatus

register = template.Library()

STATUS_STYLES = {
    TicketStatus.NEW: "", TicketStatus.OPEN: "badge--warn", TicketStatus.WAITING: "badge--muted",
    TicketStatus.REOPENED: "badge--danger", TicketStatus.RESOLVED: "badge--ok", TicketStatus.CLOSED: "badge--muted",
}
PRIORITY_STYLES = {Priority.URGENT: "badge--danger", Priority.HIGH: "badge--warn", Priority.LOW: "badge--muted"}
CHOICE_LABELS = {
    EventKind.STATUS: dict(TicketStatus.choices), EventKind.PRIORITY: dict(Priority.choices), EventKind.KIND: dict(TicketKind.choices),
    EventKind.SLA_WARNING: dict(SLATarget.choices), EventKind.SLA_BREACH: dict(SLATarget.choices),
}


@register.filter
def status_style(status: str) -> str:
    return STATUS_STYLES.get(status, "")


@register.filter
def priority_style(priority: str) -> str:
    return PRIORITY_STYLES.get(priority, "")


@register.filter
def status_label(status: str) -> str:
    return str(dict(TicketStatus.choices).get(status, status))


@register.simple_tag
def event_parts(event: Any) -> dict[str, str]:
    """Return what a history line says: {"label", "old", "new"} in the reader's language."""
    kind = event.kind
    label = str(dict(EventKind.choices).get(kind, kind))
    if kind == EventKind.CREATED:
        return {"label": _("Ticket opened"), "old": "", "new": ""}
    if kind in CHOICE_LABELS:
        labels = CHOICE_LABELS[kind]
        return {"label": label, "old": str(labels.get(event.old_value, event.old_value)), "new": str(labels.get(event.new_value, event.new_value))}
    if kind == EventKind.SUBJECT:
        return {"label": label, "old": event.old_value, "new": event.new_value}
    if kind in {EventKind.ASSIGNEE, EventKind.TEAM, EventKind.CATEGORY, EventKind.PRODUCT, EventKind.PROBLEM, EventKind.ARTICLE,
                EventKind.SLA_POLICY}:
        return {"label": label, "old": event.old_label or "—", "new": event.new_label or "—"}
    if kind == EventKind.ATTACHMENT:
        return {"label": label, "old": "", "new": event.new_label}
    return {"label": label, "old": "", "new": ""}


@register.simple_tag
def due_state(ticket: Any, now: dt.datetime, soon: dt.datetime) -> str:
    """Return "late", "soon" or "" for a ticket's next due time (first response still owed, or resolution)."""
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return ""
    dues = [ticket.resolution_due]
    if ticket.first_responded_at is None:
        dues.append(ticket.first_response_due)
    dues = [due for due in dues if due is not None]
    if not dues:
        return ""
    first = min(dues)
    return "late" if first <= now else ("soon" if first <= soon else "")
