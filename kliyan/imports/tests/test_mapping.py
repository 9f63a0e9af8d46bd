"""Guessing which column goes to which field from headers in the six languages."""

from __future__ import annotations

import pytest

from kliyan.core.errors import FieldErrors
from kliyan.imports.mapping import check_mapping, guess_mapping


@pytest.mark.parametrize(("headers", "expected"), [
    (["First name", "Last name", "E-mail", "Mobile", "Company", "City", "Birthday", "Language", "Notes", "Tags"],
     ["first_name", "last_name", "email", "phone", "company", "city", "birthday", "language", "notes", "tags"]),
    (["Prénom", "Nom", "Courriel", "Téléphone", "Entreprise", "Ville", "Date de naissance", "Langue", "Remarques", "Étiquettes"],
     ["first_name", "last_name", "email", "phone", "company", "city", "birthday", "language", "notes", "tags"]),
    (["Non", "Siyati", "Imel", "Telefòn", "Konpayi", "Vil", "Dat nesans", "Lang", "Nòt", "Etikèt"],
     ["first_name", "last_name", "email", "phone", "company", "city", "birthday", "language", "notes", "tags"]),
    (["Dzina", "Surname", "Imelo", "Foni", "Kampani", "Mzinda", "Tsiku lobadwa", "Chilankhulo", "Zolemba", "Magulu"],
     ["first_name", "last_name", "email", "phone", "company", "city", "birthday", "language", "notes", "tags"]),
    (["Emri", "Mbiemri", "Email", "Telefoni", "Kompania", "Qyteti", "Ditëlindja", "Gjuha", "Shënime", "Etiketa"],
     ["first_name", "last_name", "email", "phone", "company", "city", "birthday", "language", "notes", "tags"]),
    (["Prenume", "Nume", "Adresă de e-mail", "Telefon", "Companie", "Oraș", "Data nașterii", "Limba", "Observații", "Etichete"],
     ["first_name", "last_name", "email", "phone", "company", "city", "birthday", "language", "notes", "tags"]),
], ids=["en", "fr", "ht", "ny", "sq", "ro"])
def test_headers_in_each_language_are_recognised(headers, expected):
    assert list(guess_mapping(headers).values()) == expected


def test_case_and_accents_do_not_matter():
    assert guess_mapping(["PRENOM", "prénom ", "TÉLÉPHONE"]) == {"PRENOM": "first_name", "prénom ": "", "TÉLÉPHONE": "phone"}


def test_google_contacts_headers_are_recognised_and_type_columns_ignored():
    headers = ["Name", "Given Name", "Family Name", "E-mail 1 - Type", "E-mail 1 - Value", "Phone 1 - Type",
               "Phone 1 - Value", "Phone 2 - Value", "Organization 1 - Name", "Organization 1 - Title", "Group Membership"]

    assert guess_mapping(headers) == {
        "Name": "full_name", "Given Name": "first_name", "Family Name": "last_name", "E-mail 1 - Type": "",
        "E-mail 1 - Value": "email", "Phone 1 - Type": "", "Phone 1 - Value": "phone", "Phone 2 - Value": "phone",
        "Organization 1 - Name": "company", "Organization 1 - Title": "job_title", "Group Membership": "tags",
    }


def test_work_and_home_phones_are_told_apart():
    assert list(guess_mapping(["Business Phone", "Téléphone domicile", "Telefon serviciu", "Other Phone"]).values()) == [
        "phone_work", "phone_home", "phone_work", "phone_other",
    ]


def test_for_companies_the_name_column_is_the_company_name():
    assert guess_mapping(["Nom", "Site web", "Secteur", "Téléphone"], "companies") == {
        "Nom": "name", "Site web": "website", "Secteur": "industry", "Téléphone": "phone",
    }


def test_custom_fields_are_recognised_by_label_or_key():
    mapping = guess_mapping(["Shoe size", "loyalty_number"], custom_fields=[("shoe_size", "Shoe size"), ("loyalty_number", "Card")])

    assert mapping == {"Shoe size": "custom:shoe_size", "loyalty_number": "custom:loyalty_number"}


def test_unknown_headers_are_not_imported():
    assert guess_mapping(["Favourite colour"]) == {"Favourite colour": ""}


def test_a_checked_mapping_names_each_wrong_column():
    errors = FieldErrors()

    check_mapping({"A": "first_name", "B": "first_name", "C": "shoe", "Z": "email"}, ["A", "B", "C"], "contacts", [], errors)

    assert set(errors.errors) == {"mapping.B", "mapping.C", "mapping.Z"}


def test_a_mapping_without_a_name_column_is_refused():
    errors = FieldErrors()

    check_mapping({"Email": "email"}, ["Email"], "contacts", [], errors)

    assert "mapping" in errors.errors
