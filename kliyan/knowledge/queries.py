"""Reads for the knowledge base: staff lists, search, the public pages and API, and other apps.

Other apps (the service desk suggesting articles on a ticket, the chatbot) call only
`search_articles`, `article_summaries` and `article_summary`; they get `ArticleHit`s,
plain values with the link to open, and never touch the knowledge tables.

Language: a reader gets each article in their language when it exists, otherwise in
the organisation's language, otherwise in the language it was found in (by its slug or
a search match), otherwise in the first language it has (en, fr, ht, ny, sq, ro order). "Visible" means published and not internal when `public_only`; everything
(drafts, internal articles) for staff.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext as _

from kliyan.core.choices import Language
from kliyan.core.errors import FieldErrors
from kliyan.core.organisation import get_organisation
from kliyan.core.pagination import Page, keyset_page
from kliyan.knowledge.choices import ArticleStatus
from kliyan.knowledge.models import Article, ArticleTag, ArticleTranslation, Category
from kliyan.knowledge.rendering import excerpt
from kliyan.knowledge.search import matching_translations, query_terms

SUMMARY_LENGTH = 200
# Enough of the text to cut a summary from, without reading whole articles for a list.
LEAD_LENGTH = 600
SEARCH_LIMIT_MAX = 50
STAFF_ORDERING = ["-updated_at", "-id"]


def fallback_languages(language: str, *also: str) -> list[str]:
    """Return the languages to try, in order: `language`, the organisation's, then `also`, then the rest."""
    order = [language, get_organisation().language, *also, *Language.values]
    return [code for n, code in enumerate(order) if code in Language.values and code not in order[:n]]


def pick_translation(translations: Iterable[ArticleTranslation], order: list[str]) -> ArticleTranslation | None:
    """Return the translation in the first language of `order` that has one."""
    by_language = {t.language: t for t in translations}
    for code in order:
        if code in by_language:
            return by_language[code]
    return next(iter(by_language.values()), None)


def public_url(language: str, slug: str) -> str:
    return reverse("kb:article", args=[language, slug])


def staff_url(article_id: int, language: str) -> str:
    return reverse("knowledge:article_edit", args=[article_id, language])


def visible_translations(*, public_only: bool) -> QuerySet[ArticleTranslation]:
    qs = ArticleTranslation.objects.all()
    if public_only:
        qs = qs.filter(status=ArticleStatus.PUBLISHED, article__internal=False)
    return qs


def _with_lead(qs: QuerySet[ArticleTranslation]) -> QuerySet[ArticleTranslation]:
    """Read the start of each text only (a list never needs a whole article)."""
    return qs.defer("body", "search_title", "search_body").annotate(lead=Substr("body", 1, LEAD_LENGTH))


# --- Results for search, the service desk and the chatbot ------------------------------

@dataclass(frozen=True)
class ArticleHit:
    """One article as a search result or a suggestion, in the best language for the reader."""

    article_id: int
    language: str
    title: str
    slug: str
    summary: str
    status: str
    internal: bool
    category: str
    languages: list[str]
    url: str  # the public page when the public may read it, else the staff editor
    public_url: str | None
    title_match: bool = False
    matched_language: str = ""
    tags: list[str] = field(default_factory=list)


def _hit(translation: ArticleTranslation, languages: list[str], **extra: Any) -> ArticleHit:
    article = translation.article
    readable = translation.status == ArticleStatus.PUBLISHED and not article.internal
    link = public_url(translation.language, translation.slug) if readable else None
    lead = getattr(translation, "lead", None)
    return ArticleHit(
        article_id=article.pk, language=translation.language, title=translation.title, slug=translation.slug,
        summary=excerpt(lead if lead is not None else translation.body, SUMMARY_LENGTH),
        status=translation.status, internal=article.internal, category=article.category.name if article.category_id else "",
        languages=languages, url=link or staff_url(article.pk, translation.language),
        public_url=link, tags=sorted(t.name for t in article.tags.all()), **extra,
    )


def article_summaries(
    article_ids: Iterable[int], language: str, *, public_only: bool, prefer: dict[int, str] | None = None,
) -> dict[int, ArticleHit]:
    """Return, for each article the reader may see, its hit in the best language (two queries).

    `prefer` names, per article, a language to try after `language` (the one a search
    matched in). Articles that do not exist or that the reader may not see are left out.
    """
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        return {}
    qs = _with_lead(visible_translations(public_only=public_only).filter(article_id__in=ids)).select_related(
        "article__category",
    ).prefetch_related(Prefetch("article__tags", queryset=ArticleTag.objects.order_by("name")))
    grouped: dict[int, list[ArticleTranslation]] = {}
    for translation in qs:
        grouped.setdefault(translation.article_id, []).append(translation)
    prefer = prefer or {}
    hits = {}
    for article_id, translations in grouped.items():
        order = fallback_languages(language, *([prefer[article_id]] if article_id in prefer else []))
        chosen = pick_translation(translations, order)
        languages = [code for code in Language.values if any(t.language == code for t in translations)]
        hits[article_id] = _hit(chosen, languages)
    return hits


def article_summary(article_id: int, language: str, *, public_only: bool) -> ArticleHit | None:
    """Return one article as a link with its title and summary, or None if the reader may not see it.

    For a ticket that links an article: `article_summary(link.article_id, ticket.language,
    public_only=False)` for the agent; `public_only=True` for what the customer is sent.
    """
    return article_summaries([article_id], language, public_only=public_only).get(article_id)


def search_articles(query: str, language: str, *, public_only: bool, limit: int = 10) -> list[ArticleHit]:
    """Return the articles that match `query`, best first, each in the best language for the reader.

    Every word must match (as a word prefix, accents and case ignored) the title or text of
    one translation. Articles that match in `language` come first; within them, and then
    within the others, a match in the title comes before a match in the text only. The
    service desk calls it with a ticket's subject to suggest articles:
    `search_articles(ticket.subject, ticket.language, public_only=False, limit=5)`.
    """
    terms = query_terms(query)
    limit = max(1, min(limit, SEARCH_LIMIT_MAX))
    if not terms:
        return []
    best: dict[int, tuple[tuple[bool, bool, float], Any]] = {}
    for match in matching_translations(terms, public_only=public_only):
        title_match = match.title_has(terms)
        key = (match.language != language, not title_match, -match.score)
        if match.article_id not in best or key < best[match.article_id][0]:
            best[match.article_id] = (key, match)
    ranked = sorted(best.items(), key=lambda item: (item[1][0], item[0]))[:limit]
    prefer = {article_id: match.language for article_id, (_key, match) in ranked}
    summaries = article_summaries(prefer, language, public_only=public_only, prefer=prefer)
    hits = []
    for article_id, (key, match) in ranked:
        if article_id in summaries:
            hits.append(replace(summaries[article_id], title_match=not key[1], matched_language=match.language))
    return hits


# --- Staff lists ----------------------------------------------------------------------

@dataclass(frozen=True)
class ArticleFilters:
    q: str = ""
    status: str = ""  # "published": has a published translation; "draft": has a draft one
    missing: str = ""  # a language code: articles with no translation in it
    category_id: int | None = None
    tag: str = ""
    internal: bool | None = None


def check_filters(filters: ArticleFilters) -> None:
    """Refuse filter values no page offers (the API names the parameter)."""
    errors = FieldErrors()
    if filters.status and filters.status not in ArticleStatus.values:
        errors.add("status", _("“%(value)s” is not a valid choice.") % {"value": filters.status})
    if filters.missing and filters.missing not in Language.values:
        errors.add("missing", _("“%(value)s” is not a valid choice.") % {"value": filters.missing})
    errors.raise_if_any()


def filtered_articles(filters: ArticleFilters) -> QuerySet[Article]:
    """Return the articles matching every filter except the search words."""
    qs = Article.objects.all()
    if filters.status:
        qs = qs.filter(Exists(ArticleTranslation.objects.filter(article=OuterRef("pk"), status=filters.status)))
    if filters.missing:
        qs = qs.filter(~Exists(ArticleTranslation.objects.filter(article=OuterRef("pk"), language=filters.missing)))
    if filters.category_id is not None:
        qs = qs.filter(category_id=filters.category_id)
    if filters.tag:
        qs = qs.filter(Exists(ArticleTag.objects.filter(article=OuterRef("pk"), name=filters.tag.strip().lower())))
    if filters.internal is not None:
        qs = qs.filter(internal=filters.internal)
    return qs


def with_listing(qs: QuerySet[Article]) -> QuerySet[Article]:
    """Load what a list row shows: the category, the tags and each translation's title and status."""
    translations = ArticleTranslation.objects.only(
        "id", "article_id", "language", "title", "slug", "status", "version", "updated_at",
    ).order_by("language")
    return qs.select_related("category").prefetch_related(
        Prefetch("translations", queryset=translations), Prefetch("tags", queryset=ArticleTag.objects.order_by("name")),
    )


def article_page(filters: ArticleFilters, *, cursor: str | None, size: int) -> Page[Article]:
    """Return a page of articles, most recently changed first (no search words)."""
    return keyset_page(with_listing(filtered_articles(filters)), ordering=STAFF_ORDERING, cursor=cursor, size=size)


def article_search(filters: ArticleFilters, language: str, *, limit: int = SEARCH_LIMIT_MAX) -> list[Article]:
    """Return the articles matching the filters and the search words, best match first."""
    ranked = [hit.article_id for hit in search_articles(filters.q, language, public_only=False, limit=SEARCH_LIMIT_MAX)]
    if not ranked:
        return []
    found = {a.pk: a for a in with_listing(filtered_articles(filters).filter(pk__in=ranked))}
    return [found[pk] for pk in ranked if pk in found][:limit]


def category_choices() -> list[tuple[int, str]]:
    return list(Category.objects.order_by("name", "id").values_list("id", "name"))


def tag_names() -> list[str]:
    return list(ArticleTag.objects.order_by("name").values_list("name", flat=True).distinct())


def article_for_editor(pk: int) -> Article | None:
    return with_listing(Article.objects.filter(pk=pk)).first()


def article_for_api(pk: int) -> Article | None:
    """Return the article with every translation in full (the API's detail answer)."""
    translations = ArticleTranslation.objects.select_related("updated_by").order_by("language")
    return Article.objects.filter(pk=pk).select_related("category").prefetch_related(
        Prefetch("translations", queryset=translations), Prefetch("tags", queryset=ArticleTag.objects.order_by("name")),
    ).first()


def translation_for_api(pk: int) -> ArticleTranslation:
    return ArticleTranslation.objects.select_related("article", "updated_by").get(pk=pk)


# --- Public pages and API -------------------------------------------------------------

@dataclass(frozen=True)
class PublicEntry:
    hit: ArticleHit
    fallback: bool  # shown in another language than the one asked for


def public_index(language: str, *, category_id: int | None = None) -> list[tuple[str, list[PublicEntry]]]:
    """Return every article the public may read, grouped by category (name order), titles in order."""
    qs = _with_lead(visible_translations(public_only=True)).select_related("article__category")
    if category_id is not None:
        qs = qs.filter(article__category_id=category_id)
    grouped: dict[int, list[ArticleTranslation]] = {}
    for translation in qs.prefetch_related(Prefetch("article__tags", queryset=ArticleTag.objects.order_by("name"))):
        grouped.setdefault(translation.article_id, []).append(translation)
    shelves: dict[str, list[PublicEntry]] = {}
    order = fallback_languages(language)
    for translations in grouped.values():
        chosen = pick_translation(translations, order)
        languages = [code for code in Language.values if any(t.language == code for t in translations)]
        entry = PublicEntry(_hit(chosen, languages), fallback=chosen.language != language)
        shelves.setdefault(entry.hit.category, []).append(entry)
    # Uncategorised articles last; within a shelf, by title as readers see it.
    names = sorted(shelves, key=lambda name: (name == "", name.casefold()))
    return [(name, sorted(shelves[name], key=lambda e: e.hit.title.casefold())) for name in names]


@dataclass(frozen=True)
class PublicArticle:
    translation: ArticleTranslation  # the one to show
    translations: list[ArticleTranslation]  # every published one, in Language order
    requested: str

    @property
    def fallback(self) -> bool:
        return self.translation.language != self.requested


def public_article(slug: str, language: str) -> PublicArticle | None:
    """Return the article whose published slug is `slug`, in `language` or its fallback (two queries).

    Slugs are unique per language; the same slug in several languages picks the article
    of `language`, then of the organisation's language.
    """
    found = list(visible_translations(public_only=True).filter(slug=slug).only("id", "article_id", "language"))
    origin = pick_translation(found, fallback_languages(language))
    if origin is None:
        return None
    siblings = list(
        visible_translations(public_only=True).filter(article_id=origin.article_id).select_related("article__category")
    )
    order = fallback_languages(language, origin.language)
    chosen = pick_translation(siblings, order)
    if chosen is None:
        return None
    ordered = sorted(siblings, key=lambda t: Language.values.index(t.language))
    return PublicArticle(translation=chosen, translations=ordered, requested=language)
