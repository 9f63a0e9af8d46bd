"""Rows are matched to existing people by e-mail, phone, or a similar name at the same company, and the import says why."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kliyan.contacts.models import Contact
from kliyan.contacts.services import company_create, contact_archive, contact_create
from kliyan.imports.choices import RecordAction
from kliyan.imports.matching import find_existing
from kliyan.imports.models import ImportedRecord
from kliyan.imports.readers import SourceRow
from kliyan.imports.rows import RowCleaner

pytestmark = pytest.mark.django_db


@pytest.fixture
def lakay(agent):
    company = company_create(actor=agent, data={"name": "Boulangerie Lakay"})
    person = contact_create(actor=agent, data={"first_name": "Jean-Baptiste", "last_name": "Pélissier", "company": company.pk})
    return company, person


def test_a_similar_name_at_the_same_company_is_the_same_person(importer, lakay):
    _company, person = lakay

    imported = importer("Prénom,Nom,Entreprise,Courriel\nJean Baptiste,PELISSIER,boulangerie lakay,jb@lakay.ht\n")

    assert (imported.created, imported.skipped, imported.matches) == (0, 1, {"name": 1})
    assert Contact.objects.get() == person


def test_the_same_name_at_another_company_or_another_first_name_is_someone_else(importer, lakay):
    content = "Prénom,Nom,Entreprise\nJean-Baptiste,Pélissier,Boutik Soleil\nJean-Marie,Pélissier,Boulangerie Lakay\n"

    imported = importer(content)

    assert (imported.created, imported.skipped, imported.matches) == (2, 0, {})


def test_with_the_update_rule_a_similar_name_updates_the_person_and_remembers_why(importer, lakay):
    _company, person = lakay

    imported = importer("Prénom,Nom,Entreprise,Téléphone\nJean Baptiste,Pelissier,Boulangerie Lakay,+509 3712 3456\n",
                        on_duplicate="update")

    person.refresh_from_db()
    assert (imported.updated, person.primary_phone) == (1, "+50937123456")
    change = ImportedRecord.objects.get(import_run=imported, action=RecordAction.UPDATED)
    assert change.changes["matched_by"] == "name"


def test_an_archived_person_is_not_matched_by_name(importer, lakay, agent):
    contact_archive(actor=agent, contact=lakay[1])

    imported = importer("Prénom,Nom,Entreprise\nJean-Baptiste,Pélissier,Boulangerie Lakay\n")

    assert (imported.created, imported.matches) == (1, {})


def test_similar_names_at_one_company_inside_the_file_become_one_person(importer):
    content = "Prénom,Nom,Entreprise\nMirlande,Saint-Fleur,Kafe Tonton\nMIRLANDE,Saint Fleur,kafe tonton\n"

    imported = importer(content)

    assert (imported.created, imported.skipped, imported.matches) == (1, 1, {"name": 1})


def test_the_counts_say_why_rows_were_matched(importer, lakay, agent):
    contact_create(actor=agent, data={"first_name": "Ana", "emails": [{"email": "ana@example.ro"}]})
    contact_create(actor=agent, data={"first_name": "Ion", "phones": [{"number": "+40 721 234 567"}]})
    content = (
        "First name,Last name,Email,Phone,Company\n"
        "Ana,Pop,ANA@example.ro,,\n"
        "Ion,Pop,,+40721234567,\n"
        "Jean Baptiste,Pelissier,,,Boulangerie Lakay\n"
        "New,Person,new@example.org,,\n"
    )

    imported = importer(content)

    assert imported.matches == {"email": 1, "phone": 1, "name": 1}
    assert [label for label, _count in imported.match_counts] == [
        "Same e-mail address", "Same phone number", "Similar name at the same company",
    ]


def test_a_dry_run_counts_similar_names_across_batches(importer):
    content = "Prénom,Nom,Entreprise\nMirlande,Saint-Fleur,Kafe Tonton\nOther,Person,Kafe Tonton\nMirlande,Saint-Fleur,Kafe Tonton\n"

    imported = importer(content, dry_run=True, batch_size=2)

    assert (imported.created, imported.skipped, imported.matches) == (2, 1, {"name": 1})


def _records(rows: list[dict[str, str]]):
    cleaner = RowCleaner(target="contacts", mapping={"First": "first_name", "Last": "last_name", "Email": "email", "Company": "company"},
                         region="HT")
    return [cleaner.clean(SourceRow(n + 2, row))[0] for n, row in enumerate(rows)]


def test_matching_a_batch_costs_the_same_queries_for_ten_rows_as_for_a_thousand(lakay):
    def queries(count: int) -> int:
        records = _records([{"First": f"P{n}", "Last": "X", "Email": f"p{n}@example.org", "Company": f"Company {n % 7}"}
                            for n in range(count)] + [{"First": "Jean Baptiste", "Last": "Pelissier", "Company": "Boulangerie Lakay"}])
        with CaptureQueriesContext(connection) as captured:
            found = find_existing(records, "contacts", "contact")
        assert found.people[lakay[0].pk][0][1] == lakay[1].pk
        return len(captured)

    assert queries(10) == queries(1000) == 3  # e-mails, company names, the people of those companies
