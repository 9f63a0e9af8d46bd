"""Check and normalise contact and company input: one place for pages, API, CLI and imports.

Every function returns cleaned values or adds "field: problem" to a FieldErrors; nothing
here writes to the database.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from kliyan.contacts.choices import AddressKind, CustomFieldTarget, CustomFieldType, EmailKind, PhoneKind
from kliyan.contacts.models import CustomFieldDefinition
from kliyan.core.errors import FieldErrors
from kliyan.core.phones import InvalidPhone, parse_phone


@dataclass(frozen=True)
class CleanEmail:
    email: str
    kind: str
    is_primary: bool


@dataclass(frozen=True)
class CleanPhone:
    e164: str
    caller_key: str
    kind: str
    is_primary: bool


def _as_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    if isinstance(item, str):
        return {"value": item}
    if hasattr(item, "model_dump"):
        return item.model_dump()
    return dict(vars(item))


def _primary_flags(items: list[dict[str, Any]]) -> list[bool]:
    """Exactly one primary: the first marked one, else the first item."""
    flags = [bool(i.get("is_primary")) for i in items]
    first = flags.index(True) if True in flags else 0
    return [n == first for n in range(len(items))]


def clean_emails(raw: Sequence[Any], errors: FieldErrors, field: str = "emails") -> list[CleanEmail]:
    items = [_as_dict(i) for i in raw or []]
    items = [i for i in items if str(i.get("email", i.get("value", "")) or "").strip()]
    cleaned: list[CleanEmail] = []
    seen: set[str] = set()
    for n, (item, primary) in enumerate(zip(items, _primary_flags(items))):
        email = str(item.get("email", item.get("value", ""))).strip().lower()
        kind = item.get("kind") or EmailKind.PERSONAL
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.add(f"{field}.{n}.email", _("“%(value)s” is not a valid e-mail address.") % {"value": email})
            continue
        if kind not in EmailKind.values:
            errors.add(f"{field}.{n}.kind", _("Unknown type “%(value)s”.") % {"value": kind})
            continue
        if email in seen:
            continue
        seen.add(email)
        cleaned.append(CleanEmail(email=email, kind=kind, is_primary=primary))
    return cleaned


def clean_phones(raw: Sequence[Any], errors: FieldErrors, field: str = "phones") -> list[CleanPhone]:
    items = [_as_dict(i) for i in raw or []]
    items = [i for i in items if str(i.get("number", i.get("value", "")) or "").strip()]
    cleaned: list[CleanPhone] = []
    seen: set[str] = set()
    for n, (item, primary) in enumerate(zip(items, _primary_flags(items))):
        number = str(item.get("number", item.get("value", ""))).strip()
        kind = item.get("kind") or PhoneKind.MOBILE
        try:
            phone = parse_phone(number)
        except InvalidPhone:
            errors.add(f"{field}.{n}.number", _("“%(value)s” is not a valid phone number.") % {"value": number})
            continue
        if kind not in PhoneKind.values:
            errors.add(f"{field}.{n}.kind", _("Unknown type “%(value)s”.") % {"value": kind})
            continue
        if phone.e164 in seen:
            continue
        seen.add(phone.e164)
        cleaned.append(CleanPhone(e164=phone.e164, caller_key=phone.caller_key, kind=kind, is_primary=primary))
    return cleaned


ADDRESS_FIELDS = ("street", "street2", "city", "region", "postal_code", "country")


def clean_addresses(raw: Sequence[Any], errors: FieldErrors, field: str = "addresses") -> list[dict[str, Any]]:
    from kliyan.core.choices import Country

    items = [_as_dict(i) for i in raw or []]
    items = [i for i in items if any(str(i.get(f) or "").strip() for f in ADDRESS_FIELDS)]
    cleaned = []
    for n, (item, primary) in enumerate(zip(items, _primary_flags(items))):
        values = {f: str(item.get(f) or "").strip() for f in ADDRESS_FIELDS}
        values["country"] = values["country"].upper()
        kind = item.get("kind") or AddressKind.HOME
        ok = True
        if values["country"] and values["country"] not in Country.values:
            errors.add(f"{field}.{n}.country", _("Unknown country code “%(value)s”.") % {"value": values["country"]})
            ok = False
        if kind not in AddressKind.values:
            errors.add(f"{field}.{n}.kind", _("Unknown type “%(value)s”.") % {"value": kind})
            ok = False
        for name, limit in (("street", 200), ("street2", 200), ("city", 100), ("region", 100), ("postal_code", 20)):
            if len(values[name]) > limit:
                errors.add(f"{field}.{n}.{name}", _("At most %(limit)d characters.") % {"limit": limit})
                ok = False
        if ok:
            cleaned.append({**values, "kind": kind, "is_primary": primary})
    return cleaned


def clean_date(value: Any, errors: FieldErrors, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        parsed = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(field, _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": value})
        return None
    return parsed


def clean_birthday(value: Any, errors: FieldErrors, field: str = "birthday") -> dt.date | None:
    birthday = clean_date(value, errors, field)
    if birthday is not None:
        if birthday > dt.date.today():
            errors.add(field, _("A birthday cannot be in the future."))
            return None
        if birthday.year < 1900:
            errors.add(field, _("A birthday cannot be before 1900."))
            return None
    return birthday


def clean_url(value: Any, errors: FieldErrors, field: str) -> str:
    text = str(value or "").strip()
    if text and "://" not in text:
        text = "https://" + text
    if text:
        try:
            URLValidator()(text)
        except DjangoValidationError:
            errors.add(field, _("“%(value)s” is not a valid web address.") % {"value": value})
            return ""
    return text


def clean_names(values: Sequence[Any] | None, errors: FieldErrors, field: str, limit: int) -> list[str]:
    """Clean a list of tag or interest names: trimmed, unique (case-insensitively)."""
    names: list[str] = []
    seen: set[str] = set()
    for n, value in enumerate(values or []):
        name = str(value).strip()
        if not name:
            continue
        if len(name) > limit:
            errors.add(f"{field}.{n}", _("At most %(limit)d characters.") % {"limit": limit})
            continue
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def custom_field_definitions(target: str) -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.active().filter(target=target))


def clean_custom_value(definition: CustomFieldDefinition, value: Any, errors: FieldErrors, field: str) -> Any:
    """Return the value converted to its JSON form, or add an error."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if definition.required:
            errors.add(field, _("This field is required."))
        return None
    kind = definition.field_type
    if kind == CustomFieldType.TEXT:
        text = str(value).strip()
        if len(text) > 1000:
            errors.add(field, _("At most %(limit)d characters.") % {"limit": 1000})
            return None
        return text
    if kind == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            errors.add(field, _("“%(value)s” is not a number.") % {"value": value})
            return None
        try:
            number = decimal.Decimal(str(value).strip().replace(",", "."))
        except decimal.InvalidOperation:
            errors.add(field, _("“%(value)s” is not a number.") % {"value": value})
            return None
        if not number.is_finite():
            errors.add(field, _("“%(value)s” is not a number.") % {"value": value})
            return None
        return int(number) if number == number.to_integral_value() and abs(number) < 2**53 else float(number)
    if kind == CustomFieldType.DATE:
        parsed = clean_date(value, errors, field)
        return parsed.isoformat() if parsed else None
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on", "y"}:
            return True
        if text in {"0", "false", "no", "off", "n"}:
            return False
        errors.add(field, _("Answer yes or no."))
        return None
    if kind == CustomFieldType.CHOICE:
        text = str(value).strip()
        if text not in (definition.choices or []):
            errors.add(
                field,
                _("“%(value)s” is not one of the choices: %(choices)s.")
                % {"value": text, "choices": ", ".join(map(str, definition.choices or []))},
            )
            return None
        return text
    return value


def clean_custom_fields(
    target: str, values: Mapping[str, Any] | None, errors: FieldErrors, *, existing: Mapping[str, Any] | None = None,
    partial: bool = False, field: str = "custom_fields",
) -> dict[str, Any]:
    """Validate custom-field values against the definitions; unknown keys are errors."""
    values = dict(values or {})
    definitions = {d.key: d for d in custom_field_definitions(target)}
    for key in values:
        if key not in definitions:
            errors.add(f"{field}.{key}", _("There is no custom field “%(key)s”.") % {"key": key})
    result = dict(existing or {}) if partial else {}
    for key, definition in definitions.items():
        if key in values:
            cleaned = clean_custom_value(definition, values[key], errors, f"{field}.{key}")
            if cleaned is None:
                result.pop(key, None)
            else:
                result[key] = cleaned
        elif not partial and definition.required and key not in result:
            errors.add(f"{field}.{key}", _("This field is required."))
    return result


def check_choice(value: Any, allowed: Sequence[str], errors: FieldErrors, field: str) -> str:
    text = str(value or "").strip()
    if text and text not in allowed:
        errors.add(field, _("“%(value)s” is not a valid choice.") % {"value": text})
        return ""
    return text


def check_length(value: Any, limit: int, errors: FieldErrors, field: str) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        errors.add(field, _("At most %(limit)d characters.") % {"limit": limit})
    return text[:limit]


def custom_field_target_values() -> list[str]:
    return list(CustomFieldTarget.values)
