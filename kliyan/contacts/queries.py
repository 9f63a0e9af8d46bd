"""Reads: contact and company lists with filters, search, caller ID, the contact 360° view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from kliyan.contacts.choices import ConsentChannel
from kliyan.contacts.models import Address, Company, Consent, ConsentEvent, Contact, EmailAddress, PhoneNumber
from kliyan.contacts.search import (
    MIN_PHONE_DIGITS,
    contact_match_sql,
    newest_contact_ids,
    postgres_capped_ids,
    query_terms,
)
from kliyan.core.models import AuditEntry
from kliyan.core.pagination import Page, keyset_page
from kliyan.core.prepared import model_columns, run_prepared_models
from kliyan.core.phones import lookup_keys

CONTACT_SORTS: dict[str, list[str]] = {
    "name": ["display_name", "id"],
    "-name": ["-display_name", "-id"],
    "updated": ["updated_at", "id"],
    "-updated": ["-updated_at", "-id"],
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
}


@dataclass
class ContactFilters:
    q: str = ""
    status: str = "active"  # active | archived | all
    owner_id: int | None = None
    company_id: int | None = None
    tag: str = ""
    language: str = ""
    source: str = ""
    birthday_month: int | None = None
    updated_since: dt.datetime | None = None
    sort: str = "name"
    extra: dict[str, Any] = field(default_factory=dict)


def contact_ids_matching(query: str) -> list[int] | RawSQL | None:
    """Return the ids (or an id subquery) for a search box query, or None when the query is empty."""
    match = contact_match_sql(query)
    if match is None:
        return None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            ids = postgres_capped_ids(cursor, *match)
        if ids is not None:
            return ids
    return RawSQL(*match)


def filter_contacts(filters: ContactFilters) -> QuerySet[Contact]:
    """Return contacts matching every filter (not yet ordered or paginated)."""
    qs = Contact.objects.all()
    if filters.status == "active":
        qs = qs.filter(archived_at__isnull=True)
    elif filters.status == "archived":
        qs = qs.filter(archived_at__isnull=False)
    if filters.q.strip():
        ids = contact_ids_matching(filters.q)
        if ids is not None:
            qs = qs.filter(id__in=ids)
    if filters.owner_id:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.company_id:
        qs = qs.filter(company_id=filters.company_id)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.language:
        qs = qs.filter(language=filters.language)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.birthday_month:
        qs = qs.filter(birthday_md__startswith=f"{filters.birthday_month:02d}-")
    if filters.updated_since:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    return qs


def contact_page(filters: ContactFilters, *, cursor: str | None, size: int, with_tags: bool = True) -> Page[Contact]:
    """Return one page of contacts for the list page and the API, with what a row shows."""
    ordering = CONTACT_SORTS.get(filters.sort, CONTACT_SORTS["name"])
    qs = filter_contacts(filters).select_related("company", "owner")
    if with_tags:
        qs = qs.prefetch_related("tags")
    return keyset_page(qs, ordering=ordering, cursor=cursor, size=size)


@dataclass
class ContactDetails:
    """A contact's e-mails, phones, addresses, tags, interests and referrer, as plain values."""

    emails: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    referred_by: dict[str, Any] | None = None


def contact_details(contacts: list[Contact]) -> dict[int, ContactDetails]:
    """Read the details of `contacts` in six queries, whatever their number.

    Values rather than model instances: a page of 50 contacts builds no ~600 objects whose
    caches point back at their contact, which made the API list slow twice over (building
    them, then the garbage collector walking the cycles).
    """
    ids = [c.pk for c in contacts]
    details = {pk: ContactDetails() for pk in ids}
    primary_first = ("-is_primary", "id")
    for row in EmailAddress.objects.filter(contact_id__in=ids).order_by(*primary_first).values(
        "contact_id", "email", "kind", "is_primary"
    ):
        details[row.pop("contact_id")].emails.append(row)
    for row in PhoneNumber.objects.filter(contact_id__in=ids).order_by(*primary_first).values(
        "contact_id", "e164", "kind", "is_primary"
    ):
        details[row.pop("contact_id")].phones.append(
            {"number": row["e164"], "kind": row["kind"], "is_primary": row["is_primary"]}
        )
    for row in Address.objects.filter(contact_id__in=ids).order_by(*primary_first).values(
        "contact_id", "kind", "street", "street2", "city", "region", "postal_code", "country", "is_primary"
    ):
        details[row.pop("contact_id")].addresses.append(row)
    for contact_id, name in Contact.tags.through.objects.filter(contact_id__in=ids).values_list("contact_id", "tag__name"):
        details[contact_id].tags.append(name)
    for contact_id, name in Contact.interests.through.objects.filter(contact_id__in=ids).values_list(
        "contact_id", "interest__name"
    ):
        details[contact_id].interests.append(name)
    referrers = {c.referred_by_id for c in contacts if c.referred_by_id}
    names = dict(Contact.objects.filter(pk__in=referrers).values_list("id", "display_name")) if referrers else {}
    for contact in contacts:
        item = details[contact.pk]
        item.tags.sort()
        item.interests.sort()
        if contact.referred_by_id in names:
            item.referred_by = {"id": contact.referred_by_id, "name": names[contact.referred_by_id]}
    return details


def search_contacts(query: str, *, limit: int = 20, include_archived: bool = False) -> list[Contact]:
    """Return up to `limit` contacts matching the search box query, newest first."""
    ids = newest_contact_ids(query, limit=limit, include_archived=include_archived)
    if not ids:
        return []
    found = Contact.objects.filter(id__in=ids).select_related("company").order_by().in_bulk()
    return [found[i] for i in ids if i in found]


CALLER_ROWS = 200


@dataclass
class CallerMatch:
    contacts: list[Contact]
    companies: list[Company]
    e164: str | None
    # Archived contacts with this number: not offered as the caller, but worth showing
    # ("restore?") so an agent does not create the same person again.
    archived_contacts: list[Contact] = field(default_factory=list)


def _phones_with_key(caller_key: str) -> QuerySet:
    # Each number with its contact (and the contact's company) or its company: one statement.
    return PhoneNumber.objects.filter(caller_key=caller_key).order_by().values_list(
        *model_columns(PhoneNumber), *model_columns(Contact, "contact__"), *model_columns(Company, "contact__company__"),
        *model_columns(Company, "company__"),
    )[:CALLER_ROWS]


def caller_id(raw_number: str, *, limit: int = 10) -> CallerMatch:
    """Return who is calling from `raw_number`, typed or sent in any format: one query.

    Numbers equal in E.164 come first; numbers that only share the last 8 digits (a
    local number stored without its country code, say) follow. Archived contacts are
    kept apart in `archived_contacts`, in the same order.
    """
    e164, key = lookup_keys(raw_number)
    if len(key) < MIN_PHONE_DIGITS:
        return CallerMatch(contacts=[], companies=[], e164=e164)
    # A shared switchboard number may sit on many records; the screen pop needs the first few.
    # The lookup is compiled once per connection (core.prepared): the ORM's work costs more than the query.
    rows = run_prepared_models("caller_id.numbers", _phones_with_key, (PhoneNumber, Contact, Company, Company), caller_key=key)
    rows.sort(key=lambda row: (0 if e164 and row[0].e164 == e164 else 1, row[0].pk))
    contacts: dict[int, Contact] = {}
    companies: dict[int, Company] = {}
    for _phone, contact, contact_company, company in rows:
        if contact is not None and contact.pk not in contacts:
            contact.company = contact_company
            contacts[contact.pk] = contact
        if company is not None and company.pk not in companies:
            companies[company.pk] = company
    ordered = list(contacts.values())
    return CallerMatch(
        contacts=[c for c in ordered if c.archived_at is None][:limit],
        companies=[c for c in list(companies.values())[:limit] if c.archived_at is None],
        e164=e164,
        archived_contacts=[c for c in ordered if c.archived_at is not None][:limit],
    )


def contact_for_page(pk: int) -> Contact | None:
    """Return the contact with everything the 360° page and the API detail show."""
    return (
        Contact.objects.filter(pk=pk)
        # Whether other contacts were merged into this one (their audit entries are shown too).
        .annotate(has_merged=Exists(Contact.objects.filter(merged_into_id=OuterRef("pk"))))
        .select_related("company", "owner", "referred_by", "created_by")
        .prefetch_related(
            Prefetch("emailaddresss", queryset=EmailAddress.objects.order_by("-is_primary", "id")),
            Prefetch("phonenumbers", queryset=PhoneNumber.objects.order_by("-is_primary", "id")),
            Prefetch("addresss", queryset=Address.objects.order_by("-is_primary", "id")),
            Prefetch("consents", queryset=Consent.objects.order_by("channel")),
            "tags",
            "interests",
            Prefetch("referrals", queryset=Contact.objects.only("id", "display_name", "referred_by_id")),
        )
        .first()
    )


def company_for_page(pk: int) -> Company | None:
    return (
        Company.objects.filter(pk=pk)
        .select_related("owner")
        .prefetch_related("emailaddresss", "phonenumbers", "addresss", "tags")
        .first()
    )


COMPANY_ORDERING = ["name", "id"]


def filter_companies(*, q: str, status: str, updated_since: dt.datetime | None = None) -> QuerySet[Company]:
    """Return companies matching the search box and filters (not yet ordered or paginated)."""
    qs = Company.objects.all()
    if status == "active":
        qs = qs.filter(archived_at__isnull=True)
    elif status == "archived":
        qs = qs.filter(archived_at__isnull=False)
    for term in query_terms(q):
        qs = qs.filter(search_text__contains=term)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    return qs


def company_page(*, q: str, status: str, cursor: str | None, size: int, updated_since: dt.datetime | None = None) -> Page[Company]:
    qs = filter_companies(q=q, status=status, updated_since=updated_since)
    return keyset_page(qs.select_related("owner"), ordering=COMPANY_ORDERING, cursor=cursor, size=size)


def birthdays_on(day: dt.date | None = None) -> QuerySet[Contact]:
    """Return active contacts whose birthday falls on `day` (today in the active time zone)."""
    day = day or timezone.localdate()
    keys = [day.strftime("%m-%d")]
    # People born on 29 February celebrate on 28 February in other years.
    if day.month == 2 and day.day == 28 and not _is_leap(day.year):
        keys.append("02-29")
    return Contact.objects.filter(birthday_md__in=keys, archived_at__isnull=True).select_related("company").order_by("display_name")


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def consent_history(contact_id: int, *, limit: int = 50) -> list[ConsentEvent]:
    """Return the contact's latest consent changes, newest first, with who recorded them."""
    return list(
        ConsentEvent.objects.filter(contact_id=contact_id).select_related("recorded_by").order_by("-at", "-id")[:limit]
    )


@dataclass
class ConsentRow:
    channel: str
    label: str
    status: str  # "granted", "withdrawn" or "" (never asked)
    latest: ConsentEvent | None


def consent_overview(contact: Contact, history: list[ConsentEvent]) -> list[ConsentRow]:
    """Return one row per channel: the current state and the change that set it.

    `contact.consents` should be prefetched (contact_for_page does); `history` is
    consent_history(), whose newest event per channel is the one that set the state.
    """
    current = {consent.channel: consent.status for consent in contact.consents.all()}
    latest: dict[str, ConsentEvent] = {}
    for event in history:
        latest.setdefault(event.channel, event)
    return [
        ConsentRow(channel=value, label=str(label), status=current.get(value, ""), latest=latest.get(value))
        for value, label in ConsentChannel.choices
    ]


def contact_audit_entries(contact_id: int, *, limit: int = 10, include_merged: bool = True) -> list[AuditEntry]:
    """Return the newest audit entries filed against a contact (its own and its related objects').

    The entries of the contacts merged into it are included, unchanged: they stay filed under
    the id they were written for (kliyan.dedupe.merge). A caller that knows there are none
    (`has_merged` of contact_for_page) passes include_merged=False: one id walks the index in
    order and stops after `limit`, where several ids must sort all their entries.
    """
    if not include_merged:
        return list(AuditEntry.objects.filter(contact_id=contact_id).order_by("-at", "-id")[:limit])
    merged = Contact.objects.filter(merged_into_id=contact_id).values("id")
    return list(
        AuditEntry.objects.filter(Q(contact_id=contact_id) | Q(contact_id__in=merged)).order_by("-at", "-id")[:limit]
    )


def company_people(company_id: int, *, limit: int) -> list[Contact]:
    """Return up to limit + 1 active people of a company (the extra one says "there are more")."""
    return list(
        Contact.objects.filter(company_id=company_id, archived_at__isnull=True)
        .select_related("owner")
        .order_by("display_name", "id")[: limit + 1]
    )
