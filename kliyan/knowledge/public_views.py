"""The public knowledge base (/kb/): no login, published articles that are not internal, nothing else.

The language comes from the address (/kb/fr/…), else from the reader's choice (switcher,
browser, organisation); the page itself is rendered in the article's language. An
article missing in that language is shown in the organisation's language, saying so.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation as i18n

from kliyan.core.choices import Language
from kliyan.knowledge import queries
from kliyan.knowledge.rendering import render_body

QUERY_MAX = 200
SEARCH_RESULTS = 30


def _render_in(request: HttpRequest, language: str, template: str, context: dict) -> HttpResponse:
    with i18n.override(language):
        response = render(request, template, {**context, "kb_language": language})
    response.headers["Content-Language"] = language
    return response


def kb_index(request: HttpRequest, language: str | None = None) -> HttpResponse:
    if language is not None and language not in Language.values:
        raise Http404
    language = language or request.LANGUAGE_CODE
    q = request.GET.get("q", "")[:QUERY_MAX].strip()
    context = {
        "q": q, "languages": Language.choices,
        "hits": queries.search_articles(q, language, public_only=True, limit=SEARCH_RESULTS) if q else None,
        "shelves": None if q else queries.public_index(language),
        "switcher": [
            {"code": code, "name": name, "url": reverse("kb:index_in", args=[code]) + (f"?{urlencode({'q': q})}" if q else "")}
            for code, name in Language.choices
        ],
    }
    return _render_in(request, language, "knowledge/kb_index.html", context)


def kb_article(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    if language not in Language.values:
        raise Http404
    found = queries.public_article(slug, language)
    if found is None:
        raise Http404
    shown = found.translation
    if shown.language == language and shown.slug != slug:
        # The address used another language's slug: send the reader to this language's own address.
        return HttpResponsePermanentRedirect(queries.public_url(language, shown.slug))
    context = {
        "article": shown.article, "translation": shown, "html": render_body(shown.body), "found": found,
        "alternates": [(t, queries.public_url(t.language, t.slug)) for t in found.translations],
        "requested_name": dict(Language.choices)[language],
        "canonical": queries.public_url(shown.language, shown.slug),
    }
    # The page speaks the reader's language; a fallback article's text carries its own lang attribute.
    return _render_in(request, language, "knowledge/kb_article.html", context)
