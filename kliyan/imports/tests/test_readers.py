"""Reading CSV in any delimiter and encoding, and XLSX, row by row, reporting what cannot be read."""

from __future__ import annotations

import codecs
import datetime as dt
import io

import openpyxl
import pytest

from kliyan.imports.readers import UnreadableFile, detect_encoding, inspect_file, read_rows


def read(data: bytes, name: str = "file.csv"):
    stream = io.BytesIO(data)
    info = inspect_file(stream, name)
    return info, list(read_rows(stream, info))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_found(delimiter):
    text = delimiter.join(["Prénom", "Nom", "Ville"]) + "\n" + delimiter.join(["Ana", "Pop, Jr", "Brașov"]) + "\n"
    if delimiter == ",":
        text = text.replace("Pop, Jr", '"Pop, Jr"')

    info, rows = read(text.encode("utf-8"))

    assert info.delimiter == delimiter
    assert rows[0].values == {"Prénom": "Ana", "Nom": "Pop, Jr", "Ville": "Brașov"}


@pytest.mark.parametrize(("data", "encoding"), [
    ("Nume;Oraș\nȘtefan;Brașov\n".encode(), "utf-8"),
    (codecs.BOM_UTF8 + "Nom;Ville\nCéline;Pétion-Ville\n".encode(), "utf-8-sig"),
    ("Nom;Ville\nCéline;Pétion-Ville – “centre”\n".encode("cp1252"), "cp1252"),
    (b"Nom;Ville\nC\xe9line;\x81bad\n", "latin-1"),
    ("Name\tCity\nArbër\tTiranë\n".encode("utf-16"), "utf-16"),
])
def test_the_encoding_is_detected(data, encoding):
    info, rows = read(data)

    assert info.encoding == encoding
    assert not rows[0].problems
    assert rows[0].values[info.headers[0]] in {"Ștefan", "Céline", "C\xe9line", "Arbër"}


def test_a_stray_windows_byte_in_a_utf8_file_is_reported_on_its_row_only():
    data = "Name,City\nȘtefan,Brașov\nArbër,Tiranë\n".encode() + b"C\xe9line,Paris\n"

    info, rows = read(data)

    assert info.encoding == "utf-8"
    assert [bool(r.problems) for r in rows] == [False, False, True]
    assert rows[2].problems[0].column == "Name" and "UTF-8" in rows[2].problems[0].message


def test_rows_are_numbered_as_a_spreadsheet_shows_them_even_with_embedded_newlines():
    data = b'Name,Notes\nAna,"two\nlines"\n\nIon,x\n'

    _info, rows = read(data)

    assert [(r.number, r.values["Notes"]) for r in rows] == [(2, "two\nlines"), (4, "x")]


def test_a_row_with_the_wrong_number_of_cells_is_reported():
    _info, rows = read(b"A,B,C\n1,2,3\n1,2\n1,2,3,4\n1,2,3,,\n")

    assert [len(r.problems) for r in rows] == [0, 1, 1, 0]
    assert "2 cells" in rows[1].problems[0].message


def test_repeated_and_blank_headers_get_names():
    info, _rows = read(b"Email,Email,,City\na@b.c,d@e.f,x,y\n")

    assert info.headers == ["Email", "Email (2)", "Column 3", "City"]


def test_encoding_detection_reads_the_whole_file_not_just_its_start():
    data = b"Name\n" + b"Ana\n" * 200_000 + "Céline\n".encode("cp1252")

    assert detect_encoding(io.BytesIO(data))[0] == "cp1252"


def workbook_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_xlsx_sheet_is_read_with_numbers_and_dates_as_people_typed_them():
    data = workbook_bytes([
        ["Emri", "Mbiemri", "Telefoni", "Ditëlindja"],
        ["Arbër", "Gjergji", 355691234567, dt.datetime(1988, 5, 4)],
        [None, None, None, None],
        ["Blerina", "Hoxha", "+355 69 765 4321", dt.date(1991, 2, 3)],
    ])

    info, rows = read(data, "people.xlsx")

    assert info.file_format == "xlsx" and info.headers == ["Emri", "Mbiemri", "Telefoni", "Ditëlindja"]
    assert [(r.number, r.values["Telefoni"], r.values["Ditëlindja"]) for r in rows] == [
        (2, "355691234567", "1988-05-04"), (4, "+355 69 765 4321", "1991-02-03"),
    ]


def test_a_corrupt_workbook_is_refused_when_uploaded():
    with pytest.raises(UnreadableFile):
        read(b"PK\x03\x04 this is not really a zip", "broken.xlsx")


def test_an_empty_file_is_refused():
    with pytest.raises(UnreadableFile):
        read(b"", "empty.csv")
