"""Reads of the service desk. One filter definition (TicketFilters) serves the queue page,
the board and the API."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Lookup, Prefetch, Q, QuerySet
from django.utils import timezone

from kliyan.accounts.teams import team_ids_of
from kliyan.contacts.models import Contact, EmailAddress
from kliyan.service.choices import UNRESOLVED, EventKind, TicketStatus
from kliyan.service.models import Ticket, TicketAttachment, TicketCategory, TicketEvent, TicketMessage, ticket_id_from_reference

TABS = ("mine", "team", "unassigned", "open", "breaching", "all")
# "Breaching soon": a due time within this much from now, or already past.
BREACHING_WINDOW = dt.timedelta(hours=1)
LIST_RELATIONS = ("contact", "assignee", "team", "category")


@dataclass
class TicketFilters:
    """What a list of tickets is narrowed to. Empty values do not narrow."""

    statuses: tuple[str, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    team_ids: tuple[int, ...] | None = None  # None: any team; (): the user has none, so nothing
    contact_id: int | None = None
    category_ids: tuple[int, ...] = ()
    priority: str = ""
    kind: str = ""
    updated_since: dt.datetime | None = None
    breaching_before: dt.datetime | None = None
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class InLiterals(Lookup):
    """`column IN ('a', 'b')` with the values written into the SQL rather than bound.

    SQLite uses a partial index only when it can prove the query's terms imply the index's
    condition, which it can for literals but not for a bound IN list: the "unresolved"
    condition of the queue is written out so the partial indexes on unresolved tickets
    (Ticket.Meta) are used. Only for fixed choice values, never for anything a user typed.
    """

    lookup_name = "in_literals"
    prepare_rhs = False

    def __init__(self, lhs: Any, rhs: tuple[str, ...]) -> None:
        if not all(re.fullmatch(r"[a-z_]+", str(value)) for value in rhs):
            raise ValueError("InLiterals takes fixed choice values only")
        super().__init__(lhs, tuple(str(value) for value in rhs))

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} IN ({', '.join(repr(value) for value in self.rhs)})", list(lhs_params)


def unresolved() -> InLiterals:
    """The condition "not yet resolved", in the form the partial indexes on open tickets match."""
    return InLiterals(F("status"), tuple(UNRESOLVED))


def filter_tickets(filters: TicketFilters, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    qs = queryset if queryset is not None else Ticket.objects.all()
    if filters.statuses and set(filters.statuses) == set(UNRESOLVED):
        qs = qs.filter(unresolved())
    elif filters.statuses:
        qs = qs.filter(status__in=filters.statuses)
    if filters.assignee_id:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.unassigned:
        qs = qs.filter(assignee__isnull=True)
    if filters.team_ids is not None:
        qs = qs.filter(team_id__in=filters.team_ids)
    if filters.contact_id:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.category_ids:
        qs = qs.filter(category_id__in=filters.category_ids)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.updated_since:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    if filters.breaching_before:
        qs = qs.filter(breaching_condition(filters.breaching_before))
    if filters.text:
        qs = qs.filter(_text_condition(filters.text))
    return qs


def breaching_condition(before: dt.datetime) -> Q:
    """Tickets not resolved whose first response (still owed) or resolution is due by `before`."""
    return Q(unresolved()) & (
        Q(first_response_due__lte=before, first_responded_at__isnull=True) | Q(resolution_due__lte=before)
    )


def _text_condition(text: str) -> Q:
    pk = ticket_id_from_reference(text) if text.strip().upper().startswith("T-") else None
    if pk is None and text.strip().isdigit():
        pk = int(text.strip())
    condition = Q(subject__icontains=text.strip())
    return condition | Q(pk=pk) if pk is not None else condition


def tab_filters(tab: str, user: Any, *, now: dt.datetime | None = None) -> TicketFilters:
    """Return the filters of a queue tab for `user`: their tickets, their teams', … (unresolved ones)."""
    now = now or timezone.now()
    unresolved = tuple(UNRESOLVED)
    if tab == "mine":
        return TicketFilters(statuses=unresolved, assignee_id=user.pk)
    if tab == "team":
        return TicketFilters(statuses=unresolved, team_ids=tuple(team_ids_of(user)))
    if tab == "unassigned":
        return TicketFilters(statuses=unresolved, unassigned=True)
    if tab == "breaching":
        return TicketFilters(statuses=unresolved, breaching_before=now + BREACHING_WINDOW)
    if tab == "all":
        return TicketFilters()
    return TicketFilters(statuses=unresolved)


def list_tickets(filters: TicketFilters) -> QuerySet[Ticket]:
    """Return the tickets matching `filters` with what a list row shows loaded (one query a page)."""
    return filter_tickets(filters, Ticket.objects.select_related(*LIST_RELATIONS))


def tab_counts(user: Any, team_ids: list[int], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Return how many unresolved tickets each queue tab holds, in one query."""
    now = now or timezone.now()
    counts = Ticket.objects.filter(unresolved()).aggregate(
        mine=Count("pk", filter=Q(assignee_id=user.pk)),
        team=Count("pk", filter=Q(team_id__in=team_ids)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        open=Count("pk"),
        breaching=Count("pk", filter=breaching_condition(now + BREACHING_WINDOW)),
    )
    return {key: value or 0 for key, value in counts.items()}


def ticket_for_page(pk: int) -> Ticket | None:
    return (
        Ticket.objects.select_related(
            "contact", "company", "category", "category__parent", "product", "assignee", "team", "created_by", "follow_up_of",
            "sla_policy",
            "problem",
        ).filter(pk=pk).first()
    )


def conversation(ticket: Ticket, *, include_internal: bool = True) -> list[TicketMessage]:
    """Return the ticket's messages, oldest first, with their authors and files (two queries).

    Anything customer-facing passes include_internal=False: internal notes never leave.
    """
    qs = TicketMessage.objects.filter(ticket=ticket).select_related("author").prefetch_related(
        Prefetch("attachments", queryset=TicketAttachment.objects.order_by("created_at", "id"))
    )
    if not include_internal:
        qs = qs.exclude(kind="note")
    return list(qs.order_by("created_at", "id"))


def loose_attachments(ticket: Ticket) -> list[TicketAttachment]:
    """Return files uploaded to the ticket but not (yet) part of a reply or note."""
    return list(TicketAttachment.objects.filter(ticket=ticket, message__isnull=True).order_by("created_at", "id"))


def history(ticket: Ticket) -> list[TicketEvent]:
    """Return the ticket's history, oldest first (names are stored with each line: no joins)."""
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("at", "id"))


def waiting_intervals(ticket_id: int, *, now: dt.datetime | None = None) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """Return the spans the ticket waited on the customer, oldest first (the last may still run: end None).

    Read from the status history, so the SLA clock can leave these spans out.
    """
    spans: list[tuple[dt.datetime, dt.datetime | None]] = []
    started: dt.datetime | None = None
    events = TicketEvent.objects.filter(ticket_id=ticket_id, kind=EventKind.STATUS).order_by("at", "id")
    for event in events.only("at", "old_value", "new_value"):
        if event.new_value == TicketStatus.WAITING and started is None:
            started = event.at
        elif event.old_value == TicketStatus.WAITING and started is not None:
            spans.append((started, event.at))
            started = None
    if started is not None:
        spans.append((started, None))
    return spans


def contact_tickets(contact_id: int, *, unresolved_only: bool = True, limit: int = 20) -> list[Ticket]:
    qs = Ticket.objects.filter(contact_id=contact_id).select_related("assignee", "category")
    if unresolved_only:
        qs = qs.filter(status__in=UNRESOLVED)
    return list(qs.order_by("-created_at", "-id")[:limit])


def contact_for_address(address: str) -> Contact | None:
    """Return the contact with this e-mail address: an active one first, the most recently changed."""
    found = (
        EmailAddress.objects.filter(email=address.strip().lower(), contact__isnull=False)
        .select_related("contact").order_by("contact__archived_at", "-contact__updated_at", "-contact_id").first()
    )
    return found.contact if found else None


def thread_ticket(*, message_ids: list[str], subject_ticket_id: int | None, sender: str) -> Ticket | None:
    """Return the ticket an incoming mail answers: by the ids it refers to, else by its subject tag."""
    if message_ids:
        known = (
            TicketMessage.objects.filter(message_id__in=message_ids[:50]).select_related("ticket__contact")
            .order_by("-created_at", "-id").first()
        )
        if known is not None:
            return known.ticket
    if subject_ticket_id is not None:
        return (
            Ticket.objects.select_related("contact")
            .filter(pk=subject_ticket_id, contact__emailaddresss__email=sender.strip().lower()).first()
        )
    return None


# --- Categories ------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryNode:
    category: TicketCategory
    depth: int
    path: str


def category_tree(*, include_inactive: bool = True) -> list[CategoryNode]:
    """Return every category in tree order (parents before children), with its depth and full path."""
    categories = list(TicketCategory.objects.order_by("name", "id"))
    children: dict[int | None, list[TicketCategory]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    nodes: list[CategoryNode] = []

    def visit(parent_id: int | None, depth: int, prefix: str, active: bool) -> None:
        for category in children.get(parent_id, []):
            path = f"{prefix} › {category.name}" if prefix else category.name
            usable = active and category.active
            if usable or include_inactive:
                nodes.append(CategoryNode(category, depth, path))
            if depth < 20:  # a guard: the services refuse cycles, but a tree is never this deep
                visit(category.pk, depth + 1, path, usable)

    visit(None, 0, "", True)
    return nodes


def category_choices() -> list[tuple[int, str]]:
    """Return (id, "Parent › Child") for every usable category, for forms."""
    return [(node.category.pk, node.path) for node in category_tree(include_inactive=False)]


def category_with_descendants(category_id: int) -> tuple[int, ...]:
    """Return the category's id and those of every category below it (a filter includes subcategories)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in TicketCategory.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = [category_id], [category_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return tuple(found)


# --- Board ----------------------------------------------------------------------------

BOARD_COLUMNS = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.REOPENED, TicketStatus.RESOLVED)
BOARD_CARDS = 50


def board(filters: TicketFilters) -> list[tuple[str, list[Ticket]]]:
    """Return each board column (a status) with its newest cards: one query a column."""
    columns = []
    for status in BOARD_COLUMNS:
        column_filters = TicketFilters(**{**filters.__dict__, "statuses": (status,)})
        cards = list(list_tickets(column_filters).order_by("-created_at", "-id")[:BOARD_CARDS])
        columns.append((status, cards))
    return columns
