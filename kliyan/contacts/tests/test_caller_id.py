"""Caller ID: a raw number, as the phone system sends it, gives the contacts to pop."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kliyan.contacts.queries import caller_id
from kliyan.contacts.services import company_create, contact_archive, contact_create
from kliyan.core.models import Organisation

pytestmark = pytest.mark.django_db


def _set_country(code: str) -> None:
    from django.core.cache import cache

    Organisation.objects.update_or_create(pk=1, defaults={"country": code})
    cache.clear()


@pytest.fixture
def haitian(agent):
    _set_country("HT")
    return contact_create(actor=agent, data={"first_name": "Marie", "last_name": "Joseph", "phones": [{"number": "+509 3712 3456"}]})


@pytest.fixture
def french_same_tail(agent, haitian):
    # +33 6 37 12 34 56 ends in the same 8 digits as +509 3712 3456.
    return contact_create(
        actor=agent, data={"first_name": "Luc", "last_name": "Martin", "phones": [{"number": "+33 6 37 12 34 56"}]},
        allow_duplicate=True,
    )


@pytest.mark.parametrize("raw", ["+50937123456", "+509 3712 3456", "0050937123456", "3712-3456", "37123456", "tel:+509-3712-3456"])
def test_caller_id_finds_the_contact_whatever_the_format(haitian, raw):
    match = caller_id(raw)
    assert match.contacts == [haitian]
    assert match.e164 == "+50937123456"
    assert match.archived_contacts == []


def test_exact_e164_matches_come_before_last_8_digit_matches(haitian, french_same_tail):
    assert caller_id("+509 3712 3456").contacts == [haitian, french_same_tail]
    assert caller_id("+33 6 37 12 34 56").contacts == [french_same_tail, haitian]


def test_a_national_number_of_the_home_country_matches_its_e164_form(agent):
    _set_country("MW")
    landline = contact_create(actor=agent, data={"first_name": "Tiyamike", "phones": [{"number": "+265 1 234 567"}]})
    mobile = contact_create(actor=agent, data={"first_name": "Chikondi", "phones": [{"number": "+265 999 123 456"}]})
    assert caller_id("01 234 567").contacts == [landline]
    assert caller_id("01 234 567").e164 == "+2651234567"
    assert caller_id("0999 123 456").contacts == [mobile]


def test_companies_with_the_number_are_returned_too(agent, haitian):
    shop = company_create(actor=agent, data={"name": "Magazen", "phones": [{"number": "+509 3712 3456"}]})
    match = caller_id("3712 3456")
    assert match.contacts == [haitian]
    assert match.companies == [shop]


def test_archived_contacts_are_not_the_caller_but_are_reported_apart(agent, haitian, french_same_tail):
    contact_archive(actor=agent, contact=haitian)
    match = caller_id("+509 3712 3456")
    assert match.contacts == [french_same_tail]
    assert match.archived_contacts == [haitian]


@pytest.mark.parametrize("raw", ["", "12", "anonymous", "+509", "1234"])
def test_unknown_short_or_hidden_numbers_match_nobody(haitian, raw):
    match = caller_id(raw)
    assert match.contacts == [] and match.companies == [] and match.archived_contacts == []


def test_a_number_nobody_has_matches_nobody(haitian):
    assert caller_id("+509 4455 6677").contacts == []


def test_limit_caps_the_contacts_returned(agent, haitian):
    for n in range(4):
        contact_create(actor=agent, data={"first_name": f"Twin {n}", "phones": [{"number": "+509 3712 3456"}]}, allow_duplicate=True)
    assert caller_id("+50937123456", limit=3).contacts[0] == haitian
    assert len(caller_id("+50937123456", limit=3).contacts) == 3


def test_caller_id_runs_in_one_query(haitian, django_assert_num_queries):
    caller_id("+50937123456")  # warm the organisation cache, as in a running server
    with django_assert_num_queries(1):
        match = caller_id("+50937123456")
    assert match.contacts == [haitian]
    assert match.contacts[0].company is None



def test_contacts_their_companies_and_companies_with_the_number_come_in_one_query(
    agent, haitian, django_assert_num_queries,
):
    firm = company_create(actor=agent, data={"name": "Boulangerie Soleil", "phones": [{"number": "+509 3712 3456"}]})
    closed = company_create(actor=agent, data={"name": "Old Shop", "phones": [{"number": "+509 3712 3456"}]})
    closed.archived_at = closed.created_at
    closed.save(update_fields=["archived_at"])
    worker = contact_create(
        actor=agent, data={"first_name": "Jean", "company_id": firm.pk, "phones": [{"number": "+509 3712 3456"}]},
        allow_duplicate=True,
    )
    caller_id("+50937123456")
    with django_assert_num_queries(1):
        match = caller_id("+50937123456")
        names = [(c.pk, c.company.name if c.company_id else None) for c in match.contacts]
    assert names == [(haitian.pk, None), (worker.pk, "Boulangerie Soleil")]
    assert match.companies == [firm]

NUMBERS = {"HT": "+50937123456", "MW": "+265999123456", "AL": "+355672123456", "RO": "+40721234567", "FR": "+33612345678"}


@st.composite
def typed_numbers(draw):
    import phonenumbers

    country = draw(st.sampled_from(sorted(NUMBERS)))
    number = phonenumbers.parse(NUMBERS[country], None)
    fmt = phonenumbers.PhoneNumberFormat
    text = draw(st.sampled_from([
        NUMBERS[country], "00" + NUMBERS[country][1:], str(number.national_number),
        phonenumbers.format_number(number, fmt.INTERNATIONAL), phonenumbers.format_number(number, fmt.NATIONAL),
    ]))
    plus = text.startswith("+")
    body = "".join(ch + draw(st.sampled_from(["", " ", "-", ".", "/"])) for ch in text if ch.isdigit())
    return country, ("+" if plus else "") + body.strip(" -./")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=typed_numbers())
def test_any_formatting_of_a_stored_number_identifies_the_caller(agent, typed):
    from kliyan.contacts.models import Contact

    if not Contact.objects.exists():
        _set_country("HT")
        for country, e164 in NUMBERS.items():
            contact_create(actor=agent, data={"first_name": f"Person {country}", "phones": [{"number": e164}]})
    country, text = typed
    _set_country(country)
    assert [c.first_name for c in caller_id(text).contacts] == [f"Person {country}"], text
