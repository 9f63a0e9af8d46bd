"""Writes for what the credit department and the accountant set by hand: credit terms and exchange rates.

Both are "set" operations (the API's PUT, the pages' forms): sending the same values
again changes nothing and writes no audit entry; every real change is audited with the
values before and after.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kliyan.commerce.models import CreditTerms, ExchangeRate
from kliyan.commerce.money import is_currency, organisation_currency
from kliyan.core.audit import record, snapshot
from kliyan.core.errors import FieldErrors
from kliyan.core.models import AuditAction

TERMS_FIELDS = ("credit_limit", "currency", "payment_terms_days", "on_hold", "note")
MAX_TERMS_DAYS = 3650
# models.MONEY: 18 digits, 4 after the point; ExchangeRate.rate: 20 digits, 8 after it.
MONEY_DIGITS, MONEY_PLACES = 18, 4
RATE_DIGITS, RATE_PLACES = 20, 8


def parse_amount(value: Any, *, digits: int, places: int) -> Decimal | None:
    """Return `value` as a Decimal that fits `digits`/`places`, or None if it is not one."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        # A float has already lost the exact value the client meant; amounts come as strings.
        return None
    text = str(value).strip()
    if not text.isascii():
        # Decimal() reads other scripts' digits ("٣" is 3); an amount from another system is ASCII.
        return None
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite():
        return None
    _sign, numbers, exponent = amount.normalize().as_tuple()
    decimals = max(-int(exponent), 0)
    whole = max(len(numbers) + int(exponent), 0)
    if decimals > places or whole > digits - places:
        return None
    # Stored with `places` decimals: quantising now makes "100" and "100.0000" the same value.
    return amount.quantize(Decimal(1).scaleb(-places))


def _clean_terms(data: dict[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    values: dict[str, Any] = {}
    limit = parse_amount(data.get("credit_limit"), digits=MONEY_DIGITS, places=MONEY_PLACES)
    if data.get("credit_limit") in (None, ""):
        errors.add("credit_limit", _("This field is required."))
    elif limit is None:
        errors.add("credit_limit", _("Enter an amount with at most 4 decimal places, e.g. 2500.00."))
    elif limit < 0:
        errors.add("credit_limit", _("The credit limit cannot be negative."))
    values["credit_limit"] = limit
    currency = str(data.get("currency") or organisation_currency()).strip().upper()
    if not is_currency(currency):
        errors.add("currency", _("Enter a three-letter ISO 4217 currency code, e.g. HTG or EUR."))
    values["currency"] = currency
    days = data.get("payment_terms_days", 0)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_TERMS_DAYS:
        errors.add("payment_terms_days", _("Enter a whole number of days between 0 and %(max)s.") % {"max": MAX_TERMS_DAYS})
    values["payment_terms_days"] = days
    on_hold = data.get("on_hold", False)
    if not isinstance(on_hold, bool):
        errors.add("on_hold", _("Enter true or false."))
    values["on_hold"] = on_hold
    note = data.get("note") or ""
    if not isinstance(note, str):
        errors.add("note", _("Enter text."))
    values["note"] = note.strip() if isinstance(note, str) else ""
    errors.raise_if_any()
    return values


@transaction.atomic
def credit_terms_set(*, actor: Any, contact: Any = None, company: Any = None, data: dict[str, Any]) -> CreditTerms:
    """Set the credit terms of one contact or one company (all fields at once); audited.

    `data`: credit_limit (required), currency (the organisation's if left out),
    payment_terms_days, on_hold, note.
    """
    if (contact is None) == (company is None):
        raise ValueError("Credit terms belong to one contact or one company.")
    values = _clean_terms(data)
    owner = {"contact": contact} if contact is not None else {"company": company}
    terms = CreditTerms.objects.select_for_update().filter(**owner).first()
    before = snapshot(terms, TERMS_FIELDS) if terms is not None else None
    if terms is None:
        terms = CreditTerms(**owner)
    for name, value in values.items():
        setattr(terms, name, value)
    after = snapshot(terms, TERMS_FIELDS)
    if before == after:
        return terms
    terms.source = ""  # set by hand in Kliyan, not by another system
    terms.save()
    record(
        actor=actor, action=AuditAction.CREATE if before is None else AuditAction.UPDATE, instance=terms,
        label=_("Credit terms of %(name)s") % {"name": contact.display_name if contact is not None else company.name},
        contact_id=contact.pk if contact is not None else None, before=before, after=after,
    )
    return terms


def _clean_rate(currency: Any, valid_from: Any, rate: Any) -> tuple[str, dt.date, Decimal]:
    errors = FieldErrors()
    code = str(currency or "").strip().upper()
    if not is_currency(code):
        errors.add("currency", _("Enter a three-letter ISO 4217 currency code, e.g. HTG or EUR."))
    elif code == organisation_currency():
        errors.add("currency", _("This is the organisation's own currency: it needs no rate."))
    day = valid_from
    if isinstance(valid_from, str):
        try:
            day = dt.date.fromisoformat(valid_from)
        except ValueError:
            day = None
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        errors.add("valid_from", _("Enter a date such as 2026-03-14."))
    amount = parse_amount(rate, digits=RATE_DIGITS, places=RATE_PLACES)
    if rate in (None, ""):
        errors.add("rate", _("This field is required."))
    elif amount is None:
        errors.add("rate", _("Enter a number with at most 8 decimal places, e.g. 132.5."))
    elif amount <= 0:
        errors.add("rate", _("The rate must be more than zero."))
    errors.raise_if_any()
    return code, day, amount  # type: ignore[return-value]


def exchange_rate_set(*, actor: Any, currency: Any, valid_from: Any, rate: Any) -> tuple[ExchangeRate, bool]:
    """Set what one unit of `currency` is worth in the organisation's currency from `valid_from` on.

    Return (rate, created). Audited; the same value again changes nothing.
    """
    code, day, amount = _clean_rate(currency, valid_from, rate)
    try:
        return _save_rate(actor, code, day, amount)
    except IntegrityError:
        # Two requests created the same (currency, day) at once: the loser updates the winner's row.
        return _save_rate(actor, code, day, amount)


@transaction.atomic
def _save_rate(actor: Any, code: str, day: dt.date, amount: Decimal) -> tuple[ExchangeRate, bool]:
    existing = ExchangeRate.objects.select_for_update().filter(currency=code, valid_from=day).first()
    if existing is not None and existing.rate == amount:
        return existing, False
    if existing is None:
        with transaction.atomic():
            saved = ExchangeRate.objects.create(currency=code, valid_from=day, rate=amount)
        record(actor=actor, action=AuditAction.CREATE, instance=saved, after=snapshot(saved, ("currency", "valid_from", "rate")))
        return saved, True
    before = snapshot(existing, ("currency", "valid_from", "rate"))
    existing.rate = amount
    existing.save(update_fields=["rate", "updated_at"])
    record(actor=actor, action=AuditAction.UPDATE, instance=existing, before=before,
           after=snapshot(existing, ("currency", "valid_from", "rate")))
    return existing, False
