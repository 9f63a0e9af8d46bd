"""Resolve what a chunk's records refer to, with one query per kind of reference.

Customers are named by contact id, e-mail or phone (E.164), and/or company id; products
by SKU; orders and invoices by the sender's external id or number (within its source).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from kliyan.commerce.ingest_plan import Outcome
from kliyan.commerce.ingest_sql import lookup
from kliyan.contacts.models import Company, Contact, EmailAddress, PhoneNumber


@dataclass
class Customers:
    # Contact id named → the contact to use (a merged-away contact's id names the one it was merged into).
    contacts: dict[int, int] = field(default_factory=dict)
    companies: set[int] = field(default_factory=set)
    by_email: dict[str, int] = field(default_factory=dict)
    by_phone: dict[str, int] = field(default_factory=dict)


def load_customers(outcomes: Iterable[Outcome]) -> Customers:
    """Look up every customer the records name (at most four queries)."""
    contact_ids, company_ids, emails, phones = set(), set(), set(), set()
    for outcome in outcomes:
        record = outcome.record or {}
        if record.get("contact_id"):
            contact_ids.add(record["contact_id"])
        if record.get("company_id"):
            company_ids.add(record["company_id"])
        if record.get("contact_email"):
            emails.add(record["contact_email"])
        if record.get("contact_phone"):
            phones.add(record["contact_phone"])
    found = Customers()
    if contact_ids:
        rows = Contact.objects.filter(pk__in=contact_ids).values_list("pk", "merged_into_id")
        found.contacts = {pk: merged_into or pk for pk, merged_into in rows}
    if company_ids:
        found.companies = set(Company.objects.filter(pk__in=company_ids).values_list("pk", flat=True))
    # Several people may share an address or a number (a family, a shop's line): the
    # oldest contact is taken, the same one every time.
    if emails:
        rows = EmailAddress.objects.filter(email__in=emails, contact__isnull=False).order_by("-contact_id")
        found.by_email = dict(rows.values_list("email", "contact_id"))
    if phones:
        rows = PhoneNumber.objects.filter(e164__in=phones, contact__isnull=False).order_by("-contact_id")
        found.by_phone = dict(rows.values_list("e164", "contact_id"))
    return found


def _unknown_contact(name: str, value: Any) -> str:
    if name == "contact_id":
        return _("There is no contact with id %(value)s.") % {"value": value}
    if name == "contact_email":
        return _("There is no contact with the e-mail “%(value)s”.") % {"value": value}
    return _("There is no contact with the phone %(value)s.") % {"value": value}


def customer_of(record: dict[str, Any], customers: Customers) -> tuple[int | None, int | None, dict[str, list[str]]]:
    """Return (contact id, company id, errors) for one record's references."""
    errors: dict[str, list[str]] = {}
    contact_id: int | None = None
    for name, value, known in (
        ("contact_id", record.get("contact_id"), None),
        ("contact_email", record.get("contact_email"), customers.by_email),
        ("contact_phone", record.get("contact_phone"), customers.by_phone),
    ):
        if not value:
            continue
        found = customers.contacts.get(value) if known is None else known.get(value)
        if found is None:
            errors[name] = [_unknown_contact(name, value)]
        elif contact_id is not None and found != contact_id:
            errors[name] = [_("Names another contact (id %(found)s) than the other references (id %(id)s).")
                            % {"found": found, "id": contact_id}]
        else:
            contact_id = found
    company_id = record.get("company_id")
    if company_id and company_id not in customers.companies:
        errors["company_id"] = [_("There is no company with id %(value)s.") % {"value": company_id}]
    return contact_id, company_id, errors


def products_by_sku(skus: Iterable[str]) -> dict[str, int]:
    """Return {sku: id} for the SKUs that exist (one query)."""
    from kliyan.commerce.models import Product

    return lookup(Product, "sku", "id", sorted({sku for sku in skus if sku}))


def keyed(model: Any, outcomes: Iterable[Outcome], *, source_field: str = "source", id_field: str = "external_id",
          number_field: str | None = None) -> Q | None:
    """Return the filter matching the (source, id) pairs — and (source, number) — that records name."""
    by_source: dict[str, set[str]] = {}
    numbers: dict[str, set[str]] = {}
    for outcome in outcomes:
        record = outcome.record or {}
        if record.get(id_field):
            by_source.setdefault(record[source_field], set()).add(record[id_field])
        if number_field and record.get(number_field):
            numbers.setdefault(record[source_field], set()).add(record[number_field])
    condition = Q()
    for source, ids in by_source.items():
        condition |= Q(source=source, external_id__in=ids)
    for source, wanted in numbers.items():
        condition |= Q(source=source, number__in=wanted)
    return condition if (by_source or numbers) else None
