"""API v1 for the knowledge base.

- `/knowledge/…` for staff (token or session): articles, translations, versions, publishing.
- `/kb/…` for anyone, without authentication: published articles that are not internal,
  and nothing else. Answers carry Cache-Control and an ETag, so a chatbot or the customer
  portal can cache them and revalidate cheaply (304 Not Modified).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from ninja import Query, Router, Status

from kliyan.accounts.access import Perm
from kliyan.contacts.api import LIMIT
from kliyan.core.api_auth import actor
from kliyan.core.api_types import ObjectId
from kliyan.core.choices import Language
from kliyan.core.errors import FieldErrors, NotFound
from kliyan.core.organisation import get_organisation
from kliyan.knowledge import queries, services
from kliyan.knowledge.models import ArticleTag
from kliyan.knowledge.schemas import (
    ArticleCreate,
    ArticleDetail,
    ArticlePage,
    ArticleUpdate,
    CategoryList,
    PublicArticleList,
    PublicArticleOut,
    TranslationIn,
    TranslationOut,
    VersionList,
    article_out,
    public_article_out,
    public_brief,
    translation_out,
    version_out,
)

router = Router(tags=["knowledge"])
SLUG = re.compile(r"^[-a-z0-9]{1,80}$")
public_router = Router(tags=["knowledge (public)"])
# How long a cache may keep a public answer before asking again (with If-None-Match).
PUBLIC_MAX_AGE = 300
LANGUAGE_CODES = ", ".join(Language.values)
PUBLIC_LIMIT = Query(50, ge=1, le=200, description="At most this many articles (at most 200)")


def _language(value: str, field: str = "lang") -> str:
    errors = FieldErrors()
    code = services.clean_language(value, errors, field)
    errors.raise_if_any()
    return code


# --- Staff --------------------------------------------------------------------------------

def _detail(article_id: int) -> dict[str, Any]:
    article = queries.article_for_api(article_id)
    if article is None:
        raise NotFound()
    return article_out(article, detail=True)


@router.get("/knowledge/articles", response=ArticlePage, summary="List articles (drafts and internal ones too)")
def article_list(
    request: HttpRequest,
    q: str = Query("", max_length=200, description="Words in a title or text, any language; results best match first, not paged"),
    lang: str = Query("", description="The language whose matches rank first (default: the organisation's)"),
    status: str = Query("", description="published (has published text) or draft (has a draft)"),
    missing: str = Query("", description="A language code: articles not yet written in it"),
    category: ObjectId | None = None, tag: str = "", internal: bool | None = None,
    cursor: str | None = None, limit: int = LIMIT,
) -> dict[str, Any]:
    actor(request, Perm.VIEW_KNOWLEDGE)
    filters = queries.ArticleFilters(q=q, status=status, missing=missing, category_id=category, tag=tag, internal=internal)
    queries.check_filters(filters)
    if q.strip():
        language = _language(lang) if lang else get_organisation().language
        return {"items": [article_out(a) for a in queries.article_search(filters, language, limit=limit)], "next_cursor": None}
    page = queries.article_page(filters, cursor=cursor, size=limit)
    return {"items": [article_out(a) for a in page.items], "next_cursor": page.next_cursor}


@router.post("/knowledge/articles", response={201: ArticleDetail}, summary="Write an article (its first translation is a draft)")
def article_create(request: HttpRequest, payload: ArticleCreate) -> Status[dict[str, Any]]:
    user = actor(request, Perm.EDIT_KNOWLEDGE)
    article = services.article_create(actor=user, data=payload.model_dump())
    return Status(201, _detail(article.pk))


@router.get("/knowledge/articles/{int:article_id}", response=ArticleDetail, summary="Read an article with every translation")
def article_detail(request: HttpRequest, article_id: int) -> dict[str, Any]:
    actor(request, Perm.VIEW_KNOWLEDGE)
    return _detail(services.get_article(article_id).pk)


@router.patch("/knowledge/articles/{int:article_id}", response=ArticleDetail, summary="Change category, tags or internal")
def article_update(request: HttpRequest, article_id: int, payload: ArticleUpdate) -> dict[str, Any]:
    user = actor(request, Perm.EDIT_KNOWLEDGE)
    article = services.article_update(actor=user, article=services.get_article(article_id), data=payload.model_dump(exclude_unset=True))
    return _detail(article.pk)


@router.delete("/knowledge/articles/{int:article_id}", response={204: None}, summary="Delete an article, every language and version")
def article_delete(request: HttpRequest, article_id: int) -> Status[None]:
    user = actor(request, Perm.PUBLISH_KNOWLEDGE)
    services.article_delete(actor=user, article=services.get_article(article_id))
    return Status(204, None)


@router.put(
    "/knowledge/articles/{int:article_id}/translations/{lang}", response={200: TranslationOut, 201: TranslationOut},
    summary="Write or change the text in one language (a new version; a published text needs knowledge.publish)",
)
def translation_put(request: HttpRequest, article_id: int, lang: str, payload: TranslationIn) -> Status[dict[str, Any]]:
    user = actor(request, Perm.EDIT_KNOWLEDGE)
    article = services.get_article(article_id)
    data = payload.model_dump(exclude={"base_version"})
    translation, created = services.translation_save(
        actor=user, article=article, language=_language(lang), data=data, base_version=payload.base_version,
    )
    translation = queries.translation_for_api(translation.pk)
    return Status(201 if created else 200, translation_out(translation, translation.article))


@router.delete("/knowledge/articles/{int:article_id}/translations/{lang}", response={204: None}, summary="Delete one language")
def translation_delete(request: HttpRequest, article_id: int, lang: str) -> Status[None]:
    user = actor(request, Perm.EDIT_KNOWLEDGE)
    translation = services.get_translation(services.get_article(article_id), _language(lang))
    services.translation_delete(actor=user, translation=translation)
    return Status(204, None)


@router.post(
    "/knowledge/articles/{int:article_id}/translations/{lang}/publish", response=TranslationOut,
    summary="Publish one language (the public reads it unless the article is internal)",
)
def translation_publish(request: HttpRequest, article_id: int, lang: str) -> dict[str, Any]:
    user = actor(request, Perm.PUBLISH_KNOWLEDGE)
    translation = services.get_translation(services.get_article(article_id), _language(lang))
    services.translation_publish(actor=user, translation=translation)
    translation = queries.translation_for_api(translation.pk)
    return translation_out(translation, translation.article)


@router.post(
    "/knowledge/articles/{int:article_id}/translations/{lang}/unpublish", response=TranslationOut,
    summary="Take one language back to draft",
)
def translation_unpublish(request: HttpRequest, article_id: int, lang: str) -> dict[str, Any]:
    user = actor(request, Perm.PUBLISH_KNOWLEDGE)
    translation = services.get_translation(services.get_article(article_id), _language(lang))
    services.translation_unpublish(actor=user, translation=translation)
    translation = queries.translation_for_api(translation.pk)
    return translation_out(translation, translation.article)


@router.get(
    "/knowledge/articles/{int:article_id}/translations/{lang}/versions", response=VersionList,
    summary="Every saved version of one language, newest first",
)
def version_list(request: HttpRequest, article_id: int, lang: str) -> dict[str, Any]:
    actor(request, Perm.VIEW_KNOWLEDGE)
    translation = services.get_translation(services.get_article(article_id), _language(lang))
    return {"items": [version_out(v) for v in translation.versions.select_related("created_by")]}


@router.post(
    "/knowledge/articles/{int:article_id}/translations/{lang}/versions/{int:number}/restore", response=TranslationOut,
    summary="Save an earlier version again as the newest",
)
def version_restore(request: HttpRequest, article_id: int, lang: str, number: int) -> dict[str, Any]:
    user = actor(request, Perm.EDIT_KNOWLEDGE)
    translation = services.get_translation(services.get_article(article_id), _language(lang))
    services.version_restore(actor=user, translation=translation, number=number)
    translation = queries.translation_for_api(translation.pk)
    return translation_out(translation, translation.article)


@router.get("/knowledge/categories", response=CategoryList, summary="List the categories")
def category_list(request: HttpRequest) -> dict[str, Any]:
    actor(request, Perm.VIEW_KNOWLEDGE)
    return {"items": [{"id": pk, "name": name} for pk, name in queries.category_choices()]}


# --- Public ---------------------------------------------------------------------------------

def _cacheable(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    """Answer `body` as JSON that caches may keep PUBLIC_MAX_AGE seconds, or 304 if the client has it."""
    content = json.dumps(body, ensure_ascii=False, default=str, separators=(",", ":")).encode()
    # Weak: the gzip middleware re-encodes the bytes; the meaning is what the tag names.
    etag = f'W/"{hashlib.sha256(content).hexdigest()[:32]}"'
    cache_control = f"public, max-age={PUBLIC_MAX_AGE}"
    wanted = [tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))]
    if etag.removeprefix("W/") in wanted or "*" in wanted:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(content, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


@public_router.get(
    "/kb/articles", response=PublicArticleList, auth=None,
    summary="Search or list the published articles (no authentication; cacheable)",
)
def public_article_list(
    request: HttpRequest,
    q: str = Query("", max_length=200, description="Words to search for; empty lists every article"),
    lang: str = Query("", description=f"The reader's language ({LANGUAGE_CODES}); default: the organisation's"),
    limit: int = PUBLIC_LIMIT,
) -> HttpResponse:
    language = _language(lang) if lang else get_organisation().language
    if q.strip():
        hits = queries.search_articles(q, language, public_only=True, limit=min(limit, queries.SEARCH_LIMIT_MAX))
    else:
        hits = [entry.hit for _name, entries in queries.public_index(language) for entry in entries][:limit]
    body = {"language": language, "items": [public_brief(hit, request.build_absolute_uri) for hit in hits]}
    return _cacheable(request, body)


@public_router.get(
    "/kb/articles/{slug}", response=PublicArticleOut, auth=None,
    summary="Read a published article in a language, or its fallback (no authentication; cacheable)",
)
def public_article_detail(
    request: HttpRequest, slug: str,
    lang: str = Query("", description="The reader's language; default: the organisation's"),
) -> HttpResponse:
    language = _language(lang) if lang else get_organisation().language
    found = queries.public_article(slug, language) if SLUG.match(slug) else None
    if found is None:
        raise NotFound()
    tags = list(ArticleTag.objects.filter(article_id=found.translation.article_id).order_by("name").values_list("name", flat=True))
    return _cacheable(request, public_article_out(found, tags, request.build_absolute_uri))

