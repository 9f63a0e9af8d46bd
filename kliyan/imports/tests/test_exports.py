"""Exports: the rows and columns of a filtered list, read in chunks with a fixed number of queries, audited once."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kliyan.contacts.models import Contact
from kliyan.contacts.queries import COMPANY_ORDERING, CONTACT_SORTS, ContactFilters, filter_companies, filter_contacts
from kliyan.contacts.services import company_create, contact_archive, contact_create, custom_field_create
from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditEntry
from kliyan.imports import exports
from kliyan.imports.choices import ImportTarget
from kliyan.imports.export_formats import csv_stream, is_neutral
from kliyan.imports.exports import (
    COMPANY_HEADERS,
    CONTACT_HEADERS,
    contact_cells,
    contacts_with_ids,
    export_begin,
)
from kliyan.imports.mapping import guess_mapping

pytestmark = pytest.mark.django_db


def people(actor: Any, count: int, *, start: int = 0, **data: Any) -> list[Contact]:
    return [
        contact_create(actor=actor, data={"first_name": f"Person {n:03d}", "emails": [{"email": f"p{n}@example.org"}],
                                          "phones": [{"number": f"+5093700{n:04d}"}], "tags": ["client"], **data})
        for n in range(start, start + count)
    ]


def plan_for(actor: Any, filters: ContactFilters | None = None, file_format: str = "csv", **options: Any) -> exports.ExportPlan:
    filters = filters or ContactFilters()
    return export_begin(
        actor=actor, target="contacts", file_format=file_format, queryset=filter_contacts(filters),
        ordering=CONTACT_SORTS[filters.sort], filters={"status": filters.status}, **options,
    )


def exported_rows(plan: exports.ExportPlan) -> list[list[str]]:
    return [row for chunk in plan.row_chunks() for row in chunk]


# --- Columns -------------------------------------------------------------------------------

def test_the_import_maps_every_contact_column_back_to_its_field() -> None:
    mapping = guess_mapping(CONTACT_HEADERS, ImportTarget.CONTACTS, [("loyalty", "Loyalty level")])

    assert mapping == {
        "Kliyan ID": "", "First name": "first_name", "Last name": "last_name", "E-mail": "email", "Mobile phone": "phone",
        "Work phone": "phone_work", "Home phone": "phone_home", "WhatsApp": "phone", "Fax": "", "Other phone": "phone_other",
        "Company": "company", "Job title": "job_title", "Street": "street", "Street (line 2)": "", "City": "city",
        "Region": "region", "Postal code": "postal_code", "Country": "country", "Birthday": "birthday",
        "Preferred language": "language", "Notes": "notes", "Tags": "tags", "Owner": "", "Source": "", "Archived": "",
    }


def test_the_import_maps_every_company_column_back_to_its_field() -> None:
    mapping = guess_mapping(COMPANY_HEADERS, ImportTarget.COMPANIES)

    assert {h: k for h, k in mapping.items() if k} == {
        "Company name": "name", "E-mail": "email", "Mobile phone": "phone", "Work phone": "phone_work", "Home phone": "phone",
        "WhatsApp": "phone", "Other phone": "phone_other", "Website": "website", "Industry": "industry", "Street": "street",
        "City": "city", "Region": "region", "Postal code": "postal_code", "Country": "country", "Notes": "notes", "Tags": "tags",
    }


def test_a_contact_row_holds_every_field_and_custom_fields_as_the_import_reads_them(manager: Any) -> None:
    custom_field_create(actor=manager, data={"target": "contact", "key": "vip", "label": "VIP", "field_type": "boolean"})
    custom_field_create(actor=manager, data={"target": "contact", "key": "points", "label": "Points", "field_type": "number"})
    company = company_create(actor=manager, data={"name": "Moulin Pélissier"})
    contact = contact_create(actor=manager, data={
        "first_name": "Ștefan", "last_name": "Popescu", "company_id": company.pk, "job_title": "Gérant",
        "emails": [{"email": "stefan@example.ro"}, {"email": "s.popescu@example.ro", "kind": "work"}],
        "phones": [{"number": "+40 721 234 567"}, {"number": "+40 21 234 5678", "kind": "work"}, {"number": "+40 722 000 111", "kind": "whatsapp"}],
        "addresses": [{"street": "Str. Lipscani 5", "street2": "ap. 3", "city": "București", "postal_code": "030031", "country": "ro"}],
        "birthday": "1985-03-14", "language": "ro", "notes": "Deux lignes\net une virgule, ici", "tags": ["vip", "Client"],
        "custom_fields": {"vip": True, "points": 120}, "owner_id": manager.pk, "source": "referral",
    })

    plan = plan_for(manager)

    assert plan.headers == [*CONTACT_HEADERS, "VIP", "Points"]
    assert exported_rows(plan) == [[
        str(contact.pk), "Ștefan", "Popescu", "stefan@example.ro; s.popescu@example.ro", "+40721234567", "+40212345678", "",
        "+40722000111", "", "", "Moulin Pélissier", "Gérant", "Str. Lipscani 5", "ap. 3", "București", "", "030031", "RO",
        "1985-03-14", "ro", "Deux lignes\net une virgule, ici", "Client, vip", "manager", "referral", "", "yes", "120",
    ]]


def test_a_custom_field_labelled_like_a_standard_column_is_headed_by_its_key(manager: Any) -> None:
    definition = custom_field_create(actor=manager, data={"target": "contact", "key": "town", "label": "City", "field_type": "text"})

    headers = exports.custom_headers([definition], CONTACT_HEADERS)

    assert headers == ["town"]


def test_a_company_row_holds_its_fields(manager: Any) -> None:
    company = company_create(actor=manager, data={
        "name": "=Moulin", "website": "https://moulin.example", "industry": "Boulangerie", "tags": ["b2b"],
        "phones": [{"number": "+509 3700 1234", "kind": "work"}], "emails": [{"email": "info@moulin.example"}],
    })

    plan = export_begin(actor=manager, target="companies", file_format="csv", queryset=filter_companies(q="", status="active"),
                        ordering=COMPANY_ORDERING, filters={})

    assert exported_rows(plan) == [[
        str(company.pk), "=Moulin", "info@moulin.example", "", "+50937001234", "", "", "", "", "https://moulin.example",
        "Boulangerie", "", "", "", "", "", "", "", "b2b", "", "", "",
    ]]


# --- Which rows ----------------------------------------------------------------------------

def test_archived_contacts_are_left_out_unless_the_filter_asks_for_them(manager: Any) -> None:
    kept, archived = people(manager, 2)
    contact_archive(actor=manager, contact=archived)

    active_ids = [r[0] for r in exported_rows(plan_for(manager))]
    archived_ids = [r[0] for r in exported_rows(plan_for(manager, ContactFilters(status="archived")))]
    all_ids = [r[0] for r in exported_rows(plan_for(manager, ContactFilters(status="all")))]

    assert active_ids == [str(kept.pk)]
    assert archived_ids == [str(archived.pk)]
    assert sorted(all_ids) == sorted([str(kept.pk), str(archived.pk)])
    assert exported_rows(plan_for(manager, ContactFilters(status="all")))[1][-1] == timezone.localdate().isoformat()


def test_the_list_filters_and_sort_are_respected(manager: Any) -> None:
    tagged = people(manager, 3)
    others = [contact_create(actor=manager, data={"first_name": "Zoé", "language": "fr"})]

    by_tag = exported_rows(plan_for(manager, ContactFilters(tag="client", sort="-name")))
    by_language = exported_rows(plan_for(manager, ContactFilters(language="fr")))
    by_search = exported_rows(plan_for(manager, ContactFilters(q="Person 001")))

    assert [r[0] for r in by_tag] == [str(c.pk) for c in reversed(tagged)]
    assert [r[0] for r in by_language] == [str(others[0].pk)]
    assert [r[0] for r in by_search] == [str(tagged[1].pk)]


def test_any_queryset_of_ids_can_be_exported_so_segments_can_plug_in(manager: Any) -> None:
    chosen = people(manager, 4)[1:3]
    ids = Contact.objects.filter(pk__in=[c.pk for c in chosen]).values("id")

    plan = export_begin(actor=manager, target="contacts", file_format="csv", queryset=contacts_with_ids(ids),
                        ordering=["id"], filters={"segment": 7})

    assert plan.rows == 2
    assert [r[0] for r in exported_rows(plan)] == [str(c.pk) for c in chosen]


def test_chunks_cover_every_row_once_in_order(manager: Any) -> None:
    made = people(manager, 7)

    plan = plan_for(manager, chunk_size=3)
    chunks = list(plan.row_chunks())

    assert [len(c) for c in chunks] == [3, 3, 1]
    assert [r[0] for c in chunks for r in c] == [str(c.pk) for c in made]


@pytest.mark.parametrize("count", [5, 50])
def test_the_number_of_queries_does_not_grow_with_the_number_of_contacts(count: int, manager: Any, django_assert_num_queries: Any) -> None:
    company = company_create(actor=manager, data={"name": "Moulin"})
    people(manager, count, company_id=company.pk, addresses=[{"city": "Jacmel"}], owner_id=manager.pk)

    # Count, custom fields, audit entry; then per chunk: rows, e-mails, phones, addresses, tags.
    with django_assert_num_queries(3 + 5):
        plan = plan_for(manager)
        rows = exported_rows(plan)

    assert len(rows) == count


def test_each_chunk_costs_the_same_five_queries(manager: Any, django_assert_num_queries: Any) -> None:
    people(manager, 10)

    with django_assert_num_queries(3 + 5 * 4):
        assert len(exported_rows(plan_for(manager, chunk_size=3))) == 10


# --- Checks and audit ------------------------------------------------------------------------

def test_each_export_writes_one_audit_entry_with_who_what_filters_how_many_and_format(manager: Any) -> None:
    people(manager, 3)
    before = AuditEntry.objects.count()

    plan_for(manager, ContactFilters(tag="client"), file_format="vcard")

    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.object_type) == ("export", manager, "contacts.contact")
    assert entry.object_label == f"kliyan-contacts-{timezone.localdate().isoformat()}.vcf"
    assert entry.after == {"format": "vcard", "rows": 3, "filters": {"status": "active"}}


def test_an_unknown_format_is_refused_naming_the_field_and_nothing_is_audited(manager: Any) -> None:
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationFailed) as raised:
        plan_for(manager, file_format="pdf")

    assert list(raised.value.field_errors) == ["format"]
    assert AuditEntry.objects.count() == before


def test_a_list_longer_than_an_excel_sheet_is_refused_for_xlsx(manager: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    people(manager, 3)
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationFailed) as raised:
        plan_for(manager, file_format="xlsx")

    assert list(raised.value.field_errors) == ["format"] and "CSV" in raised.value.field_errors["format"][0]
    assert AuditEntry.objects.count() == before
    assert plan_for(manager, file_format="csv").rows == 3


def test_the_file_is_named_after_the_list_and_the_day() -> None:
    assert exports.export_file_name("contacts", "csv", dt.date(2026, 11, 5)) == "kliyan-contacts-2026-11-05.csv"
    assert exports.export_file_name("companies", "xlsx", dt.date(2026, 11, 5)) == "kliyan-companies-2026-11-05.xlsx"
    assert exports.export_file_name("contacts", "vcard", dt.date(2026, 11, 5)) == "kliyan-contacts-2026-11-05.vcf"


def test_cells_of_a_record_match_the_headers() -> None:
    record = exports.ExportRecord(id=1, name="A")

    assert len(contact_cells(record, [])) == len(CONTACT_HEADERS)
    assert len(exports.company_cells(record, [])) == len(COMPANY_HEADERS)


HOSTILE = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(1)", "-1+1", "\t=1", '"quoted, "', "a;b", "é" * 19_000]
hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=hostile_text, notes=hostile_text, job=hostile_text)
def test_stored_hostile_text_exports_to_a_csv_of_one_row_and_no_formula(manager: Any, first: str, notes: str, job: str) -> None:
    Contact.objects.all().delete()
    contact_create(actor=manager, data={"first_name": f"x{first[:90]}", "last_name": "=Y", "notes": notes, "job_title": job[:100]})
    plan = plan_for(manager)

    data = b"".join(csv_stream(plan.headers, plan.row_chunks()))
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))

    assert len(parsed) == 2 and len(parsed[1]) == len(parsed[0]) == len(CONTACT_HEADERS)
    assert all(is_neutral(cell) for row in parsed for cell in row)
    assert parsed[1][2] == "'=Y"
