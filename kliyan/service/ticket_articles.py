"""Knowledge-base articles linked to a ticket: the answers an agent used or sent the customer.

A link stores the article id only (TicketArticle); titles, summaries and public addresses
come from `kliyan.knowledge.queries`, in the reader's language. Linking writes the ticket's
history and the audit log; linking twice, or unlinking what is not linked, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.core.api_types import MAX_ID
from kliyan.core.audit import record
from kliyan.core.errors import FieldErrors
from kliyan.core.events import emit
from kliyan.core.models import AuditAction
from kliyan.knowledge.queries import ArticleHit, article_summaries, article_summary
from kliyan.service.choices import EventKind
from kliyan.service.models import Ticket, TicketArticle, TicketEvent
from kliyan.service.services import _id, ticket_payload


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _clean_article(value: Any, language: str) -> ArticleHit:
    errors = FieldErrors()
    pk = _id(value, errors, "article")
    if pk is None and not errors:
        errors.add("article", _("This field is required."))
    hit = article_summary(pk, language, public_only=False) if pk is not None else None
    if pk is not None and hit is None:
        errors.add("article", _("There is no knowledge article with id %(id)s.") % {"id": pk})
    errors.raise_if_any()
    assert hit is not None
    return hit


def _history(actor: Any, ticket: Ticket, *, old: str = "", new: str = "", article_id: int) -> None:
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.ARTICLE, actor=_user(actor), actor_label=str(_user(actor) or ""), at=timezone.now(),
        old_value=str(article_id) if old else "", new_value=str(article_id) if new else "", old_label=old[:255], new_label=new[:255],
    )


@transaction.atomic
def ticket_link_article(*, actor: Any, ticket: Ticket, article: Any, language: str = "en") -> bool:
    """Link a knowledge article (by id) to the ticket; return False if it already was."""
    hit = _clean_article(article, language)
    if TicketArticle.objects.filter(ticket=ticket, article_id=hit.article_id).exists():
        return False
    try:
        with transaction.atomic():
            link = TicketArticle.objects.create(ticket=ticket, article_id=hit.article_id, linked_by=_user(actor))
    except IntegrityError:
        return False  # the same link made a moment ago by a retried request
    _history(actor, ticket, new=hit.title, article_id=hit.article_id)
    record(actor=actor, action=AuditAction.CREATE, instance=link, contact_id=ticket.contact_id,
           label=f"{ticket.reference} · {hit.title}", after={"ticket": ticket.pk, "article_id": hit.article_id})
    emit("ticket.updated", ticket_payload(ticket, changed=["articles"], article_id=hit.article_id))
    return True


@transaction.atomic
def ticket_unlink_article(*, actor: Any, ticket: Ticket, article_id: int, language: str = "en") -> bool:
    """Take an article off the ticket; return False if it was not linked."""
    if not 0 < article_id <= MAX_ID:
        return False
    link = TicketArticle.objects.filter(ticket=ticket, article_id=article_id).first()
    if link is None:
        return False
    hit = article_summary(article_id, language, public_only=False)
    title = hit.title if hit else f"#{article_id}"
    link.delete()
    _history(actor, ticket, old=title, article_id=article_id)
    record(actor=actor, action=AuditAction.DELETE, object_type_label="service.ticketarticle", object_id=str(article_id),
           contact_id=ticket.contact_id, label=f"{ticket.reference} · {title}",
           before={"ticket": ticket.pk, "article_id": article_id})
    emit("ticket.updated", ticket_payload(ticket, changed=["articles"], article_id=article_id))
    return True


@dataclass(frozen=True)
class LinkedArticle:
    """An article linked to a ticket.

    `hit` is the article as staff read it, in the reader's language (None when the article was
    deleted since); `for_customer` is what the customer may be sent: the published public
    version in the customer's language, or its fallback (None if the public may not read it).
    """

    article_id: int
    linked_at: Any
    linked_by: str
    hit: ArticleHit | None
    for_customer: ArticleHit | None


def linked_articles(ticket: Ticket, language: str, *, customer_language: str = "") -> list[LinkedArticle]:
    """Return the ticket's articles, oldest link first: one query, plus four when there are any
    (the staff and the customer's versions)."""
    links = list(TicketArticle.objects.filter(ticket=ticket).select_related("linked_by").order_by("linked_at", "id"))
    if not links:
        return []
    ids = [link.article_id for link in links]
    hits = article_summaries(ids, language, public_only=False)
    public = article_summaries(ids, customer_language or language, public_only=True)
    return [
        LinkedArticle(
            link.article_id, link.linked_at, str(link.linked_by) if link.linked_by_id else "", hits.get(link.article_id),
            public.get(link.article_id),
        )
        for link in links
    ]
