"""Phone numbers: one canonical form (E.164) and a caller-ID key (the last 8 digits)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from kliyan.core.organisation import default_region

CALLER_KEY_DIGITS = 8
_NON_DIGITS = re.compile(r"\D+")


class InvalidPhone(ValueError):
    """The text cannot be read as a phone number."""


@dataclass(frozen=True)
class Phone:
    e164: str
    caller_key: str
    national: str
    region: str | None


def digits(value: str) -> str:
    """Return only the digits of `value`."""
    return _NON_DIGITS.sub("", value or "")


def caller_key(value: str) -> str:
    """Return the last 8 digits: the key that matches a number however it was typed."""
    return digits(value)[-CALLER_KEY_DIGITS:]


def _prepare(raw: str) -> str:
    text = (raw or "").strip()
    # "00" is the international prefix in most of the world (Haiti, Malawi, Europe).
    compact = re.sub(r"[\s().\-/]", "", text)
    if compact.startswith("00"):
        text = "+" + compact[2:]
    return text


def parse_phone(raw: str, region: str | None = None) -> Phone:
    """Parse a phone typed in any common format into E.164, or raise InvalidPhone."""
    text = _prepare(raw)
    if len(digits(text)) < 6:
        raise InvalidPhone(raw)
    try:
        number = phonenumbers.parse(text, region or default_region())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(raw) from exc
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(
        e164=e164,
        caller_key=caller_key(e164),
        national=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        region=phonenumbers.region_code_for_number(number),
    )


def format_international(e164: str) -> str:
    """Return `e164` in readable international form ("+509 37 12 3456")."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def lookup_keys(raw: str, region: str | None = None) -> tuple[str | None, str]:
    """Return (E.164 if the text parses, caller key) for matching a typed or caller number."""
    try:
        phone = parse_phone(raw, region)
    except InvalidPhone:
        return None, caller_key(_prepare(raw))
    return phone.e164, phone.caller_key
