"""API v1: people, companies, consent, custom-field definitions, search and caller ID.

Endpoints parse, check the permission, call a service or query, and render; the
services validate and audit (tagged via="api" by the request middleware).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kliyan.accounts.access import Perm
from kliyan.contacts import queries, services
from kliyan.contacts.models import Address, ConsentEvent, Contact, CustomFieldDefinition, EmailAddress, PhoneNumber
from kliyan.contacts.schemas import (
    CallerIdOut,
    CompanyFields,
    CompanyOut,
    CompanyPage,
    ConsentCreate,
    ConsentCurrentOut,
    ConsentEventOut,
    ConsentEventPage,
    ConsentIn,
    ConsentsOut,
    ContactCreate,
    ContactOut,
    ContactPage,
    ContactUpdate,
    CustomFieldCreate,
    CustomFieldOut,
    CustomFieldPage,
    CustomFieldUpdate,
    Ref,
    SearchOut,
    TimelineEntryOut,
    TimelineOut,
    company_out,
    consent_event_out,
    contact_out,
    contact_summary,
)
from kliyan.core.api_auth import actor
from kliyan.core.api_types import ApiDateTime, ObjectId
from kliyan.core.api_json import json_page
from kliyan.core.errors import NotFound, ValidationFailed
from kliyan.core.pagination import keyset_page
from kliyan.core.registry import contact_timeline

router = Router()

MAX_PAGE = 200
LIMIT = Query(50, ge=1, le=MAX_PAGE, description="Items per page (at most 200)")
UPDATED_SINCE = Query(None, description="Only items changed at or after this ISO 8601 date-time (for syncing)")
STATUSES = {"active", "archived", "all"}

# What a contact or company in the API shows beyond the list page's own prefetching.
CHILDREN = [
    Prefetch("emailaddresss", queryset=EmailAddress.objects.order_by("-is_primary", "id")),
    Prefetch("phonenumbers", queryset=PhoneNumber.objects.order_by("-is_primary", "id")),
    Prefetch("addresss", queryset=Address.objects.order_by("-is_primary", "id")),
]


def _status(value: str) -> str:
    if value not in STATUSES:
        raise ValidationFailed(field_errors={"status": [_("Choose active, archived or all.")]})
    return value


def _contact(pk: int) -> Any:
    contact = queries.contact_for_page(pk)
    if contact is None:
        raise NotFound(_("There is no contact with id %(id)s.") % {"id": pk})
    return contact


def _contact_out(pk: int) -> dict[str, Any]:
    contact = Contact.objects.select_related("company", "owner").filter(pk=pk).first()
    if contact is None:
        raise NotFound(_("There is no contact with id %(id)s.") % {"id": pk})
    return contact_out(contact, queries.contact_details([contact])[contact.pk])


def _company(pk: int) -> Any:
    company = queries.company_for_page(pk)
    if company is None:
        raise NotFound(_("There is no company with id %(id)s.") % {"id": pk})
    return company


# --- Contacts -------------------------------------------------------------------------

@router.get("/contacts", response=ContactPage, tags=["contacts"], summary="List contacts")
def contact_list(
    request: HttpRequest,
    q: str = "",
    tag: str = "",
    company: ObjectId | None = None,
    owner: ObjectId | None = None,
    status: str = Query("active", description="active, archived or all"),
    language: str = "",
    sort: str = Query("name", description="name, -name, updated, -updated, created or -created"),
    updated_since: ApiDateTime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = LIMIT,
) -> dict[str, Any]:
    actor(request, Perm.VIEW_CUSTOMERS)
    if sort not in queries.CONTACT_SORTS:
        raise ValidationFailed(field_errors={"sort": [_("“%(value)s” is not a valid choice.") % {"value": sort}]})
    filters = queries.ContactFilters(
        q=q, tag=tag, company_id=company, owner_id=owner, status=_status(status), language=language,
        updated_since=updated_since, sort=sort,
    )
    page = queries.contact_page(filters, cursor=cursor, size=limit, with_tags=False)
    details = queries.contact_details(page.items)
    return json_page([contact_out(c, details[c.pk]) for c in page.items], page.next_cursor)


@router.post("/contacts", response={201: ContactOut}, tags=["contacts"], summary="Create a contact")
def contact_create(request: HttpRequest, payload: ContactCreate) -> Status[ContactOut]:
    user = actor(request, Perm.EDIT_CUSTOMERS)
    data = payload.model_dump(exclude_unset=True)
    allow_duplicate = data.pop("allow_duplicate", False)
    contact = services.contact_create(actor=user, data=data, allow_duplicate=allow_duplicate)
    return Status(201, _contact_out(contact.pk))


@router.get("/contacts/{int:contact_id}", response=ContactOut, tags=["contacts"], summary="Read a contact")
def contact_detail(request: HttpRequest, contact_id: int) -> ContactOut:
    actor(request, Perm.VIEW_CUSTOMERS)
    return _contact_out(contact_id)


@router.patch("/contacts/{int:contact_id}", response=ContactOut, tags=["contacts"], summary="Change a contact")
def contact_update(request: HttpRequest, contact_id: int, payload: ContactUpdate) -> ContactOut:
    user = actor(request, Perm.EDIT_CUSTOMERS)
    data = payload.model_dump(exclude_unset=True)
    allow_duplicate = data.pop("allow_duplicate", True)
    services.contact_update(actor=user, contact=services.get_contact(contact_id), data=data, allow_duplicate=allow_duplicate)
    return _contact_out(contact_id)


@router.post("/contacts/{int:contact_id}/archive", response=ContactOut, tags=["contacts"], summary="Archive a contact")
def contact_archive(request: HttpRequest, contact_id: int) -> ContactOut:
    user = actor(request, Perm.ARCHIVE_CUSTOMERS)
    services.contact_archive(actor=user, contact=services.get_contact(contact_id))
    return _contact_out(contact_id)


@router.post("/contacts/{int:contact_id}/restore", response=ContactOut, tags=["contacts"], summary="Restore an archived contact")
def contact_restore(request: HttpRequest, contact_id: int) -> ContactOut:
    user = actor(request, Perm.ARCHIVE_CUSTOMERS)
    services.contact_restore(actor=user, contact=services.get_contact(contact_id))
    return _contact_out(contact_id)


@router.delete("/contacts/{int:contact_id}", response={204: None}, tags=["contacts"], summary="Erase a contact for good")
def contact_delete(request: HttpRequest, contact_id: int) -> Status[None]:
    user = actor(request, Perm.DELETE_CUSTOMERS)
    services.contact_delete(actor=user, contact=services.get_contact(contact_id))
    return Status(204, None)


@router.get("/contacts/{int:contact_id}/timeline", response=TimelineOut, tags=["contacts"], summary="A contact's timeline")
def contact_timeline_view(
    request: HttpRequest, contact_id: int,
    before: ApiDateTime | None = Query(None, description="Only entries older than this (the previous page's next_before)"),
    limit: int = LIMIT,
) -> TimelineOut:
    actor(request, Perm.VIEW_CUSTOMERS)
    services.get_contact(contact_id)
    entries = contact_timeline(contact_id, limit=limit, before=before)
    items = [
        TimelineEntryOut(kind=e.kind, id=e.id, at=e.at, title=e.title, body=e.body, actor=e.actor, channel=e.channel, data=e.data)
        for e in entries
    ]
    return TimelineOut(items=items, next_before=entries[-1].at if len(entries) == limit else None)


@router.get("/search", response=SearchOut, tags=["search"], summary="Find contacts by name, e-mail, company or phone")
def search(request: HttpRequest, q: str, limit: int = Query(20, ge=1, le=100), include_archived: bool = False) -> SearchOut:
    actor(request, Perm.VIEW_CUSTOMERS)
    found = queries.search_contacts(q, limit=limit, include_archived=include_archived)
    return SearchOut(items=[contact_summary(c) for c in found])


@router.get("/caller-id", response=CallerIdOut, tags=["search"], summary="Who is calling from this number?")
def caller_id(request: HttpRequest, phone: str = Query(..., description="The number in any format")) -> CallerIdOut:
    actor(request, Perm.VIEW_CUSTOMERS)
    match = queries.caller_id(phone)
    return CallerIdOut(
        e164=match.e164, contacts=[contact_summary(c) for c in match.contacts],
        companies=[Ref(id=c.pk, name=c.name) for c in match.companies],
        archived_contacts=[contact_summary(c) for c in match.archived_contacts],
    )


# --- Consent --------------------------------------------------------------------------

def _consents(contact_id: int) -> ConsentsOut:
    contact = _contact(contact_id)
    history = queries.consent_history(contact_id, limit=200)
    current = {c.channel: c for c in contact.consents.all()}
    rows = queries.consent_overview(contact, history)
    return ConsentsOut(
        current=[
            ConsentCurrentOut(channel=row.channel, status=row.status,
                              updated_at=current[row.channel].updated_at if row.channel in current else None)
            for row in rows
        ],
        history=[consent_event_out(e) for e in history],
    )


@router.get("/contacts/{int:contact_id}/consents", response=ConsentsOut, tags=["consents"], summary="A contact's consent and its history")
def consent_list(request: HttpRequest, contact_id: int) -> ConsentsOut:
    actor(request, Perm.VIEW_CUSTOMERS)
    return _consents(contact_id)


@router.post("/contacts/{int:contact_id}/consents", response={201: ConsentEventOut}, tags=["consents"], summary="Record a consent change")
def consent_create(request: HttpRequest, contact_id: int, payload: ConsentCreate) -> Status[ConsentEventOut]:
    user = actor(request, Perm.LOG_INTERACTIONS)
    event = services.consent_set(actor=user, contact=services.get_contact(contact_id), **payload.model_dump())
    return Status(201, consent_event_out(event))


@router.put(
    "/contacts/{int:contact_id}/consents/{channel}", response=ConsentEventOut, tags=["consents"], summary="Set one channel's consent",
)
def consent_put(request: HttpRequest, contact_id: int, channel: str, payload: ConsentIn) -> ConsentEventOut:
    user = actor(request, Perm.LOG_INTERACTIONS)
    event = services.consent_set(actor=user, contact=services.get_contact(contact_id), channel=channel, **payload.model_dump())
    return consent_event_out(event)


@router.get("/consents", response=ConsentEventPage, tags=["consents"], summary="Every consent change, oldest first (for syncing)")
def consent_events(
    request: HttpRequest, contact: ObjectId | None = None, updated_since: ApiDateTime | None = UPDATED_SINCE,
    cursor: str | None = None, limit: int = LIMIT,
) -> dict[str, Any]:
    actor(request, Perm.VIEW_CUSTOMERS)
    qs = ConsentEvent.objects.select_related("recorded_by")
    if contact:
        qs = qs.filter(contact_id=contact)
    if updated_since:
        qs = qs.filter(created_at__gte=updated_since)
    page = keyset_page(qs, ordering=["created_at", "id"], cursor=cursor, size=limit)
    return {"items": [consent_event_out(e) for e in page.items], "next_cursor": page.next_cursor}


# --- Companies ------------------------------------------------------------------------

@router.get("/companies", response=CompanyPage, tags=["companies"], summary="List companies")
def company_list(
    request: HttpRequest, q: str = "", status: str = Query("active", description="active, archived or all"),
    updated_since: ApiDateTime | None = UPDATED_SINCE, cursor: str | None = None, limit: int = LIMIT,
) -> dict[str, Any]:
    actor(request, Perm.VIEW_CUSTOMERS)
    page = queries.company_page(q=q, status=_status(status), cursor=cursor, size=limit, updated_since=updated_since)
    prefetch_related_objects(page.items, *CHILDREN, "tags")
    return {"items": [company_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.post("/companies", response={201: CompanyOut}, tags=["companies"], summary="Create a company")
def company_create(request: HttpRequest, payload: CompanyFields) -> Status[CompanyOut]:
    user = actor(request, Perm.EDIT_CUSTOMERS)
    company = services.company_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, company_out(_company(company.pk)))


@router.get("/companies/{int:company_id}", response=CompanyOut, tags=["companies"], summary="Read a company")
def company_detail(request: HttpRequest, company_id: int) -> CompanyOut:
    actor(request, Perm.VIEW_CUSTOMERS)
    return company_out(_company(company_id))


@router.patch("/companies/{int:company_id}", response=CompanyOut, tags=["companies"], summary="Change a company")
def company_update(request: HttpRequest, company_id: int, payload: CompanyFields) -> CompanyOut:
    user = actor(request, Perm.EDIT_CUSTOMERS)
    services.company_update(actor=user, company=services.get_company(company_id), data=payload.model_dump(exclude_unset=True))
    return company_out(_company(company_id))


@router.post("/companies/{int:company_id}/archive", response=CompanyOut, tags=["companies"], summary="Archive a company")
def company_archive(request: HttpRequest, company_id: int) -> CompanyOut:
    user = actor(request, Perm.ARCHIVE_CUSTOMERS)
    services.company_archive(actor=user, company=services.get_company(company_id))
    return company_out(_company(company_id))


@router.post("/companies/{int:company_id}/restore", response=CompanyOut, tags=["companies"], summary="Restore an archived company")
def company_restore(request: HttpRequest, company_id: int) -> CompanyOut:
    user = actor(request, Perm.ARCHIVE_CUSTOMERS)
    services.company_restore(actor=user, company=services.get_company(company_id))
    return company_out(_company(company_id))


# --- Custom field definitions ---------------------------------------------------------

def _definition(pk: int) -> CustomFieldDefinition:
    definition = CustomFieldDefinition.objects.filter(pk=pk).first()
    if definition is None:
        raise NotFound(_("There is no custom field with id %(id)s.") % {"id": pk})
    return definition


@router.get("/custom-fields", response=CustomFieldPage, tags=["custom fields"], summary="List custom field definitions")
def custom_field_list(
    request: HttpRequest, target: str = Query("", description="contact or company; both if left out"),
    status: str = Query("active", description="active, archived or all"),
    updated_since: ApiDateTime | None = UPDATED_SINCE, cursor: str | None = None, limit: int = LIMIT,
) -> dict[str, Any]:
    actor(request, Perm.VIEW_CUSTOMERS)
    qs = CustomFieldDefinition.objects.all()
    status = _status(status)
    if status != "all":
        qs = qs.active() if status == "active" else qs.archived()
    if target:
        qs = qs.filter(target=target)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    page = keyset_page(qs, ordering=["target", "position", "id"], cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/custom-fields", response={201: CustomFieldOut}, tags=["custom fields"], summary="Define a custom field")
def custom_field_create(request: HttpRequest, payload: CustomFieldCreate) -> Status[CustomFieldDefinition]:
    user = actor(request, Perm.MANAGE_CUSTOM_FIELDS)
    return Status(201, services.custom_field_create(actor=user, data=payload.model_dump(exclude_unset=True)))


@router.get("/custom-fields/{int:field_id}", response=CustomFieldOut, tags=["custom fields"], summary="Read a custom field definition")
def custom_field_detail(request: HttpRequest, field_id: int) -> CustomFieldDefinition:
    actor(request, Perm.VIEW_CUSTOMERS)
    return _definition(field_id)


@router.patch("/custom-fields/{int:field_id}", response=CustomFieldOut, tags=["custom fields"], summary="Change a custom field definition")
def custom_field_update(request: HttpRequest, field_id: int, payload: CustomFieldUpdate) -> CustomFieldDefinition:
    user = actor(request, Perm.MANAGE_CUSTOM_FIELDS)
    return services.custom_field_update(actor=user, definition=_definition(field_id), data=payload.model_dump(exclude_unset=True))


@router.post("/custom-fields/{int:field_id}/archive", response=CustomFieldOut, tags=["custom fields"], summary="Archive a custom field")
def custom_field_archive(request: HttpRequest, field_id: int) -> CustomFieldDefinition:
    user = actor(request, Perm.MANAGE_CUSTOM_FIELDS)
    return services.custom_field_archive(actor=user, definition=_definition(field_id))
