"""Credit terms and exchange rates services: validation naming each field, audit, idempotent sets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kliyan.commerce.models import CreditTerms, ExchangeRate
from kliyan.commerce.terms import credit_terms_set, exchange_rate_set, parse_amount
from kliyan.contacts.services import company_create, contact_create
from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(agent):
    return contact_create(actor=agent, data={"first_name": "Marie"})


def test_credit_terms_default_to_the_organisations_currency(manager, person) -> None:
    terms = credit_terms_set(actor=manager, contact=person, data={"credit_limit": "500"})
    assert (terms.credit_limit, terms.currency, terms.payment_terms_days, terms.on_hold) == (Decimal("500"), "HTG", 0, False)


def test_changing_terms_audits_before_and_after(manager, person) -> None:
    credit_terms_set(actor=manager, contact=person, data={"credit_limit": "500", "payment_terms_days": 30})
    credit_terms_set(actor=manager, contact=person, data={"credit_limit": "800", "payment_terms_days": 30, "on_hold": True})
    entry = AuditEntry.objects.filter(object_type="commerce.creditterms").latest("id")
    assert entry.action == "update" and entry.actor == manager and entry.contact_id == person.pk
    assert {name for name, _before, _after in entry.changed_fields()} == {"credit_limit", "on_hold"}


def test_company_terms_are_the_companys(manager, agent) -> None:
    firm = company_create(actor=agent, data={"name": "Kafe Lakay"})
    terms = credit_terms_set(actor=manager, company=firm, data={"credit_limit": "1", "currency": "eur"})
    assert (terms.company_id, terms.contact_id, terms.currency) == (firm.pk, None, "EUR")
    assert AuditEntry.objects.get(object_type="commerce.creditterms").contact_id is None


def test_every_bad_field_is_named_at_once_and_nothing_is_written(manager, person) -> None:
    with pytest.raises(ValidationFailed) as caught:
        credit_terms_set(actor=manager, contact=person, data={
            "credit_limit": "-1", "currency": "ZZZ", "payment_terms_days": "30", "on_hold": "yes", "note": 5,
        })
    assert set(caught.value.field_errors) == {"credit_limit", "currency", "payment_terms_days", "on_hold", "note"}
    assert not CreditTerms.objects.exists() and not AuditEntry.objects.filter(object_type="commerce.creditterms").exists()


def test_terms_need_exactly_one_customer(manager, person, agent) -> None:
    firm = company_create(actor=agent, data={"name": "X"})
    with pytest.raises(ValueError):
        credit_terms_set(actor=manager, data={"credit_limit": "1"})
    with pytest.raises(ValueError):
        credit_terms_set(actor=manager, contact=person, company=firm, data={"credit_limit": "1"})


@pytest.mark.parametrize(("value", "expected"), [
    ("12.5", Decimal("12.5000")), (12, Decimal("12.0000")), (" 3 ", Decimal("3.0000")), ("1E+2", Decimal("100.0000")),
    ("12.12345", None), (12.5, None), (True, None), ("NaN", None), ("Infinity", None), ("", None), ("1" * 15, None),
])
def test_parse_amount_keeps_exact_decimals_that_fit(value, expected) -> None:
    assert parse_amount(value, digits=18, places=4) == expected


def test_exchange_rate_set_creates_updates_and_ignores_repeats(manager) -> None:
    rate, created = exchange_rate_set(actor=manager, currency="usd", valid_from="2026-03-01", rate="132.5")
    assert created and (rate.currency, rate.valid_from) == ("USD", dt.date(2026, 3, 1))
    _rate, created = exchange_rate_set(actor=manager, currency="USD", valid_from=dt.date(2026, 3, 1), rate="132.50")
    assert not created
    exchange_rate_set(actor=manager, currency="USD", valid_from="2026-03-01", rate="140")
    assert ExchangeRate.objects.get().rate == Decimal("140")
    assert AuditEntry.objects.filter(object_type="commerce.exchangerate").count() == 2


def test_exchange_rate_errors_name_each_field(manager) -> None:
    with pytest.raises(ValidationFailed) as caught:
        exchange_rate_set(actor=manager, currency="", valid_from="01/03/2026", rate="x")
    assert set(caught.value.field_errors) == {"currency", "valid_from", "rate"}
    assert not ExchangeRate.objects.exists()
