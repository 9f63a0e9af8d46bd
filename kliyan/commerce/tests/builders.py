"""Rows for the read-side tests, written with the ORM directly (not through the ingest services).

Each builder takes only what a test cares about and fills the rest with plain values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone

from kliyan.commerce.models import (
    CreditTerms,
    ExchangeRate,
    Invoice,
    Order,
    OrderLine,
    Payment,
    Product,
    ProductCategory,
    StockLevel,
)

_numbers = count(1)


def at(day: str, hour: int = 12) -> dt.datetime:
    """Return noon (or `hour`) UTC on an ISO day."""
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def make_category(name: str, parent: ProductCategory | None = None) -> ProductCategory:
    return ProductCategory.objects.create(name=name, parent=parent)


def make_product(name: str = "Coffee", *, sku: str = "", price: str = "100", currency: str = "HTG",
                 cost: str | None = None, category: ProductCategory | None = None, active: bool = True,
                 stock: dict[str, str] | None = None) -> Product:
    product = Product.objects.create(
        sku=sku or f"SKU-{next(_numbers):05d}", name=name, price=Decimal(price), currency=currency,
        cost=Decimal(cost) if cost is not None else None, category=category, active=active,
    )
    total = Decimal("0")
    for location, quantity in (stock or {}).items():
        StockLevel.objects.create(product=product, location=location, quantity=Decimal(quantity))
        total += Decimal(quantity)
    if stock:
        Product.objects.filter(pk=product.pk).update(stock_on_hand=total)
        product.stock_on_hand = total
    return product


def make_order(*, contact: Any = None, company: Any = None, total: str = "100", currency: str = "HTG",
               status: str = "placed", ordered_at: dt.datetime | None = None, channel: str = "shop",
               lines: list[tuple[str, str, str]] | None = None, number: str = "") -> Order:
    """Write an order; `lines` are (label, quantity, unit price) and default to one line worth `total`."""
    order = Order.objects.create(
        number=number or f"SO-{next(_numbers):05d}", contact=contact, company=company, total=Decimal(total),
        subtotal=Decimal(total), currency=currency, status=status, sales_channel=channel,
        ordered_at=ordered_at or timezone.now(),
    )
    for position, (label, quantity, unit_price) in enumerate(lines or [("Item", "1", total)]):
        OrderLine.objects.create(
            order=order, position=position, description=label, sku=f"L{position}", quantity=Decimal(quantity),
            unit_price=Decimal(unit_price), line_total=Decimal(quantity) * Decimal(unit_price),
        )
    return order


def make_invoice(*, contact: Any = None, company: Any = None, total: str = "100", paid: str = "0",
                 currency: str = "HTG", status: str = "open", due_on: dt.date | None = None,
                 issued_on: dt.date | None = None, order: Order | None = None) -> Invoice:
    today = timezone.localdate()
    return Invoice.objects.create(
        number=f"INV-{next(_numbers):05d}", contact=contact, company=company, order=order,
        issued_on=issued_on or today, due_on=due_on or today + dt.timedelta(days=30), currency=currency,
        total=Decimal(total), amount_paid=Decimal(paid), status=status,
    )


def make_payment(*, contact: Any = None, company: Any = None, amount: str = "10", currency: str = "HTG",
                 invoice: Invoice | None = None, received_at: dt.datetime | None = None) -> Payment:
    return Payment.objects.create(
        contact=contact, company=company, invoice=invoice, amount=Decimal(amount), currency=currency,
        received_at=received_at or timezone.now(), method="cash",
    )


def make_rate(currency: str, valid_from: str, rate: str) -> ExchangeRate:
    return ExchangeRate.objects.create(currency=currency, valid_from=dt.date.fromisoformat(valid_from), rate=Decimal(rate))


def make_terms(*, contact: Any = None, company: Any = None, limit: str = "1000", currency: str = "HTG",
               days: int = 30, on_hold: bool = False) -> CreditTerms:
    return CreditTerms.objects.create(
        contact=contact, company=company, credit_limit=Decimal(limit), currency=currency,
        payment_terms_days=days, on_hold=on_hold,
    )
