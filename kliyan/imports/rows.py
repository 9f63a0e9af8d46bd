"""Turn one source row into the values to store, or the problems that keep it out.

Pure Python: no query per row (custom-field definitions and the region are read once per
run), so validation costs the same on a file of ten rows and of a million. A row with
any problem is not imported at all, never half: every problem names its column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from kliyan.contacts import validation
from kliyan.contacts.choices import PhoneKind
from kliyan.contacts.models import CustomFieldDefinition
from kliyan.contacts.search import company_search_text, contact_search_text
from kliyan.contacts.similarity import name_key
from kliyan.core.choices import Country, Language
from kliyan.core.errors import FieldErrors
from kliyan.core.text import fold
from kliyan.imports.choices import ImportTarget, MatchReason
from kliyan.imports.export_formats import restore
from kliyan.imports.mapping import CUSTOM_PREFIX
from kliyan.imports.phones import PhoneReader
from kliyan.imports.readers import REPLACEMENT, Problem, SourceRow

# The longest value each text field takes (the columns' own limits).
LIMITS = {
    "first_name": 100, "last_name": 100, "job_title": 100, "company": 200, "name": 200, "industry": 100,
    "notes": 20000, "street": 200, "city": 100, "region": 100, "postal_code": 20, "website": 200, "full_name": 200,
}
SINGLE_LINE = {"first_name", "last_name", "full_name", "job_title", "company", "name", "industry", "email", "phone",
               "phone_work", "phone_home", "phone_other", "city", "region", "postal_code", "country", "birthday",
               "language", "website"}
PHONE_KINDS = {"phone": PhoneKind.MOBILE, "phone_work": PhoneKind.WORK, "phone_home": PhoneKind.HOME, "phone_other": PhoneKind.OTHER}
ADDRESS_FIELDS = ("street", "city", "region", "postal_code", "country")
_MULTI_EMAIL = re.compile(r"[;,\s]+")
_MULTI_PHONE = re.compile(r"[;,/|\n]+")
_DATE_PARTS = re.compile(r"^(\d{1,4})[./\-](\d{1,2})[./\-](\d{1,4})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Addresses of this plain shape are valid for Django's validate_email too (its rules are wider);
# checking the shape first spares its slower, general patterns for nearly every row.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_%+\-]+(?:\.[a-z0-9_%+\-]+)*@[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)*"
    r"\.[a-z]{2,63}"
)
# Regions that write dates month first (03/14/1985); everyone else writes day first.
MONTH_FIRST_REGIONS = {"US", "PH", "FM", "MH", "PW"}


@dataclass(frozen=True)
class PhoneValue:
    e164: str
    caller_key: str
    kind: str
    # The national number's digits: a word of the search index (kliyan.contacts.search).
    national: str = ""


@dataclass
class Record:
    """A valid row: only what the row holds (an empty cell is absent, so it never erases)."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    company: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[PhoneValue] = field(default_factory=list)
    address: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    # Filled by `RowCleaner.clean` for a valid row, so the process writing the batch need not:
    # the search words, and (for a person at a company) the folded name compared with its people.
    search_text: str = ""
    name_key: str = ""
    # (key, reason) of each exact way the record can match an existing one (kliyan.imports.matching).
    keys: list[tuple[str, str]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _name_tables() -> tuple[dict[str, str], dict[str, str]]:
    """Return folded language and country names (in the six languages, and codes) → code."""
    from babel import Locale

    languages = {fold(code): code for code in Language.values}
    countries = {fold(code): code for code in Country.values}
    for code, label in Language.choices:
        languages[fold(label)] = code
    languages.update({"kreyol": "ht", "creole": "ht", "creole haitien": "ht", "haitian creole": "ht", "nyanja": "ny",
                      "chinyanja": "ny", "albanian": "sq", "albanais": "sq", "romanian": "ro", "roumain": "ro",
                      "romana": "ro", "french": "fr", "anglais": "en", "angle": "en", "franse": "fr"})
    for locale_code in ("en", "fr", "ht", "ny", "sq", "ro"):
        try:
            locale = Locale.parse(locale_code)
        except Exception:  # noqa: BLE001 - a locale Babel lacks only means fewer names
            continue
        for code in Language.values:
            name = locale.languages.get(code)
            if name:
                languages.setdefault(fold(name), code)
        for code in Country.values:
            name = locale.territories.get(code)
            if name:
                countries.setdefault(fold(name), code)
    return languages, countries


def display_name(values: Mapping[str, Any]) -> str:
    """Return the name a contact is shown by, as the contact services build it."""
    return " ".join(p for p in (values.get("first_name", ""), values.get("last_name", "")) if p).strip()


def exact_keys(record: Record, target: str) -> list[tuple[str, str]]:
    """Return (key, reason) for each exact way the record can match: its e-mails, phones (and a company's name)."""
    keys = [(f"e:{e}", MatchReason.EMAIL) for e in record.emails] + [(f"p:{p.e164}", MatchReason.PHONE) for p in record.phones]
    if target == ImportTarget.COMPANIES and record.values.get("name"):
        keys.append((f"n:{record.values['name'].lower()}", MatchReason.SAME_NAME))
    return keys


def national_number(e164: str) -> str:
    return str(phonenumbers.parse(e164, None).national_number)


def search_text(record: Record, target: str) -> str:
    """Return what kliyan.contacts.search indexes for a record as its row gives it.

    The same text as contact_search_text(…, phones=[e164…]): the phone words (international
    digits, national number) are added here from the numbers as already read, instead of
    phonenumbers parsing each number once more.
    """
    values = record.values
    if target == ImportTarget.COMPANIES:
        text = company_search_text(name=values.get("name", ""), emails=record.emails, phones=[])
    else:
        text = contact_search_text(name=display_name(values), company=record.company, emails=record.emails, phones=[])
    words = [w for p in record.phones for w in (p.e164[1:], p.national or national_number(p.e164))]
    return " ".join([text, *words]) if text else " ".join(words)


def parse_date(text: str, region: str) -> dt.date | None:
    """Read ISO (1985-03-14), vCard (19850314) and spreadsheet dates (14/03/1985, 14.03.1985).

    Day and month are read in the order of the organisation's country when both could be
    either; a part above 12 settles it.
    """
    text = text.strip()
    if "T" in text:
        text = text.split("T", 1)[0]
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE_PARTS.match(text)
    if not match:
        return None
    a, b, c = (int(p) for p in match.groups())
    if len(match.group(1)) == 4:
        year, month, day = a, b, c
    elif len(match.group(3)) == 4:
        year = c
        month_first = region in MONTH_FIRST_REGIONS
        if a > 12:
            month_first = False
        elif b > 12:
            month_first = True
        month, day = (a, b) if month_first else (b, a)
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


class RowCleaner:
    """Clean the rows of one import (mapping, region and custom fields fixed for the run)."""

    def __init__(
        self, *, target: str, mapping: Mapping[str, str], region: str, headers: Sequence[str] | None = None,
        definitions: Sequence[CustomFieldDefinition] | None = None,
    ) -> None:
        """`definitions`: the active custom fields, when the caller has read them (a process without the database)."""
        self.target = target
        self.region = region
        self.phone_reader = PhoneReader(region)
        self.columns: dict[str, list[str]] = {}
        # In the file's column order (a mapping read back from a JSON column may have lost it).
        for header in headers if headers is not None else list(mapping):
            key = mapping.get(header, "")
            if key:
                self.columns.setdefault(key, []).append(header)
        custom_target = "company" if target == ImportTarget.COMPANIES else "contact"
        keys = [k[len(CUSTOM_PREFIX):] for k in self.columns if k.startswith(CUSTOM_PREFIX)]
        if definitions is None:
            definitions = CustomFieldDefinition.objects.active().filter(target=custom_target, key__in=keys) if keys else []
        self.definitions = {d.key: d for d in definitions if d.target == custom_target and d.key in keys}

    def clean(self, row: SourceRow) -> tuple[Record | None, list[Problem]]:
        """Return the row's record, or None and every problem found in it."""
        problems = list(row.problems)
        record = Record(number=row.number)
        for key, headers in self.columns.items():
            for header in headers:
                raw = row.values.get(header, "")
                value = restore(raw.strip()) if isinstance(raw, str) else str(raw or "")
                if not value:
                    continue
                problem = self._check_text(key, value)
                if problem:
                    problems.append(Problem(header, value[:200], problem))
                    continue
                message = self._apply(record, key, value)
                if message:
                    problems.append(Problem(header, value[:200], message))
        self._finish(record, problems)
        if problems:
            return None, problems
        record.search_text = search_text(record, self.target)
        record.keys = exact_keys(record, self.target)
        if record.company:
            record.name_key = name_key(record.values.get("first_name", ""), record.values.get("last_name", ""))
        return record, problems

    def _check_text(self, key: str, value: str) -> str:
        if REPLACEMENT in value:
            return ""  # already reported by the reader
        if "\x00" in value or _CONTROL.search(value):
            return _("Contains a control character that cannot be stored.")
        if key in SINGLE_LINE and ("\n" in value or "\r" in value):
            return _("Line breaks are not allowed in this field.")
        limit = LIMITS.get(key)
        if limit and len(value) > limit:
            return _("At most %(limit)d characters (this has %(length)d).") % {"limit": limit, "length": len(value)}
        return ""

    def _apply(self, record: Record, key: str, value: str) -> str:  # noqa: PLR0911 - one branch per kind of field
        if key == "email":
            return self._emails(record, value)
        if key in PHONE_KINDS:
            return self._phones(record, value, PHONE_KINDS[key])
        if key in ADDRESS_FIELDS:
            if key == "country":
                code = _name_tables()[1].get(fold(value))
                if code is None:
                    return _("Unknown country; use a two-letter code such as HT, MW, AL, RO or FR.")
                value = code
            record.address[key] = value
            return ""
        if key == "birthday":
            return self._birthday(record, value)
        if key == "language":
            code = _name_tables()[0].get(fold(value))
            if code is None:
                return _("Unknown language; use en, fr, ht, ny, sq or ro.")
            record.values["language"] = code
            return ""
        if key == "tags":
            errors = FieldErrors()
            names = validation.clean_names(re.split(r"[,;]", value), errors, "tags", 60)
            if errors:
                return _("A tag has at most %(limit)d characters.") % {"limit": 60}
            record.tags.extend(n for n in names if n.casefold() not in {t.casefold() for t in record.tags})
            return ""
        if key == "website":
            try:
                URLValidator()(value if "://" in value else f"https://{value}")
            except DjangoValidationError:
                return _("Not a valid web address.")
            record.values["website"] = value if "://" in value else f"https://{value}"
            return ""
        if key == "company":
            record.company = value
            return ""
        if key.startswith(CUSTOM_PREFIX):
            return self._custom(record, key[len(CUSTOM_PREFIX):], value)
        if key == "notes" and record.values.get("notes"):
            value = f"{record.values['notes']}\n{value}"
        record.values[key] = value
        return ""

    def _emails(self, record: Record, value: str) -> str:
        for part in (p for p in _MULTI_EMAIL.split(value) if p):
            email = part.lower()
            if len(email) > 254 or not _PLAIN_EMAIL.fullmatch(email):
                try:
                    validate_email(email)
                except DjangoValidationError:
                    return _("“%(value)s” is not a valid e-mail address.") % {"value": part[:100]}
            if email not in record.emails:
                record.emails.append(email)
        return ""

    def _phones(self, record: Record, value: str, kind: str) -> str:
        for part in (p.strip() for p in _MULTI_PHONE.split(value) if p.strip()):
            phone = self.phone_reader.read(part)
            if phone is None:
                return _("“%(value)s” is not a valid phone number (read as from %(country)s when it has no country code).") % {
                    "value": part[:60], "country": self.region,
                }
            if all(p.e164 != phone.e164 for p in record.phones):
                record.phones.append(PhoneValue(phone.e164, phone.caller_key, kind, phone.national))
        return ""

    def _birthday(self, record: Record, value: str) -> str:
        if value.startswith("--"):
            return _("A birthday needs a year.")
        date = parse_date(value, self.region)
        if date is None:
            return _("Not a date; write it as YYYY-MM-DD or DD/MM/YYYY.")
        if date > dt.date.today():
            return _("A birthday cannot be in the future.")
        if date.year < 1900:
            return _("A birthday cannot be before 1900.")
        record.values["birthday"] = date
        return ""

    def _custom(self, record: Record, key: str, value: str) -> str:
        definition: CustomFieldDefinition | None = self.definitions.get(key)
        if definition is None:
            return _("There is no custom field “%(key)s”.") % {"key": key}
        errors = FieldErrors()
        cleaned = validation.clean_custom_value(definition, value, errors, key)
        if errors:
            return "; ".join(m for messages in errors.errors.values() for m in messages)
        record.custom_fields[key] = cleaned
        return ""

    def _finish(self, record: Record, problems: list[Problem]) -> None:
        values = record.values
        full = values.pop("full_name", "")
        if self.target == ImportTarget.COMPANIES:
            if not values.get("name") and not any(p.column in self.columns.get("name", []) for p in problems):
                problems.append(Problem("", "", _("The company name is empty.")))
            return
        if full and not values.get("first_name") and not values.get("last_name"):
            first, _sep, last = full.rpartition(" ")
            values["first_name"], values["last_name"] = (first, last) if first else (last, "")
            for name in ("first_name", "last_name"):
                if len(values[name]) > LIMITS[name]:
                    column = self.columns["full_name"][0]
                    problems.append(Problem(column, full[:200], _("At most %(limit)d characters (this has %(length)d).") % {
                        "limit": LIMITS[name], "length": len(values[name]),
                    }))
                    break
        if not values.get("first_name") and not values.get("last_name"):
            named = {h for k in ("first_name", "last_name", "full_name") for h in self.columns.get(k, [])}
            if not any(p.column in named for p in problems):
                problems.append(Problem("", "", _("Give at least a first or a last name.")))
