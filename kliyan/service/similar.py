"""Similar open tickets, open problems and knowledge articles for what an agent is typing.

The database fetches candidates (the ticket full-text index, ticket_search.py: any stem
may match; open problems are few and read whole), then Python scores each one by TF-IDF
cosine over stems: a stem shared by few candidates weighs more than one most of them share
("comanda" says little in a shop's tickets, "curier" says a lot). A candidate needs some
words in common to be suggested; the same category, product or customer then moves it up.
Each suggestion says why: the words in common and what else it shares.

Articles come from the knowledge base's own search (every word must match there), asked
first with the subject's leading stems, then with single stems, in the agent's language.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from kliyan.core.text import fold
from kliyan.knowledge.queries import ArticleHit, search_articles
from kliyan.service.choices import PROBLEM_OPEN, ProblemStatus, TicketStatus
from kliyan.service.models import Problem, Ticket, problem_reference
from kliyan.service.ticket_search import similar_ticket_ids, stem, stems, stems_of_words

_SEPARATORS = re.compile(r"[\W_]+")
MIN_TEXT_SCORE = 0.12
SAME_PRODUCT_BOOST = 0.2
SAME_CATEGORY_BOOST = 0.15
SAME_CUSTOMER_BOOST = 0.1
PROBLEM_CANDIDATES = 300
SHOWN = 5
ARTICLES_SHOWN = 3
ARTICLE_SEARCHES = 3
TICKET_LABELS = dict(TicketStatus.choices)
PROBLEM_LABELS = dict(ProblemStatus.choices)


@dataclass(frozen=True)
class Suggestion:
    """A similar ticket or problem, with why it was suggested."""

    kind: str  # "ticket" or "problem"
    id: int
    reference: str
    title: str
    status: str
    status_label: str
    url: str
    score: float
    shared_words: list[str]
    same_category: bool
    same_product: bool
    same_customer: bool
    customer: str = ""  # tickets: whose it is
    customer_message: str = ""  # problems: what to tell the customer

    @property
    def why(self) -> str:
        parts = []
        if self.shared_words:
            parts.append(_("words in common: %(words)s") % {"words": ", ".join(self.shared_words)})
        if self.same_product:
            parts.append(_("same product"))
        if self.same_category:
            parts.append(_("same category"))
        if self.same_customer:
            parts.append(_("same customer"))
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "why": self.why}


@dataclass(frozen=True)
class ArticleSuggestion:
    hit: ArticleHit
    matched: str  # the words it was found with


@dataclass
class Suggestions:
    tickets: list[Suggestion] = field(default_factory=list)
    problems: list[Suggestion] = field(default_factory=list)
    articles: list[ArticleSuggestion] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tickets or self.problems or self.articles)


@dataclass
class _Candidate:
    kind: str
    row: Any
    stems: set[str]
    label_words: list[str]  # the words a reader recognises: the subject or title as typed


def _idf(candidates: list[_Candidate]) -> Any:
    """Return a weight per stem: rare among the candidates weighs more (smoothed, always > 0)."""
    df = Counter(s for candidate in candidates for s in candidate.stems)
    total = len(candidates)
    return lambda term: math.log(1 + (total + 1) / (df.get(term, 0) + 1))


def _cosine(query: set[str], document: set[str], weight: Any) -> float:
    shared = query & document
    if not shared:
        return 0.0
    dot = sum(weight(t) ** 2 for t in shared)
    norm = math.sqrt(sum(weight(t) ** 2 for t in query)) * math.sqrt(sum(weight(t) ** 2 for t in document))
    return dot / norm if norm else 0.0


def _shared_words(candidate: _Candidate, shared: set[str], folded: list[str]) -> list[str]:
    """Name the stems in common with words of the candidate, as written where possible."""
    named: dict[str, str] = {}
    for word in candidate.label_words:
        key = stem(fold(word))
        if key in shared and key not in named:
            named[key] = word
    for word in folded:
        key = stem(word)
        if key in shared and key not in named:
            named[key] = word
    return list(named.values())[:6]


def _ticket_candidates(ids: list[int], exclude: int | None) -> list[_Candidate]:
    rows = (
        Ticket.objects.filter(pk__in=ids).exclude(pk=exclude or 0).select_related("contact")
    )
    return [
        _Candidate("ticket", row, set(stems_of_words(row.search_text.split())), _raw_words(row.subject))
        for row in rows
    ]


def _raw_words(text: str) -> list[str]:
    return [w for w in _SEPARATORS.split(text or "") if w]


def _problem_candidates() -> list[_Candidate]:
    rows = Problem.objects.filter(status__in=PROBLEM_OPEN).order_by("-created_at", "-id")[:PROBLEM_CANDIDATES]
    return [
        _Candidate("problem", row, set(stems_of_words(row.search_text.split())), _raw_words(row.title))
        for row in rows
    ]


def _suggestion(candidate: _Candidate, score: float, shared: list[str], *, category_id: int | None, product_id: int | None,
                contact_id: int | None) -> Suggestion:
    row = candidate.row
    same_category = bool(category_id) and row.category_id == category_id
    same_product = bool(product_id) and row.product_id == product_id
    if candidate.kind == "ticket":
        return Suggestion(
            kind="ticket", id=row.pk, reference=row.reference, title=row.subject, status=row.status,
            status_label=str(TICKET_LABELS.get(row.status, row.status)), url=reverse("service:ticket_detail", args=[row.pk]),
            score=round(score, 3), shared_words=shared, same_category=same_category, same_product=same_product,
            same_customer=bool(contact_id) and row.contact_id == contact_id, customer=row.contact.display_name,
        )
    return Suggestion(
        kind="problem", id=row.pk, reference=problem_reference(row.pk), title=row.title, status=row.status,
        status_label=str(PROBLEM_LABELS.get(row.status, row.status)), url=reverse("service:problem_detail", args=[row.pk]),
        score=round(score, 3), shared_words=shared, same_category=same_category, same_product=same_product,
        same_customer=False, customer_message=row.customer_message,
    )


def rank(
    candidates: list[_Candidate], query_stems: set[str], *, category_id: int | None = None, product_id: int | None = None,
    contact_id: int | None = None, limit: int = SHOWN,
) -> list[Suggestion]:
    """Score the candidates against the query's stems; return the best, most similar first."""
    weight = _idf(candidates)
    scored = []
    for candidate in candidates:
        text_score = _cosine(query_stems, candidate.stems, weight)
        if text_score < MIN_TEXT_SCORE:
            continue
        row = candidate.row
        score = text_score
        score += SAME_CATEGORY_BOOST if category_id and row.category_id == category_id else 0
        score += SAME_PRODUCT_BOOST if product_id and row.product_id == product_id else 0
        if candidate.kind == "ticket" and contact_id and row.contact_id == contact_id:
            score += SAME_CUSTOMER_BOOST
        shared = _shared_words(candidate, query_stems & candidate.stems, row.search_text.split())
        scored.append((score, -row.pk, candidate, shared))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [
        _suggestion(candidate, score, shared, category_id=category_id, product_id=product_id, contact_id=contact_id)
        for score, _pk, candidate, shared in scored[:limit]
    ]


def suggest_articles(
    subject_stems: list[str], body_stems: list[str], language: str, *, limit: int = ARTICLES_SHOWN,
) -> list[ArticleSuggestion]:
    """Return knowledge articles for these stems: all of the subject's first three, then single stems."""
    searches: list[str] = []
    if len(subject_stems) > 1:
        searches.append(" ".join(subject_stems[:3]))
    for term in [*subject_stems, *body_stems]:
        if term not in searches and not term.isdigit():
            searches.append(term)
    found: dict[int, ArticleSuggestion] = {}
    for query in searches[:ARTICLE_SEARCHES]:
        for hit in search_articles(query, language, public_only=False, limit=limit):
            found.setdefault(hit.article_id, ArticleSuggestion(hit, query))
        if len(found) >= limit:
            break
    return list(found.values())[:limit]


def suggest(
    text: str, *, subject: str = "", category_id: int | None = None, product_id: int | None = None, contact_id: int | None = None,
    language: str = "en", exclude_ticket_id: int | None = None, limit: int = SHOWN, articles: bool = True,
) -> Suggestions:
    """Return the open tickets, open problems and articles most like `text` (a subject and description).

    `subject` (if given, part of `text`) leads the article search. A handful of queries:
    the ticket index, the candidate tickets, the open problems, and two per article search.
    """
    query_stems = stems(text)
    if not query_stems:
        return Suggestions()
    wanted = set(query_stems)
    tickets = _ticket_candidates(similar_ticket_ids(query_stems), exclude_ticket_id)
    problems = _problem_candidates()
    context = {"category_id": category_id, "product_id": product_id, "contact_id": contact_id, "limit": limit}
    result = Suggestions(tickets=rank(tickets, wanted, **context), problems=rank(problems, wanted, **context))
    if articles:
        subject_stems = stems(subject) if subject else query_stems[:4]
        rest = [s for s in query_stems if s not in subject_stems]
        result.articles = suggest_articles(subject_stems, rest, language)
    return result

