"""The one search box: any part of a name, e-mail, company or phone, however typed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kliyan.contacts.queries import ContactFilters, filter_contacts, search_contacts
from kliyan.contacts.search import phone_query_key
from kliyan.contacts.services import company_create, contact_archive, contact_create
from kliyan.core.models import Organisation

pytestmark = pytest.mark.django_db


def _set_country(code: str) -> None:
    from django.core.cache import cache

    Organisation.objects.update_or_create(pk=1, defaults={"country": code})
    cache.clear()


def _names(query: str, **kwargs) -> list[str]:
    return sorted(c.display_name for c in search_contacts(query, **kwargs))


@pytest.fixture
def people(agent):
    """Five people from the five countries of the demo data, read with Haiti as home."""
    _set_country("HT")
    shop = company_create(actor=agent, data={"name": "Magazen Kreyòl"})
    made = {}
    for first, last, email, phone, company in [
        ("Marie", "Joseph", "marie.joseph@example.ht", "+509 3712 3456", shop),
        ("Ștefan", "Popescu", "stefan.popescu@example.ro", "+40 721 234 567", None),
        ("Céline", "Dubois", "celine@example.fr", "+33 6 12 34 56 78", None),
        ("Arbër", "Hoxha", "arber.hoxha@example.al", "+355 67 212 3456", None),
        ("Chikondi", "Banda", "chikondi@example.mw", "+265 999 123 456", None),
    ]:
        made[first] = contact_create(actor=agent, data={
            "first_name": first, "last_name": last, "emails": [{"email": email}],
            "phones": [{"number": phone}], "company": company.pk if company else None,
        })
    return made


@pytest.mark.parametrize("query, expected", [
    ("stefan", ["Ștefan Popescu"]),
    ("Ștefan", ["Ștefan Popescu"]),
    ("STEF", ["Ștefan Popescu"]),
    ("celine", ["Céline Dubois"]),
    ("Celine dub", ["Céline Dubois"]),
    ("arber", ["Arbër Hoxha"]),
    ("hoxha arb", ["Arbër Hoxha"]),
    ("popescu@example", ["Ștefan Popescu"]),
    ("stefan.popescu@example.ro", ["Ștefan Popescu"]),
    ("example.fr", ["Céline Dubois"]),
    ("kreyol", ["Marie Joseph"]),
    ("magazen", ["Marie Joseph"]),
    ("nobody", []),
])
def test_search_finds_any_part_of_name_email_or_company_without_accents(people, query, expected):
    assert _names(query) == expected


@pytest.mark.parametrize("query", [
    "+509 3712 3456", "3712-3456", "0050937123456", "37123456", "(509) 3712.3456", "+50937123456", "3712 34", "+509 3712",
])
def test_search_finds_a_haitian_phone_typed_in_any_format(people, query):
    assert _names(query) == ["Marie Joseph"]


@pytest.mark.parametrize("query", ["0999 123 456", "0999123456", "+265 999 123 456", "00265999123456", "0999 12"])
def test_search_reads_malawi_national_numbers_with_the_organisation_country(people, query):
    _set_country("MW")
    assert _names(query) == ["Chikondi Banda"]


def test_a_short_malawi_landline_is_found_by_its_national_form(agent):
    _set_country("MW")
    contact_create(actor=agent, data={"first_name": "Tiyamike", "phones": [{"number": "01 234 567"}]})
    # The last 8 digits as typed are "01234567"; the stored number's key is "51234567".
    assert phone_query_key("01 234 567") == "51234567"
    for query in ["01 234 567", "+265 1 234 567", "00265 1234 567", "1 234 567"]:
        assert _names(query) == ["Tiyamike"], query


def test_foreign_numbers_are_found_in_international_form_whatever_the_home_country(people):
    _set_country("MW")
    assert _names("+40 721 234 567") == ["Ștefan Popescu"]
    assert _names("0040721234567") == ["Ștefan Popescu"]
    assert _names("+33 6 12 34 56 78") == ["Céline Dubois"]


def test_national_format_of_another_country_still_matches_on_the_last_8_digits(people):
    # Home is Haiti, so "0721 234 567" is not a valid national number here; the caller key still meets.
    assert _names("0721 234 567") == ["Ștefan Popescu"]


def test_archived_contacts_are_left_out_unless_asked_for(agent, people):
    contact_archive(actor=agent, contact=people["Céline"])
    assert _names("celine") == []
    assert _names("celine", include_archived=True) == ["Céline Dubois"]


def test_empty_or_punctuation_only_queries_find_nothing(people):
    assert search_contacts("") == []
    assert search_contacts("  -- ") == []


def test_search_returns_at_most_limit_newest_first(agent):
    made = [contact_create(actor=agent, data={"first_name": "Jean", "last_name": f"Pierre {n}"}) for n in range(5)]
    found = search_contacts("jean", limit=3)
    assert [c.pk for c in found] == [c.pk for c in reversed(made)][:3]


@pytest.mark.parametrize("cap", [2, 5, 6, 100])
def test_newest_first_holds_whether_or_not_the_matches_fill_the_postgresql_cap(agent, monkeypatch, cap):
    # Below the cap the matches are sorted in Python, at or above it the database walks
    # newest first: the answer must be the same either way.
    monkeypatch.setattr("kliyan.contacts.search.POSTGRES_MATCH_CAP", cap)
    made = [contact_create(actor=agent, data={"first_name": "Jean", "last_name": f"Pierre {n}"}) for n in range(5)]
    contact_archive(actor=agent, contact=made[-1])
    found = search_contacts("jean pierre", limit=3)
    assert [c.pk for c in found] == [c.pk for c in reversed(made[:-1])][:3]
    listed = filter_contacts(ContactFilters(q="jean pierre")).order_by("display_name")
    assert [c.pk for c in listed] == [c.pk for c in made[:-1]]


def test_the_contact_list_filter_uses_the_same_search(people):
    assert [c.display_name for c in filter_contacts(ContactFilters(q="3712-3456"))] == ["Marie Joseph"]
    assert [c.display_name for c in filter_contacts(ContactFilters(q="arber"))] == ["Arbër Hoxha"]


def test_search_text_changes_follow_the_contact(agent, people):
    from kliyan.contacts.services import contact_update

    contact_update(actor=agent, contact=people["Marie"], data={"last_name": "Étienne", "phones": [{"number": "+509 4455 6677"}]})
    assert _names("etienne") == ["Marie Étienne"]
    assert _names("4455 6677") == ["Marie Étienne"]
    assert _names("joseph") == ["Marie Étienne"]  # still in her e-mail
    assert _names("3712 3456") == []


# --- Property: any formatting of a stored number finds it ------------------------------

NUMBERS = {
    "HT": "+50937123456",
    "MW": "+265999123456",
    "AL": "+355672123456",
    "RO": "+40721234567",
    "FR": "+33612345678",
}
SEPARATORS = st.sampled_from(["", " ", "-", ".", "/", "  "])


def _formats(e164: str) -> dict[str, str]:
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    fmt = phonenumbers.PhoneNumberFormat
    return {
        "e164": e164,
        "international": phonenumbers.format_number(number, fmt.INTERNATIONAL),
        "national": phonenumbers.format_number(number, fmt.NATIONAL),
        "double_zero": "00" + e164[1:],
        "national_digits": str(number.national_number),
    }


@st.composite
def typed_numbers(draw):
    """Return (country, text): a stored number written as a person might type it."""
    country = draw(st.sampled_from(sorted(NUMBERS)))
    style, text = draw(st.sampled_from(sorted(_formats(NUMBERS[country]).items())))
    plus = text.startswith("+")
    body = [ch for ch in text if ch.isdigit()]
    typed = "".join(ch + draw(SEPARATORS) for ch in body).strip(" -./")
    if draw(st.booleans()) and not plus:
        typed = f" {typed} "
    return country, ("+" if plus else "") + typed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=typed_numbers())
def test_any_formatting_of_a_stored_number_finds_it(agent, typed):
    from kliyan.contacts.models import Contact

    if not Contact.objects.exists():
        _set_country("HT")
        for country, e164 in NUMBERS.items():
            contact_create(actor=agent, data={"first_name": f"Person {country}", "phones": [{"number": e164}]})
    country, text = typed
    _set_country(country)  # national forms are read with the home country, as at a desk there
    assert f"Person {country}" in _names(text), text
