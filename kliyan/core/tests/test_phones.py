"""Phone parsing: any common way of typing a number gives the same E.164 and caller key."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kliyan.core.phones import InvalidPhone, caller_key, lookup_keys, parse_phone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["+509 3712 3456", "3712-3456", "0050937123456", "(509) 3712-3456", "+509.37.12.34.56"])
def test_haitian_number_typed_many_ways_is_one_e164(typed: str) -> None:
    assert lookup_keys(typed, "HT") == ("+50937123456", "37123456")


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("0991 23 45 67", "MW", "+265991234567"),
        ("069 212 3456", "AL", "+355692123456"),
        ("0721 234 567", "RO", "+40721234567"),
        ("06 12 34 56 78", "FR", "+33612345678"),
    ],
)
def test_national_formats_use_the_default_country(typed: str, region: str, e164: str) -> None:
    assert parse_phone(typed, region).e164 == e164


@pytest.mark.parametrize("typed", ["", "12", "abc", "+1 555", "0000000000000000000000"])
def test_impossible_numbers_are_refused(typed: str) -> None:
    with pytest.raises(InvalidPhone):
        parse_phone(typed, "HT")


REGIONS = ["HT", "MW", "AL", "RO", "FR", "US"]


@settings(max_examples=200, deadline=None)
@given(region=st.sampled_from(REGIONS), data=st.data())
def test_any_example_number_round_trips_through_its_printed_forms(region: str, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]))
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        return
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    printed = [
        phonenumbers.format_number(example, fmt)
        for fmt in (phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.E164)
    ] + ["00" + e164[1:]]
    for form in printed:
        assert parse_phone(form, region).e164 == e164
        assert lookup_keys(form, region) == (e164, caller_key(e164))
