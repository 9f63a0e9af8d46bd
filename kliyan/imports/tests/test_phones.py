"""The import's phone reader gives what kliyan.core.phones.parse_phone gives, for any number, only faster."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from kliyan.contacts.search import contact_search_text
from kliyan.core.phones import InvalidPhone, parse_phone
from kliyan.imports.phones import PhoneReader

REGIONS = ["HT", "MW", "AL", "RO", "FR", "US", "GB", "IT", "DE", "BR", "IN", "AR", "MX", "JP", "AU", "KE", "NG", "CI", "SN", "CM"]


def typed_numbers(rng: random.Random, count: int) -> list[str]:
    """Return numbers of many countries as people type them: valid, nearly valid, in every usual shape."""
    numbers = []
    kinds = [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
    while len(numbers) < count:
        example = phonenumbers.example_number_for_type(rng.choice(REGIONS), rng.choice(kinds))
        if example is None:
            continue
        national = "".join(c if rng.random() < 0.6 else str(rng.randrange(10)) for c in str(example.national_number))
        if rng.random() < 0.1:
            national = national[:-1]
        code = example.country_code
        zero = "0" * (example.number_of_leading_zeros or 1) if example.italian_leading_zero else ""
        numbers.append(rng.choice([
            f"+{code}{zero}{national}", f"00{code} {zero}{national}", f"+{code} ({zero}{national[:3]}) {national[3:]}",
            f"{zero}{national}", f"0{national}", f"{code}{zero}{national}", f"011{code}{national}", f"{national[:3]}-{national[3:]}",
            f"+{code}0{national}", f"{national} ext 12", f"+{code}{national}x", "12", "+", f"++{code}{national}",
        ]))
    return numbers


@pytest.mark.django_db
@pytest.mark.parametrize("region", ["HT", "MW", "RO", "FR", "US", "IT", "GB"])
def test_the_reader_agrees_with_parse_phone_on_thousands_of_numbers(region):
    reader = PhoneReader(region)

    for raw in typed_numbers(random.Random(region), 1500):
        try:
            phone = parse_phone(raw, region)
        except InvalidPhone:
            expected = None
        else:
            expected = (phone.e164, phone.caller_key, str(phonenumbers.parse(phone.e164, None).national_number))
        found = reader.read(raw)
        assert (None if found is None else (found.e164, found.caller_key, found.national)) == expected, raw


def test_a_repeated_number_is_read_once():
    reader = PhoneReader("HT")

    first = reader.read("+509 3712 3456")

    assert reader.read("+509-3712-3456") is first
    assert reader.read("12") is None


def test_the_search_words_of_a_number_are_those_contact_search_text_writes():
    reader = PhoneReader("MW")
    phone = reader.read("0999 123 456")

    assert f"{phone.e164[1:]} {phone.national}" == contact_search_text(name="", company="", emails=[], phones=[phone.e164])
