"""The service desk's sections of the call screen pop: the caller's tickets and known issues.

Both sections come from one statement (core.prepared.run_prepared_parts) of three indexed
queries: the open tickets, the last one resolved, and the known issues (known_issues.py).
Internal notes appear in neither.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kliyan.core.links import id_url
from kliyan.core.prepared import PreparedRead, once_per
from kliyan.core.registry import PopSection, register_pop_read, register_pop_section
from kliyan.service import known_issues
from kliyan.service.choices import UNRESOLVED, Priority, TicketKind, TicketStatus
from kliyan.service.models import Ticket, reference_for

READ = "service_pop"
POP_OPEN_TICKETS = 5
STATUS_LABELS = dict(TicketStatus.choices)
KIND_LABELS = dict(TicketKind.choices)
PRIORITY_LABELS = dict(Priority.choices)
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


def _read(contact: Any) -> PreparedRead:
    return PreparedRead(
        "pop.service",
        {"open": _open_rows, "resolved": _resolved_rows, "known_issues": known_issues.contact_issue_rows},
        {"contact_id": contact.pk},
    )


def _rows(contact: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Return the caller's rows for both sections, read once per caller (compiled once per connection)."""
    return once_per(contact, READ, lambda: _read(contact).run())


def _pop_row(row: tuple[Any, ...]) -> dict[str, Any]:
    item = dict(zip(POP_COLUMNS, row))
    return {
        "id": item["id"], "reference": reference_for(item["id"]), "subject": item["subject"],
        "status": item["status"], "status_label": str(STATUS_LABELS.get(item["status"], item["status"])),
        "priority": item["priority"], "priority_label": str(PRIORITY_LABELS.get(item["priority"], item["priority"])),
        "kind": item["kind"], "kind_label": str(KIND_LABELS.get(item["kind"], item["kind"])),
        "created_at": item["created_at"].isoformat(),
        "resolved_at": item["resolved_at"].isoformat() if item["resolved_at"] else None,
        "url": id_url("service:ticket_detail", item["id"]),
    }


def tickets_section(contact: Any) -> dict[str, Any]:
    """Return the caller's open tickets and the last one resolved."""
    rows = _rows(contact)
    return {
        "open": [_pop_row(row) for row in rows["open"]],
        "last_resolved": _pop_row(rows["resolved"][0]) if rows["resolved"] else None,
    }


def known_issues_section(contact: Any) -> dict[str, Any]:
    """Return the caller's known issues: through their unresolved tickets and recent purchases."""
    return {"items": [issue.as_dict() for issue in known_issues.issues_from_rows(_rows(contact)["known_issues"])]}


def register() -> None:
    register_pop_read(READ, _read)
    register_pop_section(PopSection(
        name="known_issues", build=known_issues_section, template="service/pop/_known_issues.html", order=24, read=READ,
    ))
    register_pop_section(PopSection(name="tickets", build=tickets_section, template="service/pop/_tickets.html", order=25, read=READ))
