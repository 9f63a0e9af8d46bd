"""Reads: contact and company lists with filters, search, caller ID, the contact 360° view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from kliyan.contacts.models import Address, Company, Consent, Contact, EmailAddress, PhoneNumber
from kliyan.contacts.search import fts_match_sql, phone_query_key, query_terms
from kliyan.core.pagination import Page, keyset_page
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


def contact_ids_matching(query: str) -> QuerySet | RawSQL | None:
    """Return an id subquery for a search box query, or None when the query is empty."""
    key = phone_query_key(query)
    if key:
        return PhoneNumber.objects.filter(caller_key=key, contact__isnull=False).values("contact_id")
    terms = query_terms(query)
    if not terms:
        return None
    sql, params = fts_match_sql(terms)
    return RawSQL(sql, params)


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


def contact_page(filters: ContactFilters, *, cursor: str | None, size: int) -> Page[Contact]:
    """Return one page of contacts for the list page and the API, with what a row shows."""
    ordering = CONTACT_SORTS.get(filters.sort, CONTACT_SORTS["name"])
    qs = filter_contacts(filters).select_related("company", "owner").prefetch_related("tags")
    return keyset_page(qs, ordering=ordering, cursor=cursor, size=size)


def search_contacts(query: str, *, limit: int = 20, include_archived: bool = False) -> list[Contact]:
    """Return up to `limit` contacts matching the search box query."""
    ids = contact_ids_matching(query)
    if ids is None:
        return []
    qs = Contact.objects.filter(id__in=ids).select_related("company")
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return list(qs.order_by("-id")[:limit])


@dataclass
class CallerMatch:
    contacts: list[Contact]
    companies: list[Company]
    e164: str | None


def caller_id(raw_number: str, *, limit: int = 10) -> CallerMatch:
    """Return who is calling from `raw_number`, typed or sent in any format.

    Numbers equal in E.164 come first; numbers that only share the last 8 digits (a
    local number stored without its country code, say) follow.
    """
    e164, key = lookup_keys(raw_number)
    if len(key) < 6:
        return CallerMatch(contacts=[], companies=[], e164=e164)
    rows = list(
        PhoneNumber.objects.filter(caller_key=key).values_list("contact_id", "company_id", "e164")[: limit * 4]
    )
    def rank(row: tuple[int | None, int | None, str]) -> int:
        return 0 if e164 and row[2] == e164 else 1
    rows.sort(key=rank)
    contact_ids = list(dict.fromkeys(r[0] for r in rows if r[0]))[:limit]
    company_ids = list(dict.fromkeys(r[1] for r in rows if r[1]))[:limit]
    contacts = {c.pk: c for c in Contact.objects.filter(pk__in=contact_ids, archived_at__isnull=True).select_related("company")}
    companies = {c.pk: c for c in Company.objects.filter(pk__in=company_ids, archived_at__isnull=True)}
    return CallerMatch(
        contacts=[contacts[i] for i in contact_ids if i in contacts],
        companies=[companies[i] for i in company_ids if i in companies],
        e164=e164,
    )


def contact_for_page(pk: int) -> Contact | None:
    """Return the contact with everything the 360° page and the API detail show."""
    return (
        Contact.objects.filter(pk=pk)
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


def company_page(*, q: str, status: str, cursor: str | None, size: int, updated_since: dt.datetime | None = None) -> Page[Company]:
    qs = Company.objects.all()
    if status == "active":
        qs = qs.filter(archived_at__isnull=True)
    elif status == "archived":
        qs = qs.filter(archived_at__isnull=False)
    for term in query_terms(q):
        qs = qs.filter(search_text__contains=term)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    return keyset_page(qs.select_related("owner"), ordering=["name", "id"], cursor=cursor, size=size)


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
