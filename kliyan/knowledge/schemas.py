"""API shapes of the knowledge base: the staff API and the public one (unknown input fields are refused by name)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input, PageOut
from kliyan.core.choices import Language
from kliyan.knowledge.models import Article, ArticleTranslation, ArticleVersion
from kliyan.knowledge.queries import ArticleHit, PublicArticle, public_url
from kliyan.knowledge.rendering import excerpt, render_body

LANGUAGE_HELP = f"One of {', '.join(Language.values)}"
BODY_HELP = (
    "Plain text: a blank line between paragraphs, '- ' or '1. ' list items, '## ' headings, **bold**, "
    "[text](https://…) links. HTML is escaped, never run."
)


# --- Staff input ------------------------------------------------------------------------

class ArticleCreate(Input):
    language: str = Field(..., description=LANGUAGE_HELP)
    title: str
    body: str = Field(..., description=BODY_HELP)
    slug: str = Field("", description="The end of the public address; made from the title when empty")
    category: str = Field("", description="A category name; a new name starts a category")
    tags: list[str] = Field(default_factory=list, description="Free labels: products, ticket categories, topics")
    internal: bool = Field(False, description="Staff only: never on the public pages or API")


class ArticleUpdate(Input):
    category: str | None = Field(None, description="A category name; empty for none")
    tags: list[str] | None = Field(None, description="Replaces the tags")
    internal: bool | None = Field(None, description="Making an article with published text public needs knowledge.publish")


class TranslationIn(Input):
    title: str
    body: str = Field(..., description=BODY_HELP)
    slug: str = Field("", description="Kept as it is when empty (a new translation gets one from its title)")
    base_version: int | None = Field(
        None, ge=1, description="The version you started from; if someone saved since, the answer is 409 and nothing is saved",
    )


# --- Staff output -----------------------------------------------------------------------

class TranslationBrief(Schema):
    language: str
    title: str
    slug: str
    status: str = Field(..., description="draft or published")
    version: int
    updated_at: dt.datetime


class TranslationOut(TranslationBrief):
    body: str
    html: str = Field(..., description="The text rendered as safe HTML")
    published_at: dt.datetime | None
    updated_by: str | None
    public_url: str | None = Field(..., description="Where the public reads it; null for drafts and internal articles")


class ArticleOut(Schema):
    id: int
    category: str
    tags: list[str]
    internal: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    translations: list[TranslationBrief]


class ArticleDetail(ArticleOut):
    translations: list[TranslationOut]  # type: ignore[assignment]


class ArticlePage(PageOut):
    items: list[ArticleOut]


class VersionOut(Schema):
    number: int
    title: str
    slug: str
    body: str
    restored_from: int | None
    created_by: str | None
    created_at: dt.datetime


class VersionList(Schema):
    items: list[VersionOut]


class CategoryOut(Schema):
    id: int
    name: str


class CategoryList(Schema):
    items: list[CategoryOut]


def translation_brief(t: ArticleTranslation) -> dict[str, Any]:
    return {"language": t.language, "title": t.title, "slug": t.slug, "status": t.status, "version": t.version, "updated_at": t.updated_at}


def translation_out(t: ArticleTranslation, article: Article) -> dict[str, Any]:
    readable = t.is_published and not article.internal
    return {
        **translation_brief(t), "body": t.body, "html": str(render_body(t.body)), "published_at": t.published_at,
        "updated_by": t.updated_by.get_username() if t.updated_by_id else None,
        "public_url": public_url(t.language, t.slug) if readable else None,
    }


def article_out(article: Article, *, detail: bool = False) -> dict[str, Any]:
    translations = list(article.translations.all())
    return {
        "id": article.pk, "category": article.category.name if article.category_id else "",
        "tags": [t.name for t in article.tags.all()], "internal": article.internal,
        "created_at": article.created_at, "updated_at": article.updated_at,
        "translations": [translation_out(t, article) if detail else translation_brief(t) for t in translations],
    }


def version_out(v: ArticleVersion) -> dict[str, Any]:
    return {
        "number": v.number, "title": v.title, "slug": v.slug, "body": v.body, "restored_from": v.restored_from,
        "created_by": v.created_by.get_username() if v.created_by_id else (v.created_by_label or None), "created_at": v.created_at,
    }


# --- Public -----------------------------------------------------------------------------

class PublicArticleBrief(Schema):
    slug: str
    language: str = Field(..., description="The language of this title and summary")
    title: str
    summary: str = Field(..., description="The start of the text, without markup")
    category: str
    languages: list[str] = Field(..., description="Every language the article can be read in")
    url: str = Field(..., description="The public page")


class PublicArticleList(Schema):
    language: str = Field(..., description="The language asked for (or the organisation's)")
    items: list[PublicArticleBrief]


class PublicTranslationLink(Schema):
    language: str
    slug: str
    title: str
    url: str


class PublicArticleOut(Schema):
    slug: str
    language: str = Field(..., description="The language of the text (the one asked for, else a fallback)")
    requested_language: str
    fallback: bool = Field(..., description="true when the article is not in the language asked for")
    title: str
    body: str = Field(..., description="The text as written (plain text with light markup)")
    html: str = Field(..., description="The text rendered as safe HTML")
    summary: str
    category: str
    tags: list[str]
    url: str
    published_at: dt.datetime | None
    updated_at: dt.datetime
    translations: list[PublicTranslationLink]


def public_brief(hit: ArticleHit, absolute: Any) -> dict[str, Any]:
    return {
        "slug": hit.slug, "language": hit.language, "title": hit.title, "summary": hit.summary, "category": hit.category,
        "languages": hit.languages, "url": absolute(hit.url),
    }


def public_article_out(found: PublicArticle, tags: list[str], absolute: Any) -> dict[str, Any]:
    t = found.translation
    return {
        "slug": t.slug, "language": t.language, "requested_language": found.requested, "fallback": found.fallback,
        "title": t.title, "body": t.body, "html": str(render_body(t.body)), "summary": excerpt(t.body),
        "category": t.article.category.name if t.article.category_id else "", "tags": tags,
        "url": absolute(public_url(t.language, t.slug)), "published_at": t.published_at, "updated_at": t.updated_at,
        "translations": [
            {"language": o.language, "slug": o.slug, "title": o.title, "url": absolute(public_url(o.language, o.slug))}
            for o in found.translations
        ],
    }
