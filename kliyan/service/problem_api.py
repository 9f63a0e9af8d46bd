"""API v1 of problems and known issues: problems with their tickets and action plans, the known
issues of a ticket or contact, similar tickets for a text, and the articles linked to a ticket.

Endpoints parse, check the permission, call a service or query, and render.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kliyan.accounts.access import Perm
from kliyan.contacts.api import LIMIT
from kliyan.contacts.models import Contact
from kliyan.core.api_auth import actor
from kliyan.core.api_json import json_page
from kliyan.core.api_types import MAX_ID, ObjectId
from kliyan.core.choices import Language
from kliyan.core.errors import NotFound, ValidationFailed
from kliyan.core.pagination import keyset_page
from kliyan.service import known_issues, problem_queries, problems, queries, similar, ticket_articles
from kliyan.service.choices import PROBLEM_OPEN, ProblemStatus
from kliyan.service.models import Problem, Ticket
from kliyan.service.problem_schemas import (
    ActionCreate,
    ActionFields,
    ActionOut,
    KnownIssueList,
    LinkArticleIn,
    LinkedArticleList,
    LinkOut,
    LinkTicketIn,
    ProblemCreate,
    ProblemDetailOut,
    ProblemPage,
    ProblemUpdate,
    SimilarOut,
    action_out,
    problem_event_out,
    problem_out,
)
from kliyan.service.schemas import TicketPage, ticket_out

router = Router(tags=["problems"])
TEXT_LIMIT = 5000


def _problem(pk: int) -> Problem:
    problem = problem_queries.problem_for_page(pk) if 0 < pk <= MAX_ID else None
    if problem is None:
        raise NotFound(_("There is no problem with id %(id)s.") % {"id": pk})
    return problem


def _ticket(pk: int) -> Ticket:
    ticket = queries.ticket_for_page(pk) if 0 < pk <= MAX_ID else None
    if ticket is None:
        raise NotFound(_("There is no ticket with id %(id)s.") % {"id": pk})
    return ticket


def _detail(pk: int) -> dict[str, Any]:
    problem = _problem(pk)
    return {
        **problem_out(problem),
        "ticket_count": Ticket.objects.filter(problem=problem).count(),
        "actions": [action_out(a) for a in problem_queries.problem_actions(problem)],
        "history": [problem_event_out(e) for e in problem_queries.problem_history(problem)],
    }


def _statuses(status: str) -> tuple[str, ...]:
    if status == "open":
        return tuple(PROBLEM_OPEN)
    if status == "all":
        return ()
    if status in ProblemStatus.values:
        return (status,)
    raise ValidationFailed(field_errors={"status": [_("“%(value)s” is not a valid choice.") % {"value": status}]})


def _language(request: HttpRequest, lang: str) -> str:
    if lang and lang not in Language.values:
        raise ValidationFailed(field_errors={"lang": [_("“%(value)s” is not a valid choice.") % {"value": lang}]})
    return lang or (getattr(request, "LANGUAGE_CODE", "") or get_language() or "en").split("-")[0]


# --- Problems -------------------------------------------------------------------------------


@router.get("/problems", response=ProblemPage, summary="List problems (not yet resolved by default), newest first")
def problem_list(
    request: HttpRequest,
    status: str = Query("open", description="open (open, investigating or fixing), all, or one status"),
    category: ObjectId | None = None,
    product: ObjectId | None = None,
    owner: ObjectId | None = None,
    q: str = Query("", max_length=100, description="Words of the title, or a reference (P-000012)"),
    cursor: str | None = None,
    limit: int = LIMIT,
) -> HttpResponse:
    actor(request, Perm.VIEW_TICKETS)
    filters = problem_queries.ProblemFilters(
        statuses=_statuses(status), category_id=category, product_id=product, owner_id=owner, text=q.strip(),
    )
    page = keyset_page(problem_queries.list_problems(filters), ordering=problem_queries.ORDERING, cursor=cursor, size=limit)
    return json_page([problem_out(p) for p in page.items], page.next_cursor)


@router.post("/problems", response={201: ProblemDetailOut}, summary="Record a problem (and link tickets to it)")
def problem_create(request: HttpRequest, payload: ProblemCreate) -> Status[dict[str, Any]]:
    user = actor(request, Perm.MANAGE_SERVICE)
    problem = problems.problem_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, _detail(problem.pk))


@router.get("/problems/{int:problem_id}", response=ProblemDetailOut, summary="Read a problem with its action plan and history")
def problem_detail(request: HttpRequest, problem_id: int) -> dict[str, Any]:
    actor(request, Perm.VIEW_TICKETS)
    return _detail(problem_id)


@router.patch("/problems/{int:problem_id}", response=ProblemDetailOut, summary="Change a problem or its status")
def problem_update(request: HttpRequest, problem_id: int, payload: ProblemUpdate) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_SERVICE)
    problems.problem_update(actor=user, problem=_problem(problem_id), data=payload.model_dump(exclude_unset=True))
    return _detail(problem_id)


@router.get("/problems/{int:problem_id}/tickets", response=TicketPage, summary="List the tickets linked to a problem")
def problem_tickets(request: HttpRequest, problem_id: int, cursor: str | None = None, limit: int = LIMIT) -> HttpResponse:
    actor(request, Perm.VIEW_TICKETS)
    problem = _problem(problem_id)
    page = keyset_page(problem_queries.linked_tickets_query(problem.pk), ordering=["-created_at", "-id"], cursor=cursor, size=limit)
    return json_page([ticket_out(t) for t in page.items], page.next_cursor)


@router.post(
    "/problems/{int:problem_id}/tickets", response={200: LinkOut, 201: LinkOut},
    summary="Link a ticket to a problem (agents: while it is open; 200 if it already was)",
)
def problem_link(request: HttpRequest, problem_id: int, payload: LinkTicketIn) -> Status[dict[str, Any]]:
    user = actor(request, Perm.WORK_TICKETS)
    problem = _problem(problem_id)
    ticket = Ticket.objects.filter(pk=payload.ticket).first()
    if ticket is None:
        raise ValidationFailed(field_errors={"ticket": [_("There is no ticket with id %(id)s.") % {"id": payload.ticket}]})
    changed = problems.problem_link_ticket(actor=user, problem=problem, ticket=ticket)
    return Status(201 if changed else 200, {"problem_id": problem.pk, "ticket_id": ticket.pk, "changed": changed})


@router.delete(
    "/problems/{int:problem_id}/tickets/{int:ticket_id}", response={204: None},
    summary="Take a ticket off a problem (204 whether or not it was linked)",
)
def problem_unlink(request: HttpRequest, problem_id: int, ticket_id: int) -> Status[None]:
    user = actor(request, Perm.WORK_TICKETS)
    problems.problem_unlink_ticket(actor=user, problem=_problem(problem_id), ticket=_ticket(ticket_id))
    return Status(204, None)


@router.post("/problems/{int:problem_id}/actions", response={201: ActionOut}, summary="Add a corrective action to the plan")
def action_create(request: HttpRequest, problem_id: int, payload: ActionCreate) -> Status[dict[str, Any]]:
    user = actor(request, Perm.MANAGE_SERVICE)
    action = problems.action_create(actor=user, problem=_problem(problem_id), data=payload.model_dump(exclude_unset=True))
    return Status(201, action_out(problems.get_action(action.pk)))


@router.patch(
    "/corrective-actions/{int:action_id}", response=ActionOut,
    summary="Change a corrective action: status, owner, due date, and whether it worked (`verified`)",
)
def action_update(request: HttpRequest, action_id: int, payload: ActionFields) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_SERVICE)
    if action_id > MAX_ID:
        raise NotFound(_("There is no corrective action with id %(id)s.") % {"id": action_id})
    action = problems.get_action(action_id)
    problems.action_update(actor=user, action=action, data=payload.model_dump(exclude_unset=True))
    return action_out(problems.get_action(action_id))


# --- Known issues and similar tickets ------------------------------------------------------------


@router.get(
    "/service/known-issues", response=KnownIssueList,
    summary="The open problems to tell an agent about, for a ticket, a contact, or a category/product",
)
def known_issue_list(
    request: HttpRequest,
    ticket: ObjectId | None = None,
    contact: ObjectId | None = None,
    category: ObjectId | None = Query(None, description="With or without `product`: a ticket about to be opened"),
    product: ObjectId | None = None,
) -> dict[str, Any]:
    actor(request, Perm.VIEW_TICKETS)
    if sum(x is not None for x in (ticket, contact)) + (category is not None or product is not None) != 1:
        raise ValidationFailed(field_errors={"ticket": [_("Ask about one ticket, one contact, or a category and/or product.")]})
    if ticket is not None:
        issues = known_issues.for_ticket(_ticket(ticket))
    elif contact is not None:
        if not Contact.objects.filter(pk=contact).exists():
            raise NotFound(_("There is no contact with id %(id)s.") % {"id": contact})
        issues = known_issues.for_contact(contact)
    else:
        issues = known_issues.for_new_ticket(category_id=category, product_id=product)
    return {"items": [issue.as_dict() for issue in issues]}


@router.get(
    "/service/similar", response=SimilarOut,
    summary="Open tickets, open problems and knowledge articles similar to a text (a new ticket's subject and description)",
)
def similar_list(
    request: HttpRequest,
    text: str = Query(..., min_length=1, max_length=TEXT_LIMIT, description="What the customer says"),
    category: ObjectId | None = Query(None, description="Ranks tickets and problems of this category higher"),
    product: ObjectId | None = Query(None, description="Ranks tickets and problems about this product higher"),
    contact: ObjectId | None = Query(None, description="Ranks this customer's own open tickets higher"),
    lang: str = Query("", description="Language of the articles (default: yours)"),
    limit: int = Query(similar.SHOWN, ge=1, le=20),
) -> dict[str, Any]:
    actor(request, Perm.VIEW_TICKETS)
    found = similar.suggest(
        text, category_id=category, product_id=product, contact_id=contact, language=_language(request, lang), limit=limit,
    )
    return {
        "tickets": [s.as_dict() for s in found.tickets],
        "problems": [s.as_dict() for s in found.problems],
        "articles": [
            {
                "article_id": a.hit.article_id, "title": a.hit.title, "language": a.hit.language, "summary": a.hit.summary,
                "url": request.build_absolute_uri(a.hit.url),
                "public_url": request.build_absolute_uri(a.hit.public_url) if a.hit.public_url else None, "matched": a.matched,
            }
            for a in found.articles
        ],
    }


# --- Articles linked to a ticket --------------------------------------------------------------------


def _linked(request: HttpRequest, ticket: Ticket, language: str) -> dict[str, Any]:
    items = []
    for link in ticket_articles.linked_articles(ticket, language, customer_language=ticket.contact.language):
        hit, public = link.hit, link.for_customer
        items.append({
            "article_id": link.article_id, "available": hit is not None, "title": hit.title if hit else None,
            "language": hit.language if hit else None, "summary": hit.summary if hit else None,
            "url": request.build_absolute_uri(hit.url) if hit else None,
            "public_url": request.build_absolute_uri(public.public_url) if public else None,
            "public_language": public.language if public else None,
            "linked_at": link.linked_at, "linked_by": link.linked_by,
        })
    return {"items": items}


@router.get("/tickets/{int:ticket_id}/articles", response=LinkedArticleList, tags=["service"],
            summary="List the knowledge articles linked to a ticket, with the address to send the customer")
def ticket_article_list(request: HttpRequest, ticket_id: int, lang: str = "") -> dict[str, Any]:
    actor(request, Perm.VIEW_TICKETS)
    return _linked(request, _ticket(ticket_id), _language(request, lang))


@router.post("/tickets/{int:ticket_id}/articles", response={200: LinkedArticleList, 201: LinkedArticleList}, tags=["service"],
             summary="Link a knowledge article to a ticket (200 if it already was)")
def ticket_article_link(request: HttpRequest, ticket_id: int, payload: LinkArticleIn, lang: str = "") -> Status[dict[str, Any]]:
    user = actor(request, Perm.WORK_TICKETS)
    ticket = _ticket(ticket_id)
    language = _language(request, lang)
    changed = ticket_articles.ticket_link_article(actor=user, ticket=ticket, article=payload.article, language=language)
    return Status(201 if changed else 200, _linked(request, ticket, language))


@router.delete("/tickets/{int:ticket_id}/articles/{int:article_id}", response={204: None}, tags=["service"],
               summary="Take a knowledge article off a ticket (204 whether or not it was linked)")
def ticket_article_unlink(request: HttpRequest, ticket_id: int, article_id: int) -> Status[None]:
    user = actor(request, Perm.WORK_TICKETS)
    ticket_articles.ticket_unlink_article(actor=user, ticket=_ticket(ticket_id), article_id=article_id,
                                          language=_language(request, ""))
    return Status(204, None)
