"""API shapes of problems, corrective actions, known issues, similar tickets and ticket articles
(unknown input fields are refused by name). Output helpers build plain dicts, as schemas.py does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input, PageOut, Ref, UserRef, ref, user_ref
from kliyan.core.api_types import ObjectId
from kliyan.service.choices import problem_transitions
from kliyan.service.models import CorrectiveAction, Problem, ProblemEvent

PROBLEM_STATUS_HELP = "open, investigating, fixing (a fix is in progress), resolved or closed"
ACTION_STATUS_HELP = "todo, doing or done"


class ProblemFields(Input):
    title: str | None = None
    description: str | None = Field(None, description="What is happening")
    root_cause: str | None = Field(None, description="Why it happens, once known")
    customer_message: str | None = Field(None, description="What agents tell a customer who has this problem")
    category: ObjectId | None = Field(None, description="Ticket category id")
    product: ObjectId | None = Field(None, description="Product id")
    product_sku: str | None = Field(None, description="Or the product's SKU")
    owner: ObjectId | None = Field(None, description="Staff user id (agent, manager or admin)")
    status: str | None = Field(None, description=PROBLEM_STATUS_HELP)


class ProblemCreate(ProblemFields):
    title: str = Field(..., description="What the problem is, in a line")
    tickets: list[ObjectId] | None = Field(None, description="Ids of tickets to link at once")


class ProblemUpdate(ProblemFields):
    status: str | None = Field(
        None, description=PROBLEM_STATUS_HELP + "; `allowed_statuses` lists the moves; closing needs every action done and verified",
    )


class ActionFields(Input):
    description: str | None = Field(None, description="What will be done")
    owner: ObjectId | None = Field(None, description="Staff user id")
    due_date: dt.date | None = Field(None, description="YYYY-MM-DD")
    status: str | None = Field(None, description=ACTION_STATUS_HELP)
    verified: bool | None = Field(None, description="Did it work? true or false once done; null: not checked yet")
    verification_note: str | None = Field(None, description="How it was checked")


class ActionCreate(ActionFields):
    description: str = Field(..., description="What will be done")


class ActionOut(Schema):
    id: int
    problem_id: int
    description: str
    owner: UserRef | None
    due_date: dt.date | None
    status: str
    done_at: dt.datetime | None
    verified: bool | None = Field(None, description="Did it work? null until checked")
    verified_by: UserRef | None
    verified_at: dt.datetime | None
    verification_note: str
    created_at: dt.datetime
    updated_at: dt.datetime


def action_out(action: CorrectiveAction) -> dict[str, Any]:
    return {
        "id": action.pk, "problem_id": action.problem_id, "description": action.description,
        "owner": user_ref(action.owner if action.owner_id else None), "due_date": action.due_date, "status": action.status,
        "done_at": action.done_at, "verified": action.verified,
        "verified_by": user_ref(action.verified_by if action.verified_by_id else None), "verified_at": action.verified_at,
        "verification_note": action.verification_note, "created_at": action.created_at, "updated_at": action.updated_at,
    }


class ProblemEventOut(Schema):
    id: int
    kind: str
    field: str
    old_value: str
    new_value: str
    ticket_id: int | None
    action_id: int | None
    actor: str
    at: dt.datetime


def problem_event_out(event: ProblemEvent) -> dict[str, Any]:
    return {
        "id": event.pk, "kind": event.kind, "field": event.field, "old_value": event.old_value, "new_value": event.new_value,
        "ticket_id": event.ticket_id, "action_id": event.action_id, "actor": event.actor_label, "at": event.at,
    }


class ProblemOut(Schema):
    id: int
    reference: str = Field(..., description="e.g. P-000012")
    title: str
    status: str
    allowed_statuses: list[str]
    category: Ref | None
    product: Ref | None
    owner: UserRef | None
    customer_message: str
    description: str
    root_cause: str
    affected_customers: int = Field(..., description="Distinct contacts of its tickets and of open unlinked tickets it matches")
    actions_total: int
    actions_settled: int = Field(..., description="Actions done and verified to have worked")
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None


class ProblemDetailOut(ProblemOut):
    ticket_count: int
    actions: list[ActionOut]
    history: list[ProblemEventOut]


class ProblemPage(PageOut):
    items: list[ProblemOut]


def problem_out(problem: Problem) -> dict[str, Any]:
    """Return a problem as the list shows it (category, product, owner and figures loaded)."""
    return {
        "id": problem.pk, "reference": problem.reference, "title": problem.title, "status": problem.status,
        "allowed_statuses": problem_transitions(problem.status),
        "category": ref(problem.category_id, problem.category.name) if problem.category_id else None,
        "product": ref(problem.product_id, problem.product.name) if problem.product_id else None,
        "owner": user_ref(problem.owner if problem.owner_id else None), "customer_message": problem.customer_message,
        "description": problem.description, "root_cause": problem.root_cause,
        "affected_customers": problem.affected, "actions_total": problem.actions_total, "actions_settled": problem.actions_settled,
        "created_at": problem.created_at, "updated_at": problem.updated_at, "resolved_at": problem.resolved_at,
        "closed_at": problem.closed_at,
    }


class LinkTicketIn(Input):
    ticket: ObjectId = Field(..., description="Ticket id")


class LinkOut(Schema):
    problem_id: int
    ticket_id: int
    changed: bool = Field(..., description="false when the ticket was already linked to this problem")


class KnownIssueOut(Schema):
    id: int
    reference: str
    title: str
    status: str
    status_label: str
    customer_message: str = Field(..., description="What to tell the customer")
    category: str
    product: str
    affected: int = Field(..., description="Customers affected")
    url: str
    linked: bool = Field(..., description="The ticket asked about is linked to this problem")


class KnownIssueList(Schema):
    items: list[KnownIssueOut]


class SuggestionOut(Schema):
    kind: str = Field(..., description="ticket or problem")
    id: int
    reference: str
    title: str
    status: str
    status_label: str
    url: str
    score: float = Field(..., description="Text similarity (TF-IDF cosine over word stems) plus boosts; higher is closer")
    shared_words: list[str]
    same_category: bool
    same_product: bool
    same_customer: bool
    customer: str
    customer_message: str
    why: str = Field(..., description="Why it was suggested, in the reader's language")


class ArticleSuggestionOut(Schema):
    article_id: int
    title: str
    language: str
    summary: str
    url: str
    public_url: str | None
    matched: str = Field(..., description="The words it was found with")


class SimilarOut(Schema):
    tickets: list[SuggestionOut]
    problems: list[SuggestionOut]
    articles: list[ArticleSuggestionOut]


class LinkArticleIn(Input):
    article: ObjectId = Field(..., description="Knowledge article id")


class LinkedArticleOut(Schema):
    article_id: int
    available: bool = Field(..., description="false if the article was deleted from the knowledge base since")
    title: str | None
    language: str | None
    summary: str | None
    url: str | None = Field(None, description="Where staff read it")
    public_url: str | None = Field(
        None, description="The address to send the customer, in their language when it exists; null unless published and public",
    )
    public_language: str | None = Field(None, description="The language of `public_url`")
    linked_at: dt.datetime
    linked_by: str


class LinkedArticleList(Schema):
    items: list[LinkedArticleOut]
