"""Pages for people, companies, consent and custom fields. They parse, call a service or a query, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm, can
from kliyan.contacts import queries
from kliyan.contacts.choices import CustomFieldTarget
from kliyan.contacts.forms import (
    CUSTOM_PREFIX,
    ChildForms,
    CompanyForm,
    ConsentForm,
    ContactFilterForm,
    ContactForm,
    CustomFieldForm,
    custom_initial,
    with_extra_row,
)
from kliyan.contacts.models import Company, Contact, CustomFieldDefinition
from kliyan.contacts.services import (
    DuplicateContact,
    company_archive,
    company_create,
    company_restore,
    company_update,
    consent_set,
    contact_archive,
    contact_create,
    contact_restore,
    contact_update,
    custom_field_archive,
    custom_field_create,
    custom_field_update,
)
from kliyan.contacts.validation import custom_field_definitions
from kliyan.core.errors import KliyanError, ValidationFailed
from kliyan.core.registry import contact_panels, contact_timeline
from kliyan.core.views import AuditRow, describe_entry
from kliyan.core.web import apply_errors, is_htmx, perm_required

TIMELINE_PAGE_SIZE = 20
QUICK_SEARCH_LIMIT = 8
AUDIT_ROWS = 10


def _page_size() -> int:
    return settings.KLIYAN_PAGE_SIZE


def _form_status(*forms_with_errors: Any) -> int:
    return 422 if any(forms_with_errors) else 200


# --- Contact list and quick search ----------------------------------------------------


def _contact_filters(form: ContactFilterForm) -> queries.ContactFilters:
    form.is_valid()
    # Only the valid filters are in cleaned_data: a bad one is ignored, not an error page.
    data = getattr(form, "cleaned_data", {})
    return queries.ContactFilters(
        q=data.get("q") or "", tag=data.get("tag") or "", company_id=data.get("company"),
        owner_id=data.get("owner"), language=data.get("language") or "",
        status=data.get("status") or "active", sort=data.get("sort") or "name",
    )


@perm_required(Perm.VIEW_CUSTOMERS)
def contact_list(request: HttpRequest) -> HttpResponse:
    """List contacts: one search box, filters, sort, a page at a time (the same cost on any page)."""
    form = ContactFilterForm(request.GET)
    filters = _contact_filters(form)
    cursor = request.GET.get("cursor") or None
    try:
        page = queries.contact_page(filters, cursor=cursor, size=_page_size())
    except KliyanError:
        cursor = None
        page = queries.contact_page(filters, cursor=None, size=_page_size())
    query = request.GET.copy()
    query.pop("cursor", None)
    fragment = is_htmx(request)
    context = {
        "form": form, "page": page, "filter_query": query.urlencode(), "cursor": cursor, "filters": filters,
        "fragment": fragment,
    }
    template = "contacts/contact_list.html#results" if fragment else "contacts/contact_list.html"
    return render(request, template, context)


@perm_required(Perm.VIEW_CUSTOMERS)
def quick_search(request: HttpRequest) -> HttpResponse:
    """Answer the navigation search box with a few matches (a full list without HTMX)."""
    q = request.GET.get("q", "").strip()[:200]
    if not is_htmx(request):
        return redirect(f"{reverse('contacts:contact_list')}?{urlencode({'q': q})}")
    results = queries.search_contacts(q, limit=QUICK_SEARCH_LIMIT) if q else []
    return render(request, "contacts/_quick_search.html", {"q": q, "results": results})


# --- The contact 360° page ------------------------------------------------------------


def _whatsapp_number(contact: Contact) -> str:
    """Return the digits for a wa.me link: a WhatsApp-typed number first, else the primary."""
    phones = list(contact.phonenumbers.all())
    chosen = next((p for p in phones if p.kind == "whatsapp"), phones[0] if phones else None)
    return chosen.e164.lstrip("+") if chosen else ""


def _custom_values(contact_or_company: Contact | Company, target: str) -> list[dict[str, Any]]:
    values = contact_or_company.custom_fields or {}
    rows = []
    for definition in custom_field_definitions(target):
        if definition.key not in values:
            continue
        value = values[definition.key]
        if definition.field_type == "date":
            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                pass
        rows.append({"label": definition.label, "value": value, "type": definition.field_type})
    return rows


def _render_panels(request: HttpRequest, contact: Contact) -> list[str]:
    """Render the boxes other apps put on the contact page, each with its own context."""
    return [
        render_to_string(panel.template, {**panel.context(request, contact), "contact": contact}, request=request)
        for panel in contact_panels()
    ]


def _timeline_context(contact_id: int, before: dt.datetime | None) -> dict[str, Any]:
    entries = contact_timeline(contact_id, limit=TIMELINE_PAGE_SIZE + 1, before=before)
    more = len(entries) > TIMELINE_PAGE_SIZE
    entries = entries[:TIMELINE_PAGE_SIZE]
    return {
        "entries": entries,
        "older_before": entries[-1].at if more and entries else None,
        "timeline_url": reverse("contacts:contact_timeline", args=[contact_id]),
    }


def _audit_rows(request: HttpRequest, contact: Contact) -> list[AuditRow] | None:
    if not can(request.user, Perm.VIEW_AUDIT):
        return None
    entries = queries.contact_audit_entries(contact.pk, limit=AUDIT_ROWS, include_merged=contact.has_merged)
    return [describe_entry(entry) for entry in entries]


@perm_required(Perm.VIEW_CUSTOMERS)
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show everything about one person: details, consent, timeline, other apps' panels, audit."""
    contact = queries.contact_for_page(pk)
    if contact is None:
        raise Http404
    if contact.merged_into_id is not None:
        # A merged-away record: its old links lead to the contact it was merged into.
        messages.info(request, _("%(name)s was merged into this contact.") % {"name": contact.display_name})
        return redirect("contacts:contact_detail", pk=contact.merged_into_id)
    consent_history = queries.consent_history(contact.pk)
    context: dict[str, Any] = {
        "contact": contact,
        "whatsapp": _whatsapp_number(contact),
        "custom_values": _custom_values(contact, CustomFieldTarget.CONTACT),
        "consents": queries.consent_overview(contact, consent_history),
        "consent_history": consent_history,
        "consent_form": ConsentForm() if can(request.user, Perm.LOG_INTERACTIONS) else None,
        "panels": _render_panels(request, contact),
        "audit_rows": _audit_rows(request, contact),
        **_timeline_context(contact.pk, None),
    }
    return render(request, "contacts/contact_detail.html", context)


@perm_required(Perm.VIEW_CUSTOMERS)
def contact_timeline_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Return older timeline entries: a fragment for "Load older", a page without HTMX."""
    contact = get_object_or_404(Contact.objects.only("id", "display_name"), pk=pk)
    before = parse_datetime(request.GET.get("before", "")) if request.GET.get("before") else None
    context = {"contact": contact, **_timeline_context(contact.pk, before)}
    if is_htmx(request):
        return render(request, "core/_timeline.html#items", context)
    return render(request, "contacts/contact_timeline.html", context)


# --- Create and edit ------------------------------------------------------------------


def _apply_service_errors(form: Any, children: ChildForms, error: KliyanError, *, duplicates: bool = False) -> None:
    """Show a service error next to the field or the row it names."""
    rest = children.apply_errors(error.field_errors, duplicates=duplicates)
    field_map = {}
    for field in rest:
        head, _dot, tail = field.partition(".")
        if head == "custom_fields":
            field_map[field] = CUSTOM_PREFIX + tail
        elif head.removesuffix("_id") in form.fields:
            field_map[field] = head.removesuffix("_id")
    if rest or not children.has_errors():
        apply_errors(form, ValidationFailed(error.message, field_errors=rest), field_map)


def _children_initial(owner: Contact | Company | None) -> dict[str, list[dict[str, Any]]]:
    if owner is None:
        return {}
    return {
        "emails": [{"email": e.email, "kind": e.kind, "is_primary": e.is_primary} for e in owner.emailaddresss.all()],
        "phones": [{"number": p.e164, "kind": p.kind, "is_primary": p.is_primary} for p in owner.phonenumbers.all()],
        "addresses": [
            {"kind": a.kind, "street": a.street, "street2": a.street2, "city": a.city, "region": a.region,
             "postal_code": a.postal_code, "country": a.country, "is_primary": a.is_primary}
            for a in owner.addresss.all()
        ],
    }


def _contact_initial(contact: Contact | None, definitions: list[CustomFieldDefinition]) -> dict[str, Any]:
    if contact is None:
        return {}
    return {
        "first_name": contact.first_name, "last_name": contact.last_name, "company": contact.company_id or "",
        "job_title": contact.job_title, "owner": contact.owner_id or "",
        "birthday": contact.birthday.isoformat() if contact.birthday else "", "language": contact.language,
        "preferred_channel": contact.preferred_channel, "source": contact.source,
        "source_detail": contact.source_detail, "referred_by": contact.referred_by_id or "",
        "tags": ", ".join(t.name for t in contact.tags.all()),
        "interests": ", ".join(i.name for i in contact.interests.all()), "notes": contact.notes,
        **custom_initial(definitions, contact.custom_fields or {}),
    }


def _referrer(request: HttpRequest, contact: Contact | None) -> tuple[int, str] | None:
    if contact is not None and contact.referred_by_id:
        return (contact.referred_by_id, contact.referred_by.display_name)
    raw = request.GET.get("referred_by", "")
    if raw.isdigit():
        name = Contact.objects.filter(pk=int(raw)).values_list("display_name", flat=True).first()
        if name is not None:
            return (int(raw), name)
    return None


def _save_contact(request: HttpRequest, contact: Contact | None, payload: dict[str, Any]) -> Contact:
    allow_duplicate = request.POST.get("allow_duplicate") == "1"
    if contact is None:
        return contact_create(actor=request.user, data=payload, allow_duplicate=allow_duplicate)
    return contact_update(actor=request.user, contact=contact, data=payload, allow_duplicate=allow_duplicate)


def _contact_form_page(request: HttpRequest, contact: Contact | None) -> HttpResponse:
    definitions = custom_field_definitions(CustomFieldTarget.CONTACT)
    data = request.POST if request.method == "POST" else None
    adding_row = data is not None and data.get("add_row")
    if adding_row:
        data = with_extra_row(data, data["add_row"])
    initial = _contact_initial(contact, definitions)
    if contact is None and request.GET.get("referred_by", "").isdigit():
        initial["referred_by"] = request.GET["referred_by"]
    form = ContactForm(data, initial=initial, definitions=definitions, referrer=_referrer(request, contact))
    children_initial = _children_initial(contact)
    if contact is None and request.GET.get("phone"):
        # "Create contact with this number" from the screen pop of an unknown caller.
        children_initial["phones"] = [{"number": request.GET["phone"][:64], "is_primary": True}]
    children = ChildForms(data, initial=children_initial)
    duplicates: list[Contact] = []
    if data is not None and not adding_row and form.is_valid() and children.is_valid():
        payload = form.service_data() | children.service_data()
        try:
            saved = _save_contact(request, contact, payload)
        except DuplicateContact as error:
            duplicates = error.duplicates
            _apply_service_errors(form, children, error, duplicates=True)
        except KliyanError as error:
            _apply_service_errors(form, children, error)
        else:
            messages.success(request, _("Contact saved."))
            return redirect(saved.get_absolute_url())
    context = {"form": form, "children": children, "contact": contact, "duplicates": duplicates}
    status = 409 if duplicates else _form_status(form.errors, children.has_errors())
    return render(request, "contacts/contact_form.html", context, status=status)


@perm_required(Perm.EDIT_CUSTOMERS)
def contact_create_page(request: HttpRequest) -> HttpResponse:
    return _contact_form_page(request, None)


@perm_required(Perm.EDIT_CUSTOMERS)
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = queries.contact_for_page(pk)
    if contact is None:
        raise Http404
    return _contact_form_page(request, contact)


# --- Archive, restore, consent --------------------------------------------------------


def _change_state(request: HttpRequest, model: type[Contact] | type[Company], pk: int, service: Any, done: str) -> HttpResponse:
    """Archive or restore one contact or company with `service`, then go back to its page."""
    instance = get_object_or_404(model, pk=pk)
    service(actor=request.user, **{model._meta.model_name: instance})
    messages.success(request, done)
    return redirect(instance.get_absolute_url())


@perm_required(Perm.ARCHIVE_CUSTOMERS)
@require_POST
def contact_archive_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_state(request, Contact, pk, contact_archive, _("Contact archived."))


@perm_required(Perm.ARCHIVE_CUSTOMERS)
@require_POST
def contact_restore_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_state(request, Contact, pk, contact_restore, _("Contact restored."))


@perm_required(Perm.LOG_INTERACTIONS)
def contact_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a grant or withdrawal of consent for one channel; show the history."""
    contact = queries.contact_for_page(pk)
    if contact is None:
        raise Http404
    form = ConsentForm(request.POST or None, initial={"channel": request.GET.get("channel", "")})
    if request.method == "POST" and form.is_valid():
        try:
            consent_set(actor=request.user, contact=contact, **form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect(f"{contact.get_absolute_url()}#consent")
    history = queries.consent_history(contact.pk)
    context = {
        "contact": contact, "form": form, "consent_history": history,
        "consents": queries.consent_overview(contact, history),
    }
    return render(request, "contacts/contact_consent.html", context, status=_form_status(form.errors))


# --- Companies ------------------------------------------------------------------------


@perm_required(Perm.VIEW_CUSTOMERS)
def company_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status") if request.GET.get("status") in {"active", "archived", "all"} else "active"
    cursor = request.GET.get("cursor") or None
    try:
        page = queries.company_page(q=q, status=status, cursor=cursor, size=_page_size())
    except KliyanError:
        cursor = None
        page = queries.company_page(q=q, status=status, cursor=None, size=_page_size())
    context = {"q": q, "status": status, "page": page, "cursor": cursor, "filter_query": urlencode({"q": q, "status": status})}
    template = "contacts/company_list.html#results" if is_htmx(request) else "contacts/company_list.html"
    return render(request, template, context)


@perm_required(Perm.VIEW_CUSTOMERS)
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = queries.company_for_page(pk)
    if company is None:
        raise Http404
    people = queries.company_people(company.pk, limit=_page_size())
    context = {
        "company": company, "people": people[: _page_size()], "more_people": len(people) > _page_size(),
        "custom_values": _custom_values(company, CustomFieldTarget.COMPANY),
    }
    return render(request, "contacts/company_detail.html", context)


def _company_initial(company: Company | None, definitions: list[CustomFieldDefinition]) -> dict[str, Any]:
    if company is None:
        return {}
    return {
        "name": company.name, "website": company.website, "industry": company.industry,
        "owner": company.owner_id or "", "source": company.source, "notes": company.notes,
        "tags": ", ".join(t.name for t in company.tags.all()),
        **custom_initial(definitions, company.custom_fields or {}),
    }


def _company_form_page(request: HttpRequest, company: Company | None) -> HttpResponse:
    definitions = custom_field_definitions(CustomFieldTarget.COMPANY)
    data = request.POST if request.method == "POST" else None
    adding_row = data is not None and data.get("add_row")
    if adding_row:
        data = with_extra_row(data, data["add_row"])
    form = CompanyForm(data, initial=_company_initial(company, definitions), definitions=definitions)
    children = ChildForms(data, initial=_children_initial(company))
    if data is not None and not adding_row and form.is_valid() and children.is_valid():
        payload = form.service_data() | children.service_data()
        try:
            if company is None:
                saved = company_create(actor=request.user, data=payload)
            else:
                saved = company_update(actor=request.user, company=company, data=payload)
        except KliyanError as error:
            _apply_service_errors(form, children, error)
        else:
            messages.success(request, _("Company saved."))
            return redirect(saved.get_absolute_url())
    context = {"form": form, "children": children, "company": company}
    return render(request, "contacts/company_form.html", context, status=_form_status(form.errors, children.has_errors()))


@perm_required(Perm.EDIT_CUSTOMERS)
def company_create_page(request: HttpRequest) -> HttpResponse:
    return _company_form_page(request, None)


@perm_required(Perm.EDIT_CUSTOMERS)
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = queries.company_for_page(pk)
    if company is None:
        raise Http404
    return _company_form_page(request, company)


@perm_required(Perm.ARCHIVE_CUSTOMERS)
@require_POST
def company_archive_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_state(request, Company, pk, company_archive, _("Company archived."))


@perm_required(Perm.ARCHIVE_CUSTOMERS)
@require_POST
def company_restore_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_state(request, Company, pk, company_restore, _("Company restored."))


# --- Custom field definitions ---------------------------------------------------------


@perm_required(Perm.MANAGE_CUSTOM_FIELDS)
def customfield_list(request: HttpRequest) -> HttpResponse:
    """List the custom fields of people and companies, and add one."""
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            definition = custom_field_create(actor=request.user, data=form.service_data())
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Custom field “%(label)s” added.") % {"label": definition.label})
            return redirect("contacts:customfield_list")
    definitions = CustomFieldDefinition.objects.order_by("archived_at", "target", "position", "id")
    context = {"form": form, "definitions": definitions}
    return render(request, "contacts/customfield_list.html", context, status=_form_status(form.errors))


@perm_required(Perm.MANAGE_CUSTOM_FIELDS)
def customfield_edit(request: HttpRequest, pk: int) -> HttpResponse:
    definition = get_object_or_404(CustomFieldDefinition, pk=pk)
    initial = {
        "label": definition.label, "choices": "\n".join(definition.choices or []),
        "required": definition.required, "position": definition.position,
    }
    form = CustomFieldForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            custom_field_update(actor=request.user, definition=definition, data=form.service_data())
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Custom field saved."))
            return redirect("contacts:customfield_list")
    context = {"form": form, "definition": definition}
    return render(request, "contacts/customfield_form.html", context, status=_form_status(form.errors))


@perm_required(Perm.MANAGE_CUSTOM_FIELDS)
@require_POST
def customfield_archive(request: HttpRequest, pk: int) -> HttpResponse:
    definition = get_object_or_404(CustomFieldDefinition, pk=pk)
    custom_field_archive(actor=request.user, definition=definition)
    messages.success(request, _("Custom field “%(label)s” archived.") % {"label": definition.label})
    return redirect("contacts:customfield_list")
