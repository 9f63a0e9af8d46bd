"""Pages of the core app: the home redirect, the language switcher, settings and the audit log."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm
from kliyan.core.errors import KliyanError
from kliyan.core.forms import AuditFilterForm, OrganisationForm
from kliyan.core.models import AuditEntry
from kliyan.core.organisation import get_organisation
from kliyan.core.pagination import keyset_page
from kliyan.core.services import ORGANISATION_FIELDS, organisation_update
from kliyan.core.web import apply_errors, perm_required

LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60


@dataclass
class AuditRow:
    entry: AuditEntry
    type_label: str
    changes: list[tuple[str, object, object]]


def _field_label(model: type[Model] | None, name: str) -> str:
    """Return a field's human name ("time zone") for its stored name ("timezone", "owner_id")."""
    if model is None:
        return name
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return str(field.verbose_name)
    return name


def describe_entry(entry: AuditEntry) -> AuditRow:
    """Name the object type and the changed fields of an entry in the reader's language."""
    try:
        model = apps.get_model(entry.object_type) if "." in entry.object_type else None
    except LookupError:
        model = None
    type_label = capfirst(model._meta.verbose_name) if model is not None else entry.object_type
    changes = [(_field_label(model, name), before, after) for name, before, after in entry.changed_fields()]
    return AuditRow(entry=entry, type_label=type_label, changes=changes)


def home(request: HttpRequest) -> HttpResponse:
    """Send everyone to My day (which asks anonymous visitors to log in)."""
    return redirect(reverse("interactions:my_day"))


def _safe_next(request: HttpRequest) -> str:
    """Return the page to go back to, refusing addresses on other sites."""
    target = request.POST.get("next") or request.headers.get("Referer") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("core:home")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: a cookie for this browser, and the user's own setting."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if language not in {code for code, _name in settings.LANGUAGES}:
        return response
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=LANGUAGE_COOKIE_MAX_AGE,
        samesite="Lax", secure=settings.SESSION_COOKIE_SECURE, httponly=True,
    )
    return response


@perm_required(Perm.MANAGE_SETTINGS)
def organisation_settings(request: HttpRequest) -> HttpResponse:
    organisation = get_organisation()
    initial = {name: getattr(organisation, name) for name in ORGANISATION_FIELDS}
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_update(actor=request.user, data=form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("core:settings")
    status = 422 if form.errors else 200
    timezones = sorted(zoneinfo.available_timezones())
    return render(request, "core/settings.html", {"form": form, "timezones": timezones}, status=status)


@perm_required(Perm.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    """List audit entries, newest first, filtered by action, type of object and user."""
    users = [(user.pk, str(user)) for user in get_user_model().objects.order_by("username")]
    form = AuditFilterForm(request.GET or None, users=users)
    entries = AuditEntry.objects.all()
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["object_type"]:
            entries = entries.filter(object_type=data["object_type"])
        if data["user"]:
            entries = entries.filter(actor_id=data["user"])
    try:
        page = keyset_page(
            entries, ordering=["-at", "-id"], cursor=request.GET.get("cursor"), size=settings.KLIYAN_PAGE_SIZE
        )
    except KliyanError:
        page = keyset_page(entries, ordering=["-at", "-id"], cursor=None, size=settings.KLIYAN_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("cursor", None)
    rows = [describe_entry(entry) for entry in page.items]
    context = {"form": form, "page": page, "rows": rows, "filter_query": query.urlencode()}
    return render(request, "core/audit_log.html", context)
