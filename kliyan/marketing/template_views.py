"""Pages of message templates: the list, the editor (one text per language), a preview with a real customer.

Agents (messages.send) list, read and preview templates; managers (marketing.manage) write
them. The pages parse, call template_services or template_queries, and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, can
from kliyan.contacts.models import Contact
from kliyan.contacts.queries import search_contacts
from kliyan.core.api_types import MAX_ID
from kliyan.core.choices import Language
from kliyan.core.errors import KliyanError
from kliyan.core.organisation import get_organisation
from kliyan.core.web import apply_errors, is_htmx, perm_required
from kliyan.marketing import template_queries as queries
from kliyan.marketing import template_services as services
from kliyan.marketing.models import MessageTemplate
from kliyan.marketing.rendering import EXTRA_PLACEHOLDERS, FILTERS, PLACEHOLDERS
from kliyan.marketing.template_forms import PreviewForm, TemplateFilterForm, TemplateForm, error_field_map

SEARCH_LIMIT = 8


def _template_or_404(pk: int) -> MessageTemplate:
    # An address can hold a number wider than any column: that is "not found", not a crash.
    template = queries.template_with_texts(pk) if 0 < pk <= MAX_ID else None
    if template is None:
        raise Http404
    return template


def _placeholders() -> list[tuple[str, Any, bool]]:
    return [(name, description, name in EXTRA_PLACEHOLDERS) for name, description in PLACEHOLDERS.items()]


def _editor_context(form: TemplateForm, template: MessageTemplate | None) -> dict[str, Any]:
    languages = form.languages()
    return {
        "form": form, "template": template, "languages": languages, "any_written": any(lang["written"] for lang in languages),
        "placeholders": _placeholders(), "filters": FILTERS, "home_language": get_organisation().language,
    }


@perm_required(Perm.SEND_MESSAGES)
def template_list(request: HttpRequest) -> HttpResponse:
    form = TemplateFilterForm(request.GET)
    channel = form.cleaned_data.get("channel", "") if form.is_valid() else ""
    rows = [
        {"template": t, "languages": {text.language for text in t.texts.all()}}
        for t in queries.templates(channel=channel)
    ]
    context = {
        "form": form, "rows": rows, "channel": channel, "all_languages": Language.choices,
        "may_manage": can(request.user, Perm.MANAGE_MARKETING),
    }
    return render(request, "marketing/templates/template_list.html", context)


@perm_required(Perm.MANAGE_MARKETING)
def template_create(request: HttpRequest) -> HttpResponse:
    form = TemplateForm(request.POST or None, initial={"channel": request.GET.get("channel", "")})
    if request.method == "POST" and form.is_valid():
        try:
            template = services.template_create(actor=request.user, data=form.service_data(keep_missing=True))
        except KliyanError as error:
            apply_errors(form, error, error_field_map())
        else:
            messages.success(request, _("Template saved."))
            return redirect("marketing:template_detail", template.pk)
    context = _editor_context(form, None)
    return render(request, "marketing/templates/template_form.html", context, status=422 if form.errors else 200)


@perm_required(Perm.SEND_MESSAGES)
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor for managers (read-only text for agents) and, for both, the preview with a customer."""
    template = _template_or_404(pk)
    may_manage = can(request.user, Perm.MANAGE_MARKETING)
    if request.method == "POST" and not may_manage:
        raise PermissionDenied
    if is_htmx(request) and request.method == "GET":
        return render(request, "marketing/templates/template_form.html#preview", _preview_context(request, template))
    form = TemplateForm(request.POST or None, template=template)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_update(actor=request.user, template=template, data=form.service_data(keep_missing=False))
        except KliyanError as error:
            apply_errors(form, error, error_field_map())
        else:
            messages.success(request, _("Template saved."))
            return redirect("marketing:template_detail", template.pk)
    context = {**_editor_context(form, template), **_preview_context(request, template), "may_manage": may_manage}
    return render(request, "marketing/templates/template_form.html", context, status=422 if form.errors else 200)


def _preview_context(request: HttpRequest, template: MessageTemplate) -> dict[str, Any]:
    """Find a customer (?q=), and render the template for the one chosen (?contact=, ?language=)."""
    form = PreviewForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    q = (data.get("q") or "").strip()
    found = search_contacts(q, limit=SEARCH_LIMIT) if q else []
    contact_id, language = data.get("contact"), data.get("language") or ""
    contact = Contact.objects.filter(pk=contact_id).first() if contact_id else None
    preview, problem = None, ""
    if contact is not None:
        try:
            preview = queries.template_preview(template=template, contact_id=contact.pk, language=language)
        except KliyanError as error:
            problem = " ".join(m for messages_ in error.field_errors.values() for m in messages_) or error.message
    return {
        "template": template, "preview_form": form, "q": q, "found": found, "contact": contact, "language": language,
        "preview": preview, "problem": problem, "languages_of_text": {t.language for t in template.texts.all()},
        "language_names": dict(Language.choices),
        "preview_language_name": dict(Language.choices).get(preview.language, "") if preview else "",
    }


@perm_required(Perm.MANAGE_MARKETING)
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template_or_404(pk)
    if request.method == "POST":
        services.template_delete(actor=request.user, template=template)
        messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
        return redirect("marketing:template_list")
    return render(request, "marketing/templates/template_delete.html", {"template": template})
