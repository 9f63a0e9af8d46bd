"""Currencies and conversion with the exchange-rate table.

A rate says what one unit of a currency is worth in the organisation's currency from
`valid_from` on; the rate for a day is the one with the latest `valid_from` on or before
that day. The organisation's own currency needs no rate (it is worth 1). An amount whose
currency has no rate for the day is never silently dropped: conversions return it apart,
as "unconverted", for the page or the API to show.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from babel.numbers import list_currencies
from django.db.models import Case, DateTimeField, DecimalField, ExpressionWrapper, OuterRef, Subquery, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import TruncDate
from django.utils import timezone

from kliyan.commerce.models import ExchangeRate
from kliyan.core.organisation import get_organisation

ZERO = Decimal("0")
ONE = Decimal("1")
# Amounts are stored with four decimal places (models.MONEY); conversions round to the same.
CENT = Decimal("0.0001")
# Room for an amount (18 digits) times a rate (20 digits, 8 decimals) in SQL arithmetic.
WIDE = DecimalField(max_digits=38, decimal_places=12)


@lru_cache(maxsize=1)
def _iso_codes() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    """Return whether `code` is an ISO 4217 currency code ("HTG", "EUR"), in capitals."""
    return code in _iso_codes()


def organisation_currency() -> str:
    return get_organisation().currency


def organisation_timezone() -> dt.tzinfo:
    """Return the organisation's time zone: it decides on which day an order was placed."""
    try:
        return zoneinfo.ZoneInfo(get_organisation().timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def organisation_today() -> dt.date:
    return timezone.now().astimezone(organisation_timezone()).date()


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


def rates_on(currencies: Iterable[str], day: dt.date) -> dict[str, Decimal]:
    """Return {currency: rate valid on `day`} in one query; currencies without a rate are left out.

    The organisation's currency is always there, at 1.
    """
    home = organisation_currency()
    wanted = {c for c in currencies if c != home}
    rates = {home: ONE}
    if not wanted:
        return rates
    latest_day = (
        ExchangeRate.objects.filter(currency=OuterRef("currency"), valid_from__lte=day)
        .order_by("-valid_from").values("valid_from")[:1]
    )
    rows = ExchangeRate.objects.filter(currency__in=wanted, valid_from=Subquery(latest_day)).values_list("currency", "rate")
    rates.update(rows)
    return rates


def rate_on_order_day(currency_field: str = "currency", at_field: str = "ordered_at") -> Expression:
    """Return an SQL expression: the rate of the row's currency on the day of `at_field`.

    NULL when the currency has no rate for that day; 1 for the organisation's currency.
    The day is taken in the organisation's time zone (an order at 23:30 in Port-au-Prince
    is that day's, not the next day's in UTC).
    """
    # The wrapper gives the outer column a type, which TruncDate needs to build its SQL.
    day = TruncDate(ExpressionWrapper(OuterRef(at_field), output_field=DateTimeField()), tzinfo=organisation_timezone())
    rate = (
        ExchangeRate.objects.filter(currency=OuterRef(currency_field), valid_from__lte=day)
        .order_by("-valid_from").values("rate")[:1]
    )
    return Case(
        When(**{currency_field: organisation_currency()}, then=Value(ONE)),
        default=Subquery(rate),
        output_field=WIDE,
    )


@dataclass
class Conversion:
    """A sum in one currency plus, per currency, what could not be converted into it."""

    currency: str
    amount: Decimal = ZERO
    unconverted: dict[str, Decimal] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.unconverted


def convert_sum(amounts: Mapping[str, Decimal], *, to: str, rates: Mapping[str, Decimal]) -> Conversion:
    """Add up {currency: amount} in currency `to`, with rates into the organisation's currency.

    From X to Y: amount × rate(X) ÷ rate(Y). When `to` itself has no rate, nothing in
    another currency can be converted, and all of it is reported unconverted.
    """
    result = Conversion(currency=to)
    total = ZERO
    for currency, amount in amounts.items():
        if amount == ZERO:
            continue
        if currency == to:
            total += amount
        elif currency in rates and to in rates:
            total += amount * rates[currency] / rates[to]
        else:
            result.unconverted[currency] = result.unconverted.get(currency, ZERO) + amount
    result.amount = quantize(total)
    return result
