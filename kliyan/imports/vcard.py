"""A small vCard reader (2.1, 3.0 and 4.0), one card at a time, as phones export them.

Android writes 2.1-style properties (`TEL;CELL:`, `N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:`
with `=` soft line breaks) or 3.0; the iPhone writes 3.0 with `item1.` groups and folded
base64 photos. Each card becomes a flat row with the columns of VCARD_HEADERS, so a
phone book goes through the same mapping, validation and writing as a spreadsheet.
Photos, sounds, keys and X- properties are skipped; one card's lines are all that is
ever held in memory (a property longer than MAX_LINE characters is cut and reported).
"""

from __future__ import annotations

import quopri
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# Column names of a vCard file as the mapping page shows them (stable keys, not translated).
FULL_NAME, FIRST_NAME, LAST_NAME = "Full name", "First name", "Last name"
MOBILE, WORK_PHONE, HOME_PHONE, OTHER_PHONE = "Mobile", "Work phone", "Home phone", "Other phone"
EMAIL, COMPANY, JOB_TITLE, BIRTHDAY = "E-mail", "Company", "Job title", "Birthday"
STREET, CITY, REGION, POSTAL_CODE, COUNTRY = "Street", "City", "Region", "Postal code", "Country"
NOTES, TAGS = "Notes", "Tags"
VCARD_HEADERS = [
    FULL_NAME, FIRST_NAME, LAST_NAME, MOBILE, WORK_PHONE, HOME_PHONE, OTHER_PHONE, EMAIL, COMPANY, JOB_TITLE,
    BIRTHDAY, STREET, CITY, REGION, POSTAL_CODE, COUNTRY, NOTES, TAGS,
]
# Several values of one kind (two mobiles) share a column, separated like this.
MULTI_SEPARATOR = "; "
MAX_LINE = 1_000_000
SKIPPED = frozenset({"PHOTO", "LOGO", "SOUND", "KEY", "VERSION", "PRODID", "REV", "UID", "X-ABLABEL", "X-ABUID"})


@dataclass
class Property:
    name: str
    params: dict[str, list[str]]
    value: str

    def types(self) -> set[str]:
        return {t.lower() for t in self.params.get("TYPE", [])}


@dataclass
class Card:
    number: int
    properties: list[Property] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)


def _split_outside_quotes(text: str, separator: str, maxsplit: int = -1) -> list[str]:
    parts, current, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == separator and not quoted and maxsplit != 0:
            parts.append("".join(current))
            current = []
            maxsplit -= 1
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _is_quoted_printable(line: str) -> bool:
    head = _split_outside_quotes(line, ":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def unfold(lines: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Yield each logical line (folded lines joined, quoted-printable soft breaks undone) and whether it was cut."""
    buffer: str | None = None
    cut = False
    for raw in lines:
        line = raw.rstrip("\r\n")
        if buffer is not None and line[:1] in (" ", "\t"):
            piece = line[1:]
        elif buffer is not None and buffer.endswith("=") and _is_quoted_printable(buffer):
            buffer = buffer[:-1]
            piece = line
        else:
            if buffer is not None:
                yield buffer, cut
            buffer, cut = line, False
            continue
        if len(buffer) + len(piece) > MAX_LINE:
            cut = True
        else:
            buffer += piece
    if buffer is not None:
        yield buffer, cut


def parse_line(line: str) -> Property | None:
    """Read `[group.]NAME;PARAM=VALUE:value`; return None if the line has no name or no colon."""
    parts = _split_outside_quotes(line, ":", 1)
    if len(parts) != 2:
        return None
    head, value = parts
    names = _split_outside_quotes(head, ";")
    name = names[0].rsplit(".", 1)[-1].strip().upper()
    if not name or not all(ch.isalnum() or ch == "-" for ch in name):
        return None
    params: dict[str, list[str]] = {}
    for param in names[1:]:
        key, sep, val = param.partition("=")
        if not sep:
            # vCard 2.1 bare parameters: TEL;CELL;PREF, or QUOTED-PRINTABLE alone.
            upper = key.strip().upper()
            if upper in {"QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT"}:
                params.setdefault("ENCODING", []).append(upper)
            else:
                params.setdefault("TYPE", []).append(key.strip())
            continue
        values = [v.strip().strip('"') for v in _split_outside_quotes(val, ",")]
        for v in values:
            params.setdefault(key.strip().upper(), []).extend(x for x in v.split(",") if x)
    return Property(name=name, params=params, value=_decode(value, params))


def _decode(value: str, params: dict[str, list[str]]) -> str:
    encodings = {e.upper() for e in params.get("ENCODING", [])}
    if "QUOTED-PRINTABLE" not in encodings:
        return value
    charset = (params.get("CHARSET") or ["utf-8"])[0]
    raw = quopri.decodestring(value.encode("utf-8", "replace"))
    try:
        return raw.decode(charset, "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


_ESCAPES = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\"}


def split_structured(value: str, separator: str = ";") -> list[str]:
    """Split a structured value (N, ADR, ORG) on unescaped separators and unescape each part."""
    parts, current, escaped = [], [], False
    for ch in value:
        if escaped:
            current.append(_ESCAPES.get(ch, "\\" + ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def unescape(value: str) -> str:
    return split_structured(value, separator="\0")[0]


def read_cards(lines: Iterable[str]) -> Iterator[Card]:
    """Yield each BEGIN:VCARD … END:VCARD block as a Card, numbered from 1."""
    card: Card | None = None
    number = 0
    for line, cut in unfold(lines):
        if not line.strip():
            continue
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            if card is not None:
                card.problems.append(("", "", _("The card has no END:VCARD line.")))
                yield card
            number += 1
            card = Card(number=number)
            continue
        if upper == "END:VCARD":
            if card is not None:
                yield card
            card = None
            continue
        if card is None:
            continue  # text between cards (a mail header, a signature) is not part of any card
        prop = parse_line(line)
        if prop is None:
            card.problems.append(("", line[:200], _("This line of the card cannot be read.")))
            continue
        if prop.name in SKIPPED or prop.name.startswith("X-"):
            continue
        if cut:
            card.problems.append((prop.name, "", _("This property is too long.")))
            continue
        card.properties.append(prop)
    if card is not None:
        card.problems.append(("", "", _("The card has no END:VCARD line; the file may be cut short.")))
        yield card


def _phone_column(prop: Property) -> str:
    types = prop.types()
    if types & {"cell", "mobile", "iphone"}:
        return MOBILE
    if "work" in types and "fax" not in types:
        return WORK_PHONE
    if "home" in types and "fax" not in types:
        return HOME_PHONE
    return OTHER_PHONE


def _first_address(props: list[Property]) -> list[str]:
    addresses = [p for p in props if p.name == "ADR"]
    if not addresses:
        return []
    preferred = [p for p in addresses if "pref" in p.types() or p.params.get("PREF")]
    chosen = (preferred or addresses)[0]
    parts = split_structured(chosen.value) + [""] * 7
    return parts[:7]


def card_row(card: Card) -> dict[str, str]:
    """Return the card as one row keyed by VCARD_HEADERS (several values joined by MULTI_SEPARATOR)."""
    row = {header: "" for header in VCARD_HEADERS}
    multi: dict[str, list[str]] = {}
    for prop in card.properties:
        if prop.name == "FN":
            row[FULL_NAME] = unescape(prop.value).strip()
        elif prop.name == "N":
            family, given, additional = (split_structured(prop.value) + ["", "", ""])[:3]
            row[LAST_NAME] = family.strip()
            row[FIRST_NAME] = " ".join(p for p in (given.strip(), additional.strip()) if p)
        elif prop.name == "TEL":
            number = unescape(prop.value).strip()
            if number.lower().startswith("tel:"):
                number = number[4:]
            multi.setdefault(_phone_column(prop), []).append(number)
        elif prop.name == "EMAIL":
            multi.setdefault(EMAIL, []).append(unescape(prop.value).strip())
        elif prop.name == "ORG":
            row[COMPANY] = split_structured(prop.value)[0].strip()
        elif prop.name == "TITLE":
            row[JOB_TITLE] = unescape(prop.value).strip()
        elif prop.name == "BDAY":
            row[BIRTHDAY] = unescape(prop.value).strip()
        elif prop.name == "NOTE":
            row[NOTES] = unescape(prop.value).strip()
        elif prop.name == "CATEGORIES":
            multi.setdefault(TAGS, []).extend(t.strip() for t in split_structured(prop.value, ",") if t.strip())
    _pobox, extended, street, city, region, postal_code, country = _first_address(card.properties) or [""] * 7
    row[STREET] = ", ".join(p.strip() for p in (street, extended) if p.strip())
    row[CITY], row[REGION], row[POSTAL_CODE], row[COUNTRY] = city.strip(), region.strip(), postal_code.strip(), country.strip()
    for column, values in multi.items():
        row[column] = (", " if column == TAGS else MULTI_SEPARATOR).join(v for v in values if v)
    return row
