"""Read an uploaded file as a stream of rows (dicts keyed by column), whatever its format.

CSV in any of the usual delimiters (, ; tab |) and encodings (UTF-8 with or without BOM,
UTF-16 from Excel's "Unicode text", Windows-1252, Latin-1 as the last resort), XLSX (the
first sheet, through openpyxl's read-only mode) and vCard (kliyan.imports.vcard). Rows
are yielded one at a time; a file is never loaded whole.

A row carries its number as a spreadsheet shows it (the header is row 1) or, for
vCard, the card's number, and the problems found while reading it (bytes that are not
valid in the file's encoding, a wrong number of cells, a row the CSV parser cannot
read). Reading never raises on bad content; only a file that cannot be opened at all
(a corrupt workbook) raises UnreadableFile.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _

from kliyan.imports import vcard
from kliyan.imports.choices import FileFormat

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
CHUNK_BYTES = 1024 * 1024
REPLACEMENT = "\ufffd"
# Bytes Windows-1252 leaves undefined: a file holding one is not Windows-1252.
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252", "latin-1": "Latin-1"}


class UnreadableFile(Exception):
    """The file cannot be opened as the format it claims (a corrupt workbook, an empty file)."""


@dataclass(frozen=True)
class Problem:
    column: str
    value: str
    message: str


@dataclass
class SourceRow:
    number: int
    values: dict[str, str]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class FileInfo:
    file_format: str
    encoding: str = ""
    delimiter: str = ""
    headers: list[str] = field(default_factory=list)
    rows_estimate: int = 0


# --- Detection ------------------------------------------------------------------------

def sniff_format(name: str, head: bytes) -> str:
    """Return the format of a file from its first bytes (and, failing that, its name)."""
    if head.startswith(b"PK\x03\x04"):
        return FileFormat.XLSX
    text = head.lstrip(codecs.BOM_UTF8).lstrip().upper()
    if text.startswith(b"BEGIN:VCARD") or name.lower().endswith((".vcf", ".vcard")):
        return FileFormat.VCARD
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"B\x00E\x00G\x00I\x00N\x00:\x00V\x00C" in head[:64].upper():
        return FileFormat.VCARD
    return FileFormat.CSV


def detect_encoding(stream: IO[bytes]) -> tuple[str, int]:
    """Return the encoding of a text file and how many line breaks it holds (one pass over it).

    UTF-8 wins when the file is valid UTF-8, or when its valid multi-byte characters
    outnumber its bad bytes (a UTF-8 file with a few stray Windows bytes: those rows are
    reported rather than the whole file read wrongly). Otherwise Windows-1252 if no byte is
    undefined there, else Latin-1, which reads any byte.
    """
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = ""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    bad = non_ascii = lines = 0
    cp1252 = True
    while chunk := stream.read(CHUNK_BYTES):
        lines += chunk.count(b"\n")
        if encoding:
            continue
        text = decoder.decode(chunk)
        replaced = text.count(REPLACEMENT)
        bad += replaced
        non_ascii += len(text) - len(text.encode("ascii", "ignore")) - replaced
        cp1252 = cp1252 and not any(b in chunk for b in _CP1252_UNDEFINED)
    stream.seek(0)
    if encoding:
        return encoding, lines
    tail = decoder.decode(b"", final=True)
    bad += tail.count(REPLACEMENT)
    if bad == 0 or non_ascii > bad:
        return "utf-8", lines
    return ("cp1252" if cp1252 else "latin-1"), lines


def detect_delimiter(sample: str) -> str:
    """Return the delimiter that splits the sample's first rows into the most equal columns."""
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter, strict=False) if r][:20]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        # Drop the last row: the sample may cut it in the middle.
        body = rows[1:-1] or rows[1:]
        consistent = sum(1 for r in body if len(r) == width)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _release(text: io.TextIOWrapper) -> None:
    """Let go of the byte stream without closing it (it may already be closed if a run was stopped)."""
    with contextlib.suppress(ValueError):
        text.detach()


def _text(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    stream.seek(0)
    # errors="replace": a byte that is not valid in the encoding becomes U+FFFD, and the row
    # holding it is reported instead of the reader stopping.
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")


def inspect_file(stream: IO[bytes], name: str) -> FileInfo:
    """Return the format, encoding, delimiter and column names of a file (reading it once)."""
    head = stream.read(SAMPLE_BYTES)
    stream.seek(0)
    if not head:
        raise UnreadableFile(_("The file is empty."))
    file_format = sniff_format(name, head)
    if file_format == FileFormat.XLSX:
        return _inspect_xlsx(stream)
    encoding, lines = detect_encoding(stream)
    if file_format == FileFormat.VCARD:
        return FileInfo(file_format=file_format, encoding=encoding, headers=list(vcard.VCARD_HEADERS), rows_estimate=_count_cards(stream, encoding))
    text = _text(stream, encoding)
    try:
        sample = text.read(SAMPLE_BYTES)
    finally:
        _release(text)
    delimiter = detect_delimiter(sample)
    info = FileInfo(file_format=file_format, encoding=encoding, delimiter=delimiter, rows_estimate=lines)
    text = _text(stream, encoding)
    try:
        for _number, cells, _error in _csv_records(text, delimiter):
            if any(cell.strip() for cell in cells):
                info.headers = clean_headers(cells)
                break
    finally:
        _release(text)
        stream.seek(0)
    if not info.headers:
        raise UnreadableFile(_("The file has no header row."))
    return info


def _count_cards(stream: IO[bytes], encoding: str) -> int:
    text = _text(stream, encoding)
    try:
        return sum(1 for line in text if line.strip().upper() == "BEGIN:VCARD")
    finally:
        _release(text)
        stream.seek(0)


def storable(text: str) -> str:
    """Return `text` without NUL characters, which PostgreSQL cannot store in text or JSON (shown as U+FFFD)."""
    return text.replace("\x00", REPLACEMENT) if "\x00" in text else text


def clean_headers(cells: list[Any]) -> list[str]:
    """Return unique, trimmed column names ("Column 3" for a blank one, "E-mail (2)" for a repeat)."""
    headers: list[str] = []
    seen: set[str] = set()
    for n, cell in enumerate(cells, 1):
        name = " ".join(storable(_cell_text(cell)).replace(REPLACEMENT, "?").split())[:200] or _("Column %(number)d") % {"number": n}
        unique, copy = name, 2
        while unique.casefold() in seen:
            unique = f"{name} ({copy})"
            copy += 1
        seen.add(unique.casefold())
        headers.append(unique)
    while headers and headers[-1].startswith(_("Column %(number)d") % {"number": len(headers)}):
        headers.pop()  # trailing empty header cells (a stray delimiter at the end of the line)
    return headers


# --- Rows -----------------------------------------------------------------------------

def read_rows(stream: IO[bytes], info: FileInfo) -> Iterator[SourceRow]:
    """Yield the data rows of a file described by `info` (the header row is not yielded)."""
    if info.file_format == FileFormat.XLSX:
        yield from _xlsx_rows(stream, info)
    elif info.file_format == FileFormat.VCARD:
        yield from _vcard_rows(stream, info)
    else:
        yield from _csv_rows(stream, info)


def _csv_records(text: io.TextIOWrapper, delimiter: str) -> Iterator[tuple[int, list[str], str]]:
    """Yield (record number, cells, error) for each CSV record, numbering as a spreadsheet does."""
    reader = csv.reader(text, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    number = 0
    while True:
        line_before = reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            number += 1
            yield number, [], str(error)
            if reader.line_num == line_before:
                return  # the parser makes no progress: nothing more can be read
            continue
        number += 1
        yield number, cells, ""


def _wrong_width(cells: list[str], width: int) -> Problem | None:
    found = len(cells)
    while found > width and not cells[found - 1].strip():
        found -= 1  # trailing empty cells are harmless
    if found == width:
        return None
    return Problem("", "", _("This row has %(found)d cells but the header has %(expected)d.") % {"found": found, "expected": width})


def _bad_bytes(values: dict[str, str], encoding: str) -> list[Problem]:
    label = ENCODING_LABELS.get(encoding, encoding)
    return [
        Problem(column, value[:200], _("Some bytes are not valid %(encoding)s; save the file as UTF-8.") % {"encoding": label})
        for column, value in values.items() if REPLACEMENT in value
    ]


def _csv_rows(stream: IO[bytes], info: FileInfo) -> Iterator[SourceRow]:
    text = _text(stream, info.encoding)
    width = len(info.headers)
    header_seen = False
    try:
        for number, cells, error in _csv_records(text, info.delimiter or ","):
            if error:
                if header_seen:
                    yield SourceRow(number, {}, [Problem("", "", _("This row cannot be read as CSV: %(error)s") % {"error": error})])
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if not header_seen:
                header_seen = True
                continue
            values = dict(zip(info.headers, (c for c in cells), strict=False))
            problems = _bad_bytes(values, info.encoding)
            wrong = _wrong_width(cells, width)
            if wrong:
                problems.insert(0, wrong)
            yield SourceRow(number, values, problems)
    finally:
        _release(text)


def _vcard_rows(stream: IO[bytes], info: FileInfo) -> Iterator[SourceRow]:
    text = _text(stream, info.encoding)
    try:
        for card in vcard.read_cards(text):
            values = vcard.card_row(card)
            problems = [Problem(c, v, m) for c, v, m in card.problems]
            problems += _bad_bytes({k: v for k, v in values.items() if v}, info.encoding)
            yield SourceRow(card.number, values, problems)
    finally:
        _release(text)


# --- XLSX -----------------------------------------------------------------------------

def _open_workbook(stream: IO[bytes]) -> Any:
    import zipfile

    from openpyxl import load_workbook

    stream.seek(0)
    try:
        return load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as error:
        raise UnreadableFile(_("This file cannot be read as an Excel workbook (.xlsx).")) from error
    except Exception as error:  # openpyxl raises its own types for broken parts
        raise UnreadableFile(_("This file cannot be read as an Excel workbook (.xlsx).")) from error


def _cell_text(value: Any) -> str:
    """Return a cell as text the way a person reads it (a phone typed as a number keeps its digits)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _xlsx_iter(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    workbook = _open_workbook(stream)
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, [_cell_text(c) for c in cells]
    except UnreadableFile:
        raise
    except Exception as error:
        raise UnreadableFile(_("The workbook is damaged; it could be read up to a point only.")) from error
    finally:
        workbook.close()


def _inspect_xlsx(stream: IO[bytes]) -> FileInfo:
    workbook = _open_workbook(stream)
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        estimate = int(sheet.max_row or 0) if sheet is not None else 0
    finally:
        workbook.close()
    info = FileInfo(file_format=FileFormat.XLSX, rows_estimate=estimate)
    for _number, cells in _xlsx_iter(stream):
        if any(c.strip() for c in cells):
            info.headers = clean_headers(cells)
            break
    if not info.headers:
        raise UnreadableFile(_("The first sheet has no header row."))
    return info


def _xlsx_rows(stream: IO[bytes], info: FileInfo) -> Iterator[SourceRow]:
    width = len(info.headers)
    header_seen = False
    for number, cells in _xlsx_iter(stream):
        if not any(c.strip() for c in cells):
            continue
        if not header_seen:
            header_seen = True
            continue
        # A sheet's rows are as wide as its widest row: only extra cells with content are wrong.
        problems = []
        if any(c.strip() for c in cells[width:]):
            problems.append(_wrong_width(cells, width))
        values = dict(zip(info.headers, cells[:width] + [""] * (width - len(cells)), strict=False))
        yield SourceRow(number, values, [p for p in problems if p])
