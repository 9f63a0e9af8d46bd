"""Export formats: CSV (BOM, CRLF, quoted), XLSX (text cells only) and vCard 4.0; hostile values neutralised (hypothesis)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from kliyan.imports import vcard as vcard_reader
from kliyan.imports.export_formats import (
    FORMULA_STARTS,
    XLSX_MAX_CELL,
    csv_stream,
    fold,
    is_neutral,
    neutralise,
    restore,
    vcard,
    vcard_stream,
    write_xlsx,
)
from kliyan.imports.exports import ExportRecord

PAYLOADS = [
    '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(1)", "-2+3", "=1+1", "\t=1+1", "\r=1+1",
    "+cmd|' /C calc'!A0", '"', '""', "a,b;c\td|e", "line\nbreak", "cr\rreturn", "Ștefan Pélissier", "Arbër", "😀",
    "ﬁ", "\ufeff", " ", "", "x" * 40_000,
]
cell = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=60),
    st.builds(lambda c, t: c + t, st.sampled_from(FORMULA_STARTS), st.text(max_size=20).map(lambda t: t.replace("\x00", ""))),
)
HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def csv_rows(headers: list[str], chunks: list[list[list[str]]]) -> list[list[str]]:
    data = b"".join(csv_stream(headers, chunks))
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- Neutralisation ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("+1+1", "'+1+1"),
    ("@SUM(1)", "'@SUM(1)"),
    ("-2+3", "'-2+3"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("+", "'+"),
    ("-", "'-"),
    ("+50937001234", "+50937001234"),
    ("-12.5", "-12.5"),
    ("+40721234567", "+40721234567"),
    ("Jean", "Jean"),
    ("", ""),
    ("1+1", "1+1"),
])
def test_cells_that_start_a_formula_get_an_apostrophe_but_plain_numbers_and_phones_stay(value: str, expected: str) -> None:
    assert neutralise(value) == expected
    assert is_neutral(neutralise(value))


# A stored value starting with an apostrophe then a formula is the one that cannot come back.
@given(st.text(max_size=30).filter(lambda value: not value.startswith("'")))
def test_an_import_of_an_export_gets_back_every_value_as_stored(value: str) -> None:
    assert restore(neutralise(value)) == value


# --- CSV ---------------------------------------------------------------------------------

def test_csv_is_utf8_with_bom_comma_separated_crlf_and_every_cell_quoted() -> None:
    data = b"".join(csv_stream(["Name", "City"], [[["Ștefan", "Cap-Haïtien"]], [["Arbër", 'Tirana "centre"']]]))

    assert data == (
        '\ufeff"Name","City"\r\n"Ștefan","Cap-Haïtien"\r\n"Arbër","Tirana ""centre"""\r\n'.encode()
    )


@HYPOTHESIS
@given(rows=st.lists(st.lists(cell, min_size=4, max_size=4), min_size=1, max_size=8), split=st.integers(0, 8))
def test_any_text_gives_a_csv_of_the_same_shape_without_a_formula(rows: list[list[str]], split: int) -> None:
    headers = ["A", "=B", "C", "D"]

    parsed = csv_rows(headers, [rows[:split], rows[split:]])

    assert len(parsed) == len(rows) + 1
    assert all(len(r) == 4 for r in parsed)
    assert all(is_neutral(c) for r in parsed for c in r)
    # Nothing else changes: dropping the apostrophe gives the value back.
    for sent, got in zip(rows, parsed[1:], strict=True):
        assert [g[1:] if g != s else g for s, g in zip(sent, got, strict=True)] == sent


# --- XLSX --------------------------------------------------------------------------------

def xlsx_sheet(headers: list[str], rows: list[list[str]]) -> list[list[object]]:
    out = io.BytesIO()
    write_xlsx(headers, [rows], out, title="Contacts")
    out.seek(0)
    book = load_workbook(out)
    sheet = book.active
    assert sheet.title == "Contacts"
    cells = list(sheet.iter_rows())
    assert all(c.data_type != "f" for r in cells for c in r)
    return [[c.value for c in r] for r in cells]


def test_xlsx_keeps_phone_numbers_as_text_and_formulas_as_text() -> None:
    values = xlsx_sheet(["Phone", "Notes"], [["+50937001234", '=HYPERLINK("http://x","y")']])

    assert values == [["Phone", "Notes"], ["+50937001234", '\'=HYPERLINK("http://x","y")']]


@HYPOTHESIS
@given(rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=6))
def test_any_text_gives_a_sheet_of_the_same_shape_without_a_formula(rows: list[list[str]]) -> None:
    values = xlsx_sheet(["A", "B", "C"], rows)

    assert len(values) == len(rows) + 1
    assert all(len(r) == 3 for r in values)
    assert all(v is None or (isinstance(v, str) and is_neutral(v) and len(v) <= XLSX_MAX_CELL) for r in values for v in r)


# --- vCard -------------------------------------------------------------------------------

def person(**fields: object) -> ExportRecord:
    base: dict[str, object] = {"id": 1, "name": "Ștefan Popescu", "first_name": "Ștefan", "last_name": "Popescu"}
    return ExportRecord(**{**base, **fields})  # type: ignore[arg-type]


def test_a_card_is_vcard_4_with_crlf_lines_and_escaped_text() -> None:
    card = vcard(person(
        company="Moulin; Fils, SA", job_title="Gérant", birthday=dt.date(1985, 3, 14), language="ro",
        emails=[("stefan@example.ro", "work")], phones=[("+40721234567", "mobile"), ("+40212345678", "work")],
        address={"kind": "home", "street": "Str. Lipscani 5", "street2": "ap. 3", "city": "București", "region": "",
                 "postal_code": "030031", "country": "RO"},
        notes="Likes \\ backslashes,\nand lines", tags=["vip", "a,b"],
    ))

    assert card.split("\r\n") == [
        "BEGIN:VCARD", "VERSION:4.0", "FN:Ștefan Popescu", "N:Popescu;Ștefan;;;", "ORG:Moulin\\; Fils\\, SA",
        "TITLE:Gérant", "BDAY:19850314", "LANG:ro", "EMAIL;TYPE=work;PREF=1:stefan@example.ro",
        "TEL;TYPE=cell;PREF=1:+40721234567", "TEL;TYPE=work,voice:+40212345678",
        "ADR;TYPE=home:;ap. 3;Str. Lipscani 5;București;;030031;RO",
        "NOTE:Likes \\\\ backslashes\\,\\nand lines", "CATEGORIES:vip,a\\,b", "END:VCARD", "",
    ]


def test_long_lines_fold_at_75_octets_without_cutting_a_character() -> None:
    line = "NOTE:" + "ș" * 100

    folded = fold(line)

    pieces = folded.removesuffix("\r\n").split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert pieces[0] + "".join(p[1:] for p in pieces[1:]) == line


def test_the_vcard_reader_of_the_import_reads_the_cards_back() -> None:
    records = [
        person(
            company="Moulin; Fils, SA", job_title="Gérant", birthday=dt.date(1985, 3, 14),
            emails=[("stefan@example.ro", "personal"), ("s.popescu@example.ro", "work")],
            phones=[("+40721234567", "mobile"), ("+40212345678", "work"), ("+40213333333", "home"), ("+40214444444", "fax")],
            address={"kind": "work", "street": "Str. Lipscani 5", "street2": "", "city": "București", "region": "B",
                     "postal_code": "030031", "country": "RO"},
            notes="Ligne 1\nLigne 2; fin, " + "é" * 200, tags=["vip", "client fidèle"],
        ),
        ExportRecord(id=2, name="Moulin Pélissier", is_company=True, website="https://moulin.example", phones=[("+50937001234", "work")]),
    ]

    data = b"".join(vcard_stream([records[:1], records[1:]])).decode("utf-8")
    rows = [vcard_reader.card_row(card) for card in vcard_reader.read_cards(io.StringIO(data, newline=""))]

    assert rows[0] == {
        "Full name": "Ștefan Popescu", "First name": "Ștefan", "Last name": "Popescu", "Mobile": "+40721234567",
        "Work phone": "+40212345678", "Home phone": "+40213333333", "Other phone": "+40214444444",
        "E-mail": "stefan@example.ro; s.popescu@example.ro", "Company": "Moulin; Fils, SA", "Job title": "Gérant",
        "Birthday": "19850314", "Street": "Str. Lipscani 5", "City": "București", "Region": "B", "Postal code": "030031",
        "Country": "RO", "Notes": "Ligne 1\nLigne 2; fin, " + "é" * 200, "Tags": "vip, client fidèle",
    }
    assert (rows[1]["Full name"], rows[1]["Company"], rows[1]["Work phone"]) == ("Moulin Pélissier", "Moulin Pélissier", "+50937001234")


@HYPOTHESIS
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=300))
def test_any_note_survives_a_vcard_round_trip(text: str) -> None:
    data = vcard(person(notes=text))

    cards = list(vcard_reader.read_cards(io.StringIO(data, newline="")))

    assert len(cards) == 1 and not cards[0].problems
    assert vcard_reader.card_row(cards[0])["Notes"] == text.strip()
