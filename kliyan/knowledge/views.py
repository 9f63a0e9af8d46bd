"""Staff pages of the knowledge base: list, new article, per-language editor, history, publishing.

They parse, call a query or a service, and render. Viewers read everything (drafts,
internal articles, history); agents write drafts; managers publish.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm, can
from kliyan.core.api_types import MAX_ID
from kliyan.core.choices import Language
from kliyan.core.errors import AccessDenied, KliyanError, NotFound
from kliyan.core.web import apply_errors, is_htmx, perm_required
from kliyan.knowledge import queries, services
from kliyan.knowledge.forms import ArticleCreateForm, ArticleFilterForm, ArticleSettingsForm, TranslationForm
from kliyan.knowledge.models import Article, ArticleTranslation
from kliyan.knowledge.rendering import render_body


def _status(form: Any) -> int:
    return 422 if form.errors else 200


def _id_or_404(pk: int) -> int:
    # An address can hold a number wider than any database column; that is "not found", not a crash.
    if not 0 < pk <= MAX_ID:
        raise Http404
    return pk


def _article_or_404(pk: int) -> Article:
    article = queries.article_for_editor(_id_or_404(pk))
    if article is None:
        raise Http404
    return article


def _language_or_404(language: str) -> str:
    if language not in Language.values:
        raise Http404
    return language


def may_change(user: Any, translation: ArticleTranslation | None) -> bool:
    """Return whether `user` may change this text (a published one needs knowledge.publish)."""
    if not can(user, Perm.EDIT_KNOWLEDGE):
        return False
    return translation is None or not translation.is_published or can(user, Perm.PUBLISH_KNOWLEDGE)


# --- The list ---------------------------------------------------------------------------

@perm_required(Perm.VIEW_KNOWLEDGE)
def article_list(request: HttpRequest) -> HttpResponse:
    form = ArticleFilterForm(request.GET)
    form.is_valid()
    # Only the valid filters are in cleaned_data: a bad one is ignored, not an error page.
    data = getattr(form, "cleaned_data", {})
    filters = queries.ArticleFilters(
        q=data.get("q") or "", status=data.get("status") or "", missing=data.get("missing") or "",
        category_id=data.get("category"), tag=data.get("tag") or "",
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    context: dict[str, Any] = {"form": form, "filter_query": query.urlencode(), "searching": bool(filters.q.strip())}
    if context["searching"]:
        context.update(articles=queries.article_search(filters, request.LANGUAGE_CODE), page=None, cursor=None)
    else:
        cursor = request.GET.get("cursor") or None
        size = settings.KLIYAN_PAGE_SIZE
        try:
            page = queries.article_page(filters, cursor=cursor, size=size)
        except KliyanError:
            cursor, page = None, queries.article_page(filters, cursor=None, size=size)
        context.update(articles=page.items, page=page, cursor=cursor)
    context["rows"] = [_row(article, request.LANGUAGE_CODE) for article in context["articles"]]
    context["languages"] = Language.choices
    template = "knowledge/article_list.html#results" if is_htmx(request) else "knowledge/article_list.html"
    return render(request, template, context)


def _row(article: Article, language: str) -> dict[str, Any]:
    translations = list(article.translations.all())
    shown = queries.pick_translation(translations, queries.fallback_languages(language))
    by_language = {t.language: t for t in translations}
    return {
        "article": article, "shown": shown,
        "languages": [(code, name, by_language.get(code)) for code, name in Language.choices],
    }


# --- New article --------------------------------------------------------------------------

@perm_required(Perm.EDIT_KNOWLEDGE)
def article_create(request: HttpRequest) -> HttpResponse:
    initial = {"language": request.LANGUAGE_CODE}
    form = ArticleCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "base_version"}
        try:
            article = services.article_create(actor=request.user, data=data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Article saved as a draft."))
            return redirect("knowledge:article_edit", article.pk, data["language"])
    context = {"form": form, "categories": queries.category_choices()}
    return render(request, "knowledge/article_form.html", context, status=_status(form))


@perm_required(Perm.VIEW_KNOWLEDGE)
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the editor in the asked language (?lang=, the phone's language picker), else the best one."""
    article = _article_or_404(pk)
    asked = request.GET.get("lang", "")
    if asked in Language.values:
        return redirect("knowledge:article_edit", article.pk, asked)
    shown = queries.pick_translation(article.translations.all(), queries.fallback_languages(request.LANGUAGE_CODE))
    return redirect("knowledge:article_edit", article.pk, shown.language if shown else request.LANGUAGE_CODE)


# --- The editor -----------------------------------------------------------------------------

def _editor_context(request: HttpRequest, article: Article, language: str, translation: ArticleTranslation | None) -> dict[str, Any]:
    translations = list(article.translations.all())
    by_language = {t.language: t for t in translations}
    settings_form = ArticleSettingsForm(initial={
        "category": article.category.name if article.category_id else "",
        "tags": ", ".join(t.name for t in article.tags.all()), "internal": article.internal,
    })
    return {
        "article": article, "language": language, "language_name": dict(Language.choices)[language],
        "translation": translation, "title": (translation or (translations[0] if translations else None)),
        "languages": [(code, name, by_language.get(code)) for code, name in Language.choices],
        "settings_form": settings_form, "categories": queries.category_choices(),
        "may_change": may_change(request.user, translation),
        "may_publish": can(request.user, Perm.PUBLISH_KNOWLEDGE),
        "may_edit": can(request.user, Perm.EDIT_KNOWLEDGE),
        "html": render_body(translation.body) if translation else "",
        "public_url": (
            queries.public_url(translation.language, translation.slug)
            if translation and translation.is_published and not article.internal else None
        ),
    }


@perm_required(Perm.VIEW_KNOWLEDGE)
def article_edit(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    article = _article_or_404(pk)
    language = _language_or_404(language)
    translation = ArticleTranslation.objects.select_related("updated_by").filter(article=article, language=language).first()
    if request.method == "POST" and not can(request.user, Perm.EDIT_KNOWLEDGE):
        raise PermissionDenied
    initial = {"base_version": translation.version} if translation else {}
    if translation:
        initial.update(title=translation.title, slug=translation.slug, body=translation.body)
    form = TranslationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {key: form.cleaned_data[key] for key in ("title", "slug", "body")}
        try:
            saved, created = services.translation_save(
                actor=request.user, article=article, language=language, data=data,
                base_version=form.cleaned_data.get("base_version") if translation else None,
            )
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Translation added as a draft.") if created else _("Saved as version %(n)s.") % {"n": saved.version})
            return redirect("knowledge:article_edit", article.pk, language)
    context = {**_editor_context(request, article, language, translation), "form": form}
    return render(request, "knowledge/article_edit.html", context, status=_status(form))


@require_POST
@perm_required(Perm.EDIT_KNOWLEDGE)
def article_settings(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article_or_404(pk)
    language = request.POST.get("language", "")
    language = language if language in Language.values else request.LANGUAGE_CODE
    form = ArticleSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.article_update(actor=request.user, article=article, data=form.cleaned_data)
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Article settings saved."))
            return redirect("knowledge:article_edit", article.pk, language)
    translation = ArticleTranslation.objects.select_related("updated_by").filter(article=article, language=language).first()
    context = _editor_context(request, article, language, translation)
    context.update(settings_form=form, form=_translation_form(translation))
    return render(request, "knowledge/article_edit.html", context, status=422)


def _translation_form(translation: ArticleTranslation | None) -> TranslationForm:
    if translation is None:
        return TranslationForm()
    return TranslationForm(initial={
        "title": translation.title, "slug": translation.slug, "body": translation.body, "base_version": translation.version,
    })


def _translation_or_404(pk: int, language: str) -> ArticleTranslation:
    language = _language_or_404(language)
    translation = ArticleTranslation.objects.select_related("article").filter(article_id=_id_or_404(pk), language=language).first()
    if translation is None:
        raise Http404
    return translation


@require_POST
@perm_required(Perm.PUBLISH_KNOWLEDGE)
def translation_publish(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    translation = _translation_or_404(pk, language)
    services.translation_publish(actor=request.user, translation=translation)
    if translation.article.internal:
        messages.success(request, _("Published for staff; the article is internal, so the public does not see it."))
    else:
        messages.success(request, _("Published: customers can read it now."))
    return redirect("knowledge:article_edit", pk, language)


@require_POST
@perm_required(Perm.PUBLISH_KNOWLEDGE)
def translation_unpublish(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    translation = _translation_or_404(pk, language)
    services.translation_unpublish(actor=request.user, translation=translation)
    messages.success(request, _("Back to draft: the public no longer sees it."))
    return redirect("knowledge:article_edit", pk, language)


@perm_required(Perm.EDIT_KNOWLEDGE)
def translation_delete(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    translation = _translation_or_404(pk, language)
    if request.method == "POST":
        try:
            services.translation_delete(actor=request.user, translation=translation)
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except KliyanError as error:
            messages.error(request, error.message)
            return redirect("knowledge:article_edit", pk, language)
        messages.success(request, _("The %(language)s text and its history were deleted.") % {"language": translation.get_language_display()})
        return redirect("knowledge:article_detail", pk)
    return render(request, "knowledge/confirm_delete.html", {"translation": translation, "article": translation.article})


@perm_required(Perm.PUBLISH_KNOWLEDGE)
def article_delete(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article_or_404(pk)
    if request.method == "POST":
        services.article_delete(actor=request.user, article=article)
        messages.success(request, _("Article deleted."))
        return redirect("knowledge:article_list")
    shown = queries.pick_translation(article.translations.all(), queries.fallback_languages(request.LANGUAGE_CODE))
    return render(request, "knowledge/confirm_delete.html", {"article": article, "translation": None, "shown": shown})


# --- History --------------------------------------------------------------------------------

@perm_required(Perm.VIEW_KNOWLEDGE)
def translation_history(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    translation = _translation_or_404(pk, language)
    versions = list(translation.versions.select_related("created_by"))
    rows = [{"version": v, "html": render_body(v.body), "current": v.number == translation.version} for v in versions]
    context = {
        "translation": translation, "article": translation.article, "rows": rows,
        "may_restore": may_change(request.user, translation),
    }
    return render(request, "knowledge/article_history.html", context)


@require_POST
@perm_required(Perm.EDIT_KNOWLEDGE)
def version_restore(request: HttpRequest, pk: int, language: str, number: int) -> HttpResponse:
    translation = _translation_or_404(pk, language)
    try:
        restored = services.version_restore(actor=request.user, translation=translation, number=number)
    except AccessDenied as error:
        raise PermissionDenied(error.message) from None
    except NotFound:
        raise Http404 from None
    except KliyanError as error:
        messages.error(request, error.message)
        return redirect("knowledge:translation_history", pk, language)
    messages.success(request, _("Version %(old)s restored as version %(new)s.") % {"old": number, "new": restored.version})
    return redirect("knowledge:article_edit", pk, language)
