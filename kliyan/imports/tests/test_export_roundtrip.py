"""Round trips: a file exported as CSV, Excel or vCard imports again into the same people and companies."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from kliyan.contacts.models import Company, Contact
from kliyan.contacts.queries import COMPANY_ORDERING, CONTACT_SORTS, ContactFilters, filter_companies, filter_contacts
from kliyan.contacts.services import company_create, contact_create, custom_field_create
from kliyan.core.models import Organisation
from kliyan.imports.export_formats import csv_stream, vcard_stream, write_xlsx
from kliyan.imports.exports import export_begin

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(manager: Any) -> None:
    Organisation.objects.update_or_create(pk=1, defaults={"country": "HT"})
    custom_field_create(actor=manager, data={"target": "contact", "key": "vip", "label": "VIP", "field_type": "boolean"})
    custom_field_create(actor=manager, data={"target": "contact", "key": "points", "label": "Points", "field_type": "number"})
    custom_field_create(actor=manager, data={"target": "contact", "key": "first_order", "label": "First order", "field_type": "date"})
    custom_field_create(actor=manager, data={"target": "contact", "key": "level", "label": "Level", "field_type": "choice",
                                             "choices": ["gold", "silver"]})
    moulin = company_create(actor=manager, data={"name": "Moulin Pélissier"})
    contact_create(actor=manager, data={
        "first_name": "Ștefan", "last_name": "Popescu", "company_id": moulin.pk, "job_title": "Gérant",
        "emails": [{"email": "stefan@example.ro"}, {"email": "s.popescu@example.ro", "kind": "work"}],
        "phones": [{"number": "+40 721 234 567"}, {"number": "+40 21 234 5678", "kind": "work"}, {"number": "+40 21 333 4444", "kind": "home"}],
        "addresses": [{"street": "Str. Lipscani 5", "city": "București", "region": "B", "postal_code": "030031", "country": "RO"}],
        "birthday": "1985-03-14", "language": "ro", "notes": "Deux lignes\net une virgule, « ici »; fin", "tags": ["vip", "Client fidèle"],
        "custom_fields": {"vip": True, "points": 120, "first_order": "2024-02-29", "level": "gold"},
    })
    contact_create(actor=manager, data={
        "first_name": "Arbër", "last_name": "Hoxha", "phones": [{"number": "+355 69 123 4567", "kind": "other"}],
        "custom_fields": {"vip": False, "points": 2.5},
    })
    contact_create(actor=manager, data={"last_name": "Jean-Baptiste", "emails": [{"email": "jb@example.ht"}], "language": "ht"})


def contact_state(*, custom: bool = True, language: bool = True) -> list[dict[str, Any]]:
    """Return what a person holds, comparable across databases (no ids, kinds of e-mails or primacy)."""
    state = []
    for c in Contact.objects.order_by("last_name").select_related("company").prefetch_related(
        "emailaddresss", "phonenumbers", "addresss", "tags",
    ):
        address = next(iter(c.addresss.all()), None)
        state.append({
            "first_name": c.first_name, "last_name": c.last_name, "company": c.company.name if c.company else "",
            "job_title": c.job_title, "birthday": c.birthday, "notes": c.notes,
            "emails": sorted(e.email for e in c.emailaddresss.all()),
            "phones": sorted((p.e164, p.kind) for p in c.phonenumbers.all()),
            "address": {f: getattr(address, f) for f in ("street", "city", "region", "postal_code", "country")} if address else None,
            "tags": sorted(t.name for t in c.tags.all()),
            **({"language": c.language} if language else {}),
            **({"custom_fields": c.custom_fields} if custom else {}),
        })
    return state


def export_contacts(actor: Any, file_format: str) -> bytes:
    plan = export_begin(actor=actor, target="contacts", file_format=file_format, queryset=filter_contacts(ContactFilters()),
                        ordering=CONTACT_SORTS["name"], filters={})
    if file_format == "csv":
        return b"".join(csv_stream(plan.headers, plan.row_chunks()))
    if file_format == "vcard":
        return b"".join(vcard_stream(plan.record_chunks()))
    out = io.BytesIO()
    write_xlsx(plan.headers, plan.row_chunks(), out, title="Contacts")
    return out.getvalue()


def start_afresh() -> None:
    Contact.objects.all().delete()
    Company.objects.all().delete()


@pytest.mark.parametrize(("file_format", "name"), [("csv", "export.csv"), ("xlsx", "export.xlsx")])
def test_a_spreadsheet_export_imports_again_into_the_same_people(
    file_format: str, name: str, customers: None, manager: Any, importer: Callable[..., Any],
) -> None:
    before = contact_state()
    data = export_contacts(manager, file_format)
    start_afresh()

    imported = importer(data, name)

    assert (imported.status, imported.created, imported.failed) == ("done", 3, 0), imported.error
    assert contact_state() == before


def test_a_vcard_export_imports_again_into_the_same_people_as_a_phone_book_holds_them(
    customers: None, manager: Any, importer: Callable[..., Any],
) -> None:
    # vCard has no custom fields, and phones' address books no preferred language.
    before = contact_state(custom=False, language=False)
    data = export_contacts(manager, "vcard")
    start_afresh()

    imported = importer(data, "export.vcf")

    assert (imported.status, imported.created, imported.failed) == ("done", 3, 0), imported.error
    assert contact_state(custom=False, language=False) == before


def test_a_company_export_imports_again_into_the_same_companies(manager: Any, importer: Callable[..., Any]) -> None:
    company_create(actor=manager, data={
        "name": "Moulin Pélissier", "website": "https://moulin.example", "industry": "Boulangerie", "tags": ["b2b", "nord"],
        "emails": [{"email": "info@moulin.example"}], "phones": [{"number": "+509 3700 1234", "kind": "work"}],
        "addresses": [{"street": "Rue 5", "city": "Cap-Haïtien", "country": "HT"}], "notes": "Livraison le mardi",
    })

    def state() -> list[tuple[Any, ...]]:
        return [
            (c.name, c.website, c.industry, c.notes, sorted(t.name for t in c.tags.all()), [e.email for e in c.emailaddresss.all()],
             [(p.e164, p.kind) for p in c.phonenumbers.all()], [(a.street, a.city, a.country) for a in c.addresss.all()])
            for c in Company.objects.prefetch_related("tags", "emailaddresss", "phonenumbers", "addresss")
        ]

    before = state()
    plan = export_begin(actor=manager, target="companies", file_format="csv", queryset=filter_companies(q="", status="active"),
                        ordering=COMPANY_ORDERING, filters={})
    data = b"".join(csv_stream(plan.headers, plan.row_chunks()))
    Company.objects.all().delete()

    imported = importer(data, "companies.csv", target="companies")

    assert (imported.status, imported.created, imported.failed) == ("done", 1, 0), imported.error
    assert state() == before
