"""Importing end to end: rows stored normalised, duplicates by rule, bad rows reported, counts exact."""

from __future__ import annotations

import pytest
from django.db import connection

from kliyan.contacts.models import Company, Contact, EmailAddress, PhoneNumber
from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry, Organisation
from kliyan.imports import services
from kliyan.imports.choices import ImportStatus, RecordAction
from kliyan.imports.models import ImportedRecord, ImportProblem

pytestmark = pytest.mark.django_db

CSV = (
    "Prénom;Nom;Téléphone;Courriel;Entreprise;Ville;Date de naissance;Étiquettes\n"
    "Jean-Baptiste;Pélissier;3712 3456;JB.Pelissier@Example.HT;Boulangerie Lakay;Pétion-Ville;14/03/1985;VIP, Pain\n"
    "Marie-Claude;Joseph;+509 3456 7890;mc.joseph@example.ht;boulangerie lakay;Port-au-Prince;1990-07-22;\n"
)


def test_a_csv_is_imported_with_phones_in_e164_and_emails_lower_cased(importer, manager):
    imported = importer(CSV)

    assert (imported.status, imported.rows_read, imported.created, imported.failed) == (ImportStatus.DONE, 2, 2, 0)
    jean = Contact.objects.get(first_name="Jean-Baptiste")
    assert (jean.last_name, jean.primary_email, jean.primary_phone) == ("Pélissier", "jb.pelissier@example.ht", "+50937123456")
    assert jean.birthday.isoformat() == "1985-03-14"
    assert jean.addresss.get().city == "Pétion-Ville"
    assert sorted(t.name for t in jean.tags.all()) == ["Pain", "VIP"]
    assert jean.source == "import" and jean.created_by == manager
    # One company for both spellings of its name, created once and remembered by the import.
    assert Company.objects.count() == 1
    assert Contact.objects.filter(company__name="Boulangerie Lakay").count() == 2
    assert set(ImportedRecord.objects.filter(import_run=imported).values_list("kind", "action")) == {
        ("contact", "created"), ("company", "created"),
    }


def test_every_created_record_is_audited_as_coming_from_the_import(importer, manager):
    imported = importer(CSV)

    entries = AuditEntry.objects.filter(object_type="contacts.contact", action="create")
    assert entries.count() == 2
    assert all(e.after["import"] == imported.pk and e.actor == manager for e in entries)
    assert AuditEntry.objects.filter(object_type="contacts.company", action="create").count() == 1


def test_phones_without_country_code_are_read_with_the_organisations_country(importer):
    Organisation.objects.update_or_create(pk=1, defaults={"country": "MW"})

    importer("Name,Phone\nChikondi Banda,0999 123 456\n")

    assert PhoneNumber.objects.get().e164 == "+265999123456"


def test_bad_rows_are_reported_by_row_and_column_and_the_others_imported(importer):
    content = (
        "First name,Last name,Email,Phone,Birthday\n"
        "Ana,Pop,ana@example.ro,+40 721 234 567,1990-01-02\n"
        "Bad,Mail,not-an-email,,\n"
        "Bad,Phone,,12,\n"
        "Bad,Date,,,32/13/1990\n"
        ",,,,\n"
        "Too,Many,a@example.org,,,extra\n"
        f"{'x' * 101},Long,,,\n"
    )

    imported = importer(content)

    assert (imported.rows_read, imported.created, imported.failed) == (6, 1, 5)
    problems = {(p.row, p.column) for p in ImportProblem.objects.filter(import_run=imported)}
    assert problems == {(3, "Email"), (4, "Phone"), (5, "Birthday"), (7, ""), (8, "First name")}
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Ana"]


def test_a_row_with_a_bad_phone_writes_nothing_of_that_row(importer):
    imported = importer("Name,Email,Phone\nAna Pop,ana@example.ro,+40 12\n")

    assert imported.failed == 1
    assert not Contact.objects.exists() and not EmailAddress.objects.exists()


@pytest.mark.parametrize(("rule", "expected"), [("skip", (0, 0, 1)), ("update", (0, 1, 0)), ("create", (1, 0, 0))])
def test_an_existing_contact_is_matched_by_email_and_the_rule_applied(importer, agent, rule, expected):
    existing = contact_create(actor=agent, data={"first_name": "Ana", "emails": [{"email": "ana@example.ro"}]})

    imported = importer("Name,Email,City\nAna Popescu,ANA@example.ro,Brașov\n", on_duplicate=rule)

    assert (imported.created, imported.updated, imported.skipped) == expected
    existing.refresh_from_db()
    if rule == "update":
        assert (existing.first_name, existing.last_name, existing.addresss.get().city) == ("Ana", "Popescu", "Brașov")
        change = ImportedRecord.objects.get(import_run=imported, action=RecordAction.UPDATED)
        assert change.changes["fields"]["last_name"] == ["", "Popescu"]
    else:
        assert existing.last_name == ""
    assert Contact.objects.count() == 1 + expected[0]


def test_an_existing_contact_is_matched_by_phone_in_any_format(importer, agent):
    contact_create(actor=agent, data={"first_name": "Ștefan", "phones": [{"number": "+40 721 234 567"}]})
    Organisation.objects.update_or_create(pk=1, defaults={"country": "RO"})

    imported = importer("Nume,Prenume,Telefon\nPopescu,Ștefan,0721 234 567\n")

    assert (imported.created, imported.skipped) == (0, 1)


def test_an_update_never_erases_a_value_with_an_empty_cell(importer, agent):
    existing = contact_create(actor=agent, data={"first_name": "Ana", "last_name": "Pop", "emails": [{"email": "ana@example.ro"}],
                                                 "notes": "Keep me"})

    imported = importer("First name,Last name,Email,Notes\nAna,,ana@example.ro,\n", on_duplicate="update")

    existing.refresh_from_db()
    assert (existing.first_name, existing.last_name, existing.notes) == ("Ana", "Pop", "Keep me")
    assert imported.skipped == 1  # matched, nothing to change


def test_duplicates_inside_the_file_become_one_contact(importer):
    content = "Name,Email,Phone\nAna Pop,ana@example.ro,\nAna P.,ana@example.ro,+40 721 234 567\n"

    skipped = importer(content, on_duplicate="skip")
    assert (skipped.created, skipped.skipped, Contact.objects.count()) == (1, 1, 1)

    Contact.objects.all().delete()
    merged = importer(content, on_duplicate="update")
    assert (merged.created, merged.updated, Contact.objects.count()) == (1, 1, 1)
    assert Contact.objects.get().primary_phone == "+40721234567"


def test_duplicates_across_batches_are_matched_against_what_earlier_batches_wrote(importer):
    rows = "".join(f"Person {n},p{n % 3}@example.org\n" for n in range(9))

    imported = importer("Name,Email\n" + rows, batch_size=2)

    assert (imported.created, imported.skipped) == (3, 6)
    assert Contact.objects.count() == 3


def test_a_dry_run_counts_what_would_happen_and_writes_nothing(importer, agent):
    contact_create(actor=agent, data={"first_name": "Ana", "emails": [{"email": "ana@example.ro"}]})
    audit_before = AuditEntry.objects.filter(object_type__startswith="contacts.").count()
    content = "Name,Email\nAna Pop,ana@example.ro\nIon Ion,ion@example.ro\nIon Again,ion@example.ro\nBad,bad@\n"

    imported = importer(content, on_duplicate="update", dry_run=True, batch_size=2)

    assert imported.status == ImportStatus.CHECKED
    assert (imported.created, imported.updated, imported.skipped, imported.failed) == (1, 2, 0, 1)
    assert Contact.objects.count() == 1 and not ImportedRecord.objects.exists()
    assert AuditEntry.objects.filter(object_type__startswith="contacts.").count() == audit_before
    assert list(ImportProblem.objects.values_list("row", "column")) == [(5, "Email")]


def test_companies_are_imported_and_matched_by_name(importer):
    content = "Nom,Courriel,Site web,Secteur\nBoulangerie Lakay,info@lakay.ht,lakay.ht,Alimentation\nBOULANGERIE LAKAY,,,\n"

    imported = importer(content, target="companies")

    assert (imported.created, imported.skipped) == (1, 1)
    company = Company.objects.get()
    assert (company.website, company.industry, company.primary_email) == ("https://lakay.ht", "Alimentation", "info@lakay.ht")


def test_custom_fields_are_mapped_by_label_and_validated(importer, admin):
    from kliyan.contacts.services import custom_field_create

    custom_field_create(actor=admin, data={"label": "Shoe size", "key": "shoe_size", "field_type": "number"})

    imported = importer("Name,Shoe size\nAna Pop,38\nIon Pop,big\n")

    assert imported.mapping["Shoe size"] == "custom:shoe_size"
    assert (imported.created, imported.failed) == (1, 1)
    assert Contact.objects.get().custom_fields == {"shoe_size": 38}
    assert ImportProblem.objects.get().column == "Shoe size"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the tuning is SQLite's")
@pytest.mark.django_db(transaction=True)
def test_a_run_tunes_its_sqlite_connection_and_puts_it_back():
    def pragmas() -> list[int]:
        with connection.cursor() as cursor:
            found = []
            for name in ("cache_size", "temp_store"):
                cursor.execute(f"PRAGMA {name}")
                found.append(cursor.fetchone()[0])
            return found

    before = pragmas()
    with services.database_tuned_for_import():
        during = pragmas()
    assert during == [-services.IMPORT_CACHE_KB, services.TEMP_STORE_FILE]
    assert pragmas() == before and before[1] != services.TEMP_STORE_FILE
