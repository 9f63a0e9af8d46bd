"""The export file formats: CSV, Excel (XLSX) and vCard 4.0, each written a chunk at a time.

Spreadsheet cells are neutralised (OWASP "CSV injection"): a cell that starts with = + - @
a tab or a carriage return is a formula to Excel and LibreOffice, so it gets a leading
apostrophe — except a plain number (+50937001234, -12.5), which a spreadsheet reads as a
number, never as a formula: phone numbers in E.164 start with + and must stay usable.
vCard is not a spreadsheet format and keeps every value as stored.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import IO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from kliyan.imports.exports import ExportRecord

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
# Excel refuses a longer cell (the file opens "repaired", the cell emptied).
XLSX_MAX_CELL = 32_767
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
VCARD_CONTENT_TYPE = "text/vcard; charset=utf-8"


def neutralise(value: str) -> str:
    """Return `value` safe for a spreadsheet cell: a formula becomes text, a plain number stays a number."""
    if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return f"'{value}"
    return value


def restore(value: str) -> str:
    """Undo neutralise(): a file Kliyan exported comes back in as it was stored (an import of an export)."""
    if value.startswith("'") and not is_neutral(value[1:]):
        return value[1:]
    return value


def is_neutral(value: str) -> bool:
    """Return whether a spreadsheet would read `value` as something other than a formula."""
    return not value.startswith(FORMULA_STARTS) or bool(_PLAIN_NUMBER.fullmatch(value))


# --- CSV ---------------------------------------------------------------------------------

def csv_stream(headers: list[str], row_chunks: Iterable[list[list[str]]]) -> Iterator[bytes]:
    """Yield a UTF-8 CSV (with a BOM, so Excel reads accents right), comma-separated, CRLF, a chunk at a time.

    Every cell is quoted, as OWASP advises: a value holding a semicolon stays one cell even
    in a spreadsheet that splits on semicolons (Excel in French or Romanian does).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for rows in row_chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([[neutralise(_no_nul(cell)) for cell in row] for row in rows])
        yield buffer.getvalue().encode("utf-8")


def _no_nul(value: str) -> str:
    return value.replace("\x00", "") if "\x00" in value else value


# --- Excel -------------------------------------------------------------------------------

def xlsx_cell(value: str) -> str:
    """Return `value` as an Excel cell can hold it: neutralised, without XML-illegal characters, cut to Excel's limit."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)[:XLSX_MAX_CELL]


def write_xlsx(headers: list[str], row_chunks: Iterable[list[list[str]]], target: IO[bytes], *, title: str) -> None:
    """Write one sheet to `target` with openpyxl's write-only mode (rows go to disk as they come).

    Every cell is written as text: openpyxl makes a formula of any string starting with "=",
    and neutralised values never do.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([xlsx_cell(h) for h in headers])
    for rows in row_chunks:
        for row in rows:
            sheet.append([xlsx_cell(cell) for cell in row])
    workbook.save(target)


# --- vCard 4.0 (RFC 6350) -------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EMAIL_TYPES = {"personal": "home", "work": "work"}
PHONE_TYPES = {"mobile": "cell", "work": "work,voice", "home": "home,voice", "whatsapp": "cell,text", "fax": "fax", "other": "voice"}
ADDRESS_TYPES = {"home": "home", "work": "work"}
LINE_OCTETS = 75


def vcard_text(value: str, *, list_separator: bool = True) -> str:
    """Escape a text value: backslash, comma and semicolon, line breaks as \\n; control characters dropped."""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace("\n", "\\n")
    return value.replace(",", "\\,") if list_separator else value


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 6350 3.2), never inside a UTF-8 character; CRLF-terminated."""
    if len(line) <= LINE_OCTETS and line.isascii():
        return line + "\r\n"
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = LINE_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1  # a continuation line starts with a space
        current.append(ch)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts) + "\r\n"


def _typed(name: str, types: str, value: str, *, preferred: bool) -> str:
    params = f";TYPE={types}" if types else ""
    params += ";PREF=1" if preferred else ""
    return f"{name}{params}:{value}"


def vcard(record: ExportRecord) -> str:
    """Return one card, its lines folded and CRLF-terminated."""
    lines = ["BEGIN:VCARD", "VERSION:4.0"]
    if record.is_company:
        lines += ["KIND:org", f"FN:{vcard_text(record.name)}", f"ORG:{vcard_text(record.name)}"]
    else:
        lines += [
            f"FN:{vcard_text(record.name)}",
            f"N:{vcard_text(record.last_name)};{vcard_text(record.first_name)};;;",
        ]
        if record.company:
            lines.append(f"ORG:{vcard_text(record.company)}")
        if record.job_title:
            lines.append(f"TITLE:{vcard_text(record.job_title)}")
        if record.birthday:
            lines.append(f"BDAY:{record.birthday:%Y%m%d}")
        if record.language:
            lines.append(f"LANG:{vcard_text(record.language)}")
    for n, (email, kind) in enumerate(record.emails):
        lines.append(_typed("EMAIL", EMAIL_TYPES.get(kind, ""), vcard_text(email), preferred=n == 0))
    # A plain text number, not a tel: URI: 4.0 allows both, and phones' importers read the text.
    for n, (number, kind) in enumerate(record.phones):
        lines.append(_typed("TEL", PHONE_TYPES.get(kind, "voice"), vcard_text(number), preferred=n == 0))
    if record.address:
        a = record.address
        parts = ["", a.get("street2", ""), a.get("street", ""), a.get("city", ""), a.get("region", ""), a.get("postal_code", ""), a.get("country", "")]
        lines.append(_typed("ADR", ADDRESS_TYPES.get(a.get("kind", ""), ""), ";".join(vcard_text(p or "") for p in parts), preferred=False))
    if record.website:
        lines.append(f"URL:{vcard_text(record.website, list_separator=False)}")
    if record.notes:
        lines.append(f"NOTE:{vcard_text(record.notes)}")
    if record.tags:
        lines.append(f"CATEGORIES:{','.join(vcard_text(t) for t in record.tags)}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def vcard_stream(record_chunks: Iterable[list[ExportRecord]]) -> Iterator[bytes]:
    """Yield the cards in UTF-8 (vCard 4.0 has no other encoding), a chunk at a time."""
    for records in record_chunks:
        yield "".join(vcard(r) for r in records).encode("utf-8")
