"""Cleaning one row: values normalised as stored, every problem named by its column."""

from __future__ import annotations

import datetime as dt

import pytest

from kliyan.imports.readers import SourceRow
from kliyan.imports.rows import RowCleaner, parse_date

pytestmark = pytest.mark.django_db

MAPPING = {"Name": "full_name", "Email": "email", "Phone": "phone", "Birthday": "birthday", "Language": "language",
           "Country": "country", "City": "city", "Notes": "notes"}


def clean(values: dict, region: str = "HT"):
    return RowCleaner(target="contacts", mapping=MAPPING, region=region).clean(SourceRow(2, values))


def test_a_good_row_is_normalised():
    record, problems = clean({"Name": "Marie Claude Joseph", "Email": "MC@Example.HT; mc2@example.ht", "Phone": "3712 3456 / 00509 3456 7890",
                              "Birthday": "22/07/1990", "Language": "Kreyòl ayisyen", "Country": "Haïti", "Notes": "a\nb"})

    assert problems == []
    assert record.values == {"first_name": "Marie Claude", "last_name": "Joseph", "birthday": dt.date(1990, 7, 22),
                             "language": "ht", "notes": "a\nb"}
    assert record.emails == ["mc@example.ht", "mc2@example.ht"]
    assert [p.e164 for p in record.phones] == ["+50937123456", "+50934567890"]
    assert record.address == {"country": "HT"}


@pytest.mark.parametrize(("values", "column", "words"), [
    ({"Name": "Ana", "Email": "ana@"}, "Email", "not a valid e-mail"),
    ({"Name": "Ana", "Phone": "+1 2"}, "Phone", "not a valid phone"),
    ({"Name": "Ana", "Birthday": "31/02/1990"}, "Birthday", "Not a date"),
    ({"Name": "Ana", "Birthday": "2990-01-01"}, "Birthday", "future"),
    ({"Name": "Ana", "Language": "Klingon"}, "Language", "Unknown language"),
    ({"Name": "Ana", "Country": "Atlantis"}, "Country", "Unknown country"),
    ({"Name": "Ana", "City": "x" * 101}, "City", "At most 100"),
    ({"Name": "Ana\nPop"}, "Name", "Line breaks"),
    ({"Name": "Ana\x00"}, "Name", "control character"),
    ({"Email": "ana@example.org"}, "", "first or a last name"),
])
def test_a_bad_value_keeps_the_row_out_and_names_the_column(values, column, words):
    record, problems = clean(values)

    assert record is None
    assert [p.column for p in problems] == [column]
    assert words in problems[0].message


def test_formula_like_values_are_kept_as_typed():
    record, problems = clean({"Name": "=HYPERLINK(\"http://x\") -1+1", "Notes": "@SUM(A1) +cmd"})

    assert problems == []
    assert record.values["last_name"] == "-1+1" and record.values["notes"] == "@SUM(A1) +cmd"


def test_a_cell_the_export_neutralised_comes_back_as_it_was_stored():
    record, problems = clean({"Name": "'=Ana", "Notes": "'@SUM(A1)", "City": "'Port-de-Paix"})

    assert problems == []
    assert record.values["first_name"] == "=Ana" and record.values["notes"] == "@SUM(A1)"
    assert record.address["city"] == "'Port-de-Paix"  # an apostrophe before plain text is the person's own


@pytest.mark.parametrize(("text", "region", "expected"), [
    ("1985-03-14", "HT", dt.date(1985, 3, 14)), ("19850314", "HT", dt.date(1985, 3, 14)),
    ("14/03/1985", "HT", dt.date(1985, 3, 14)), ("03/04/1985", "HT", dt.date(1985, 4, 3)),
    ("03/04/1985", "US", dt.date(1985, 3, 4)), ("14.03.1985", "RO", dt.date(1985, 3, 14)),
    ("1985-03-14T00:00:00Z", "HT", dt.date(1985, 3, 14)), ("14 March 1985", "HT", None),
])
def test_dates_are_read_in_the_organisations_order(text, region, expected):
    assert parse_date(text, region) == expected
