"""Known issues: the open problems an agent should hear about while looking at a ticket or a customer.

A problem that is not resolved or closed concerns:
- the tickets linked to it, and their contacts;
- a ticket (open or not) with its category and product: a problem with only a category
  matches that category, one with only a product that product, one with both needs both;
- a contact through their unresolved tickets (as above) and through what they bought in the
  last RECENT_PURCHASE_DAYS days: a problem about a product concerns everyone who bought it.

"N customers affected" counts distinct contacts of the tickets linked to the problem plus
those of unresolved tickets that match its category/product and are linked to no problem
yet (a problem known for a day may already have customers nobody linked). Categories match
exactly: a problem filed under "Delivery" does not cover "Delivery › Late delivery".

One query finds the problems and counts their customers (a correlated subquery per problem
found, each using the ticket indexes on problem, category and product); for a contact, the
contact's tickets and purchases are subqueries of that same query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Now
from django.db.models.lookups import In, IsNull
from django.http import HttpRequest

from kliyan.accounts.access import Perm, can
from kliyan.commerce.choices import PURCHASE_STATUSES
from kliyan.commerce.models import OrderLine, Product
from kliyan.core.links import id_url
from kliyan.core.prepared import run_prepared
from kliyan.core.registry import ContactPanel, register_contact_panel
from kliyan.service.choices import PROBLEM_OPEN, UNRESOLVED, ProblemStatus
from kliyan.service.models import Problem, Ticket, problem_reference

RECENT_PURCHASE_DAYS = 90
SHOWN = 5
STATUS_LABELS = dict(ProblemStatus.choices)
IdsOrQuery = Iterable[int] | QuerySet


class _CountDistinct(Func):
    """COUNT(DISTINCT x) as a plain function, so a subquery of it needs no GROUP BY."""

    function = "COUNT"
    template = "COUNT(DISTINCT %(expressions)s)"
    output_field = IntegerField()


def _matches_scope() -> Q:
    """Tickets whose category/product match the outer problem's (see the module's docstring)."""
    category_only_or_both = Q(category_id=OuterRef("category_id")) & (
        Q(IsNull(OuterRef("product_id"), True)) | Q(product_id=OuterRef("product_id"))
    )
    product_only = Q(IsNull(OuterRef("category_id"), True)) & Q(product_id=OuterRef("product_id"))
    return category_only_or_both | product_only


def affected_customers() -> Coalesce:
    """An annotation for Problem rows: how many distinct customers it affects (see the module's docstring).

    Once a problem is resolved or closed only its linked tickets count: new tickets of its
    category are no longer its cases.
    """
    still_open = Q(In(OuterRef("status"), list(PROBLEM_OPEN)))
    tickets = Ticket.objects.filter(
        Q(problem_id=OuterRef("pk")) | (Q(problem__isnull=True, status__in=UNRESOLVED) & still_open & _matches_scope())
    ).order_by().annotate(n=_CountDistinct(F("contact_id"))).values("n")[:1]
    return Coalesce(Subquery(tickets, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class KnownIssue:
    id: int
    reference: str
    title: str
    status: str
    status_label: str
    customer_message: str
    category: str
    product: str
    affected: int
    url: str
    linked: bool  # the ticket at hand is one of the problem's tickets

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = ("id", "title", "status", "customer_message", "category__name", "product__name", "affected")


def _issue(row: tuple[Any, ...], linked_ids: set[int]) -> KnownIssue:
    pk, title, status, customer_message, category, product, affected = row
    return KnownIssue(
        id=pk, reference=problem_reference(pk), title=title, status=status,
        status_label=str(STATUS_LABELS.get(status, status)), customer_message=customer_message,
        category=category or "", product=product or "", affected=affected,
        url=id_url("service:problem_detail", pk), linked=pk in linked_ids,
    )


def _known_issues_query(
    *, categories: IdsOrQuery, products: IdsOrQuery, bought: IdsOrQuery, problem_ids: IdsOrQuery, limit: int,
) -> QuerySet:
    scope = (
        Q(pk__in=problem_ids)
        | Q(category_id__in=categories, product__isnull=True)
        | Q(category__isnull=True, product_id__in=products)
        | Q(category_id__in=categories, product_id__in=products)
        | Q(product_id__in=bought)
    )
    return (
        Problem.objects.filter(scope, status__in=PROBLEM_OPEN).annotate(affected=affected_customers())
        .order_by("-affected", "-created_at", "-id").values_list(*_COLUMNS)[:limit]
    )


def find_known_issues(
    *, categories: IdsOrQuery = (), products: IdsOrQuery = (), bought: IdsOrQuery = (), problem_ids: IdsOrQuery = (),
    limit: int = SHOWN,
) -> list[KnownIssue]:
    """Return the open problems for these categories, products (of tickets), bought products and linked problems.

    Each argument is a list of ids or a queryset of ids (a subquery): one query in all,
    most affected first.
    """
    categories, products, bought, problem_ids = (
        x if isinstance(x, QuerySet) else list(x) for x in (categories, products, bought, problem_ids)
    )
    if not any(isinstance(x, QuerySet) or x for x in (categories, products, bought, problem_ids)):
        return []
    rows = _known_issues_query(categories=categories, products=products, bought=bought, problem_ids=problem_ids, limit=limit)
    linked = set(problem_ids) if not isinstance(problem_ids, QuerySet) else set()
    return [_issue(row, linked) for row in rows]


def for_ticket(ticket: Ticket) -> list[KnownIssue]:
    """Return the known issues of a ticket: its own problem (while open) and those of its category/product."""
    return find_known_issues(
        categories=[ticket.category_id] if ticket.category_id else [],
        products=[ticket.product_id] if ticket.product_id else [],
        problem_ids=[ticket.problem_id] if ticket.problem_id else [],
    )


def for_new_ticket(*, category_id: int | None, product_id: int | None) -> list[KnownIssue]:
    """Return the known issues of a ticket about to be opened with this category/product."""
    return find_known_issues(
        categories=[category_id] if category_id else [], products=[product_id] if product_id else [],
    )


def contact_issue_rows(contact_id: int) -> QuerySet:
    """Return the query of a contact's known issues (see for_contact)."""
    open_tickets = Ticket.objects.filter(contact_id=contact_id, status__in=UNRESOLVED).order_by()
    # "Recent" is worked out by the database (its clock), not passed in: as a parameter, the
    # date made PostgreSQL's plan of the prepared screen pop look worse than a fresh one, so
    # it planned the whole statement again at every call.
    bought = OrderLine.objects.filter(
        order__contact_id=contact_id, order__ordered_at__gte=Now() - dt.timedelta(days=RECENT_PURCHASE_DAYS),
        order__status__in=PURCHASE_STATUSES, product__isnull=False,
    ).order_by().values("product_id")
    return _known_issues_query(
        categories=open_tickets.filter(category__isnull=False).values("category_id"),
        products=open_tickets.filter(product__isnull=False).values("product_id"),
        bought=bought,
        problem_ids=Ticket.objects.filter(contact_id=contact_id, problem__isnull=False).order_by().values("problem_id"),
        limit=SHOWN,
    )


def issues_from_rows(rows: Iterable[tuple[Any, ...]]) -> list[KnownIssue]:
    """Return the known issues of contact_issue_rows()' rows."""
    return [_issue(row, set()) for row in rows]


def for_contact(contact_id: int) -> list[KnownIssue]:
    """Return the known issues of a contact: through their unresolved tickets and recent purchases (one query).

    On every contact page and screen pop: compiled once per connection (core.prepared); the
    ORM took milliseconds to build this query, the database well under one to run it.
    """
    return issues_from_rows(run_prepared("service.known_issues.contact", contact_issue_rows, contact_id=contact_id))


def product_by_sku(sku: str) -> Product | None:
    sku = (sku or "").strip()
    return Product.objects.filter(sku__iexact=sku).first() if sku and len(sku) <= 64 else None


# --- The contact page (the screen pop's section is in pop.py) ---------------------------------


def contact_panel(request: HttpRequest, contact: Any) -> dict[str, Any]:
    """Fill the "Known issues" box of the contact page (nothing for a role without tickets)."""
    if not can(request.user, Perm.VIEW_TICKETS):
        return {"known_issues": []}
    return {"known_issues": for_contact(contact.pk)}


def register() -> None:
    register_contact_panel(
        ContactPanel(name="known_issues", template="service/_known_issues_panel.html", context=contact_panel, order=14)
    )
