"""Reads for problems: the list (page and API share ProblemFilters), one problem with its tickets,
action plan and history, and the open problems a ticket may be linked to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from kliyan.service.choices import PROBLEM_OPEN, ActionStatus
from kliyan.service.known_issues import affected_customers
from kliyan.service.models import CorrectiveAction, Problem, ProblemEvent, Ticket, problem_reference

LIST_RELATIONS = ("category", "product", "owner")
PAGE_TICKETS = 100
LINK_CHOICES = 50
ORDERING = ["-created_at", "-id"]


@dataclass
class ProblemFilters:
    """What a list of problems is narrowed to. Empty values do not narrow."""

    statuses: tuple[str, ...] = tuple(PROBLEM_OPEN)
    category_id: int | None = None
    product_id: int | None = None
    owner_id: int | None = None
    text: str = ""


def filter_problems(filters: ProblemFilters, queryset: QuerySet[Problem] | None = None) -> QuerySet[Problem]:
    qs = queryset if queryset is not None else Problem.objects.all()
    if filters.statuses:
        qs = qs.filter(status__in=filters.statuses)
    if filters.category_id:
        qs = qs.filter(category_id=filters.category_id)
    if filters.product_id:
        qs = qs.filter(product_id=filters.product_id)
    if filters.owner_id:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.text:
        qs = qs.filter(_text_condition(filters.text))
    return qs


def _text_condition(text: str) -> Q:
    text = text.strip()
    upper = text.upper()
    digits = upper[2:] if upper.startswith("P-") else text
    condition = Q(title__icontains=text)
    if digits.isdigit() and len(digits) < 19:
        condition |= Q(pk=int(digits))
    return condition


class _Count(Func):
    function = "COUNT"
    template = "COUNT(*)"
    output_field = IntegerField()


def _action_count(**conditions: object) -> Coalesce:
    rows = CorrectiveAction.objects.filter(problem_id=OuterRef("pk"), **conditions).order_by().annotate(n=_Count()).values("n")[:1]
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def with_figures(qs: QuerySet[Problem]) -> QuerySet[Problem]:
    """Load what a row shows: category, product, owner, customers affected, actions settled of all (one query)."""
    return qs.select_related(*LIST_RELATIONS).annotate(
        affected=affected_customers(),
        actions_total=_action_count(),
        actions_settled=_action_count(status=ActionStatus.DONE, verified=True),
    )


def list_problems(filters: ProblemFilters) -> QuerySet[Problem]:
    return with_figures(filter_problems(filters))


def problem_for_page(pk: int) -> Problem | None:
    return with_figures(Problem.objects.filter(pk=pk)).select_related("created_by").first()


def problem_tickets(problem: Problem, *, limit: int = PAGE_TICKETS) -> list[Ticket]:
    """Return the problem's newest linked tickets with their customers (one query)."""
    return list(
        Ticket.objects.filter(problem=problem).select_related("contact", "assignee")
        .order_by("-created_at", "-id")[:limit]
    )


def linked_ticket_count(problem: Problem, shown: int, *, limit: int = PAGE_TICKETS) -> int:
    """Return how many tickets the problem has (no query when the page shows them all)."""
    return shown if shown < limit else Ticket.objects.filter(problem=problem).count()


def linked_tickets_query(problem_id: int) -> QuerySet[Ticket]:
    return Ticket.objects.filter(problem_id=problem_id).select_related("contact", "company", "category", "product", "assignee", "team")


def problem_actions(problem: Problem) -> list[CorrectiveAction]:
    return list(CorrectiveAction.objects.filter(problem=problem).select_related("owner", "verified_by").order_by("created_at", "id"))


def problem_history(problem: Problem) -> list[ProblemEvent]:
    """Return the problem's history, oldest first (labels are stored with each line: no joins)."""
    return list(ProblemEvent.objects.filter(problem=problem).order_by("at", "id"))


def link_choices(*, first: Sequence[int] = (), limit: int = LINK_CHOICES) -> list[tuple[int, str]]:
    """Return (id, "P-000012 · title") of the open problems a ticket may be linked to, newest first
    (`first`, the known issues of the ticket, at the top)."""
    rows = list(Problem.objects.filter(status__in=PROBLEM_OPEN).order_by("-created_at", "-id").values_list("pk", "title")[:limit])
    rows.sort(key=lambda row: row[0] not in first)
    return [(pk, f"{problem_reference(pk)} · {title}") for pk, title in rows]


def problem_by_reference(text: str) -> int | None:
    """Return the id in "P-000012" or "12", or None."""
    text = (text or "").strip().upper().removeprefix("P-")
    return int(text) if text.isdigit() and len(text) < 19 else None

