"""Phone numbers of imported rows: the E.164 form `kliyan.core.phones.parse_phone` gives, read faster.

`parse_phone` costs about 100 µs a number (phonenumbers' general parser, its validity check,
the national formatting and the region), and a million-row file holds a million numbers.
Most numbers in a file are in one of two plain shapes: international digits ("+509 3712 3456",
"00509 3712 3456") or national digits without a trunk prefix ("3712 3456" in Haiti). For those
the country code and the national number can be read directly (country codes are prefix-free),
and only the validity check needs phonenumbers' metadata. Anything else (a trunk prefix such as
Malawi's 0, the region's own international prefix, a country code written without "+",
an extension, letters, leading zeros) goes through `parse_phone` unchanged, so the result is
always the one `parse_phone` gives; kliyan/imports/tests/test_phones.py compares the two.

Repeated numbers (a company's switchboard on many rows) are answered from a small cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, PhoneNumber

from kliyan.core.phones import CALLER_KEY_DIGITS, InvalidPhone, parse_phone

_SEPARATORS = re.compile(r"[\s().\-/]")  # what kliyan.core.phones strips before looking for "00"
_PLAIN = re.compile(r"\+?[0-9]+")
MIN_DIGITS = 6  # as kliyan.core.phones.parse_phone
CACHE_SIZE = 50_000


@dataclass(frozen=True)
class ReadPhone:
    e164: str
    caller_key: str
    # The national significant number as digits: the second word the search index keeps for a number.
    national: str


class PhoneReader:
    """Read the numbers of one import (one organisation country); None for a number that is not valid."""

    def __init__(self, region: str | None) -> None:
        self.region = region or None
        metadata = PhoneMetadata.metadata_for_region(region) if region else None
        self.country_code = metadata.country_code if metadata is not None else None
        self.national_prefix = self._pattern(metadata.national_prefix_for_parsing if metadata is not None else None)
        self.international_prefix = self._pattern(metadata.international_prefix if metadata is not None else None)
        self._cache: dict[str, ReadPhone | None] = {}

    @staticmethod
    def _pattern(text: str | None) -> re.Pattern[str] | None:
        return re.compile(text) if text else None

    def read(self, raw: str) -> ReadPhone | None:
        compact = _SEPARATORS.sub("", raw.strip())
        if compact.startswith("00"):
            compact = "+" + compact[2:]
        cached = self._cache.get(compact, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        found = self._fast(compact) if _PLAIN.fullmatch(compact) else _SLOW
        if found is _SLOW:
            found = self._slow(raw)
        self._cache[compact] = found  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    def _fast(self, compact: str) -> ReadPhone | None | object:
        """Return the number, None if invalid, or _SLOW when only the general parser can tell."""
        if compact[0] == "+":
            digits = compact[1:]
            if len(digits) < MIN_DIGITS:
                return None
            if digits[0] == "0":
                return _SLOW
            for length in (1, 2, 3):
                if int(digits[:length]) in COUNTRY_CODE_TO_REGION_CODE:
                    country_code, national = int(digits[:length]), digits[length:]
                    break
            else:
                return _SLOW
            if not _has_metadata(country_code):
                return _SLOW
            prefix = _national_prefix(country_code)
            if prefix is not None and prefix.match(national):
                return _SLOW
        else:
            if len(compact) < MIN_DIGITS:
                return None
            if self.country_code is None or compact.startswith(str(self.country_code)):
                return _SLOW
            if self.international_prefix is not None and self.international_prefix.match(compact):
                return _SLOW
            if self.national_prefix is not None and self.national_prefix.match(compact):
                return _SLOW
            country_code, national = self.country_code, compact
        if not national or national[0] == "0" or len(national) > 17:
            return _SLOW
        if not _is_valid(country_code, national):
            return None
        e164 = f"+{country_code}{national}"
        return ReadPhone(e164=e164, caller_key=e164[1:][-CALLER_KEY_DIGITS:], national=national)

    def _slow(self, raw: str) -> ReadPhone | None:
        try:
            phone = parse_phone(raw, self.region)
        except InvalidPhone:
            return None
        national = str(phonenumbers.parse(phone.e164, None).national_number)
        return ReadPhone(e164=phone.e164, caller_key=phone.caller_key, national=national)


_SLOW = object()


def _is_valid(country_code: int, national: str) -> bool:
    """Return what phonenumbers' is_possible_number and is_valid_number answer for the number."""
    checks = _checks(country_code)
    if checks is None:
        number = PhoneNumber(country_code=country_code, national_number=int(national))
        return phonenumbers.is_possible_number(number) and phonenumbers.is_valid_number(number)
    patterns = checks.get(len(national))
    return patterns is not None and bool(patterns[0].fullmatch(national)) and bool(patterns[1].fullmatch(national))


@lru_cache(maxsize=None)
def _checks(country_code: int) -> dict[int, tuple[re.Pattern[str], re.Pattern[str]]] | None:
    """Return, per length of national number, the patterns a valid number of the country matches.

    phonenumbers' is_valid_number asks whether the number fits the country's general pattern,
    then tries each kind of number (premium, toll-free, …, fixed line, mobile) one by one, each
    with its own lengths: about 10 µs. Here the kinds that allow a length are joined into one
    pattern, so a number costs two matches. Only for a country code of one region; a shared
    one (+1, +7, +44…) needs phonenumbers to tell the region first (None: ask it).
    """
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    if len(regions) != 1:
        return None
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, regions[0])
    general = metadata.general_desc if metadata is not None else None
    if general is None or not general.national_number_pattern or not general.possible_length or general.possible_length[0] == -1:
        return None
    kinds = [metadata.premium_rate, metadata.toll_free, metadata.shared_cost, metadata.voip, metadata.personal_number,
             metadata.pager, metadata.uan, metadata.voicemail, metadata.fixed_line, metadata.mobile]
    checks = {}
    for length in general.possible_length:
        patterns = [
            kind.national_number_pattern for kind in kinds
            if kind is not None and kind.national_number_pattern and (not kind.possible_length or length in kind.possible_length)
        ]
        if patterns:
            checks[length] = (re.compile(general.national_number_pattern), re.compile("|".join(f"(?:{p})" for p in patterns)))
    return checks


@lru_cache(maxsize=None)
def _has_metadata(country_code: int) -> bool:
    return PhoneMetadata.metadata_for_region_or_calling_code(country_code, COUNTRY_CODE_TO_REGION_CODE[country_code][0]) is not None


@lru_cache(maxsize=None)
def _national_prefix(country_code: int) -> re.Pattern[str] | None:
    """Return the trunk prefix pattern of the country's main region (what the general parser would strip)."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, COUNTRY_CODE_TO_REGION_CODE[country_code][0])
    text = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(text) if text else None
