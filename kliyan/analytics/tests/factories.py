"""Purchase data for the analytics tests, written with the ORM (no commerce service needed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone

from kliyan.commerce.choices import OrderStatus
from kliyan.commerce.models import Order, OrderLine, Product
from kliyan.contacts.models import Contact

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def make_contact(name: str) -> Contact:
    return Contact.objects.create(first_name=name, display_name=name)


def make_product(name: str, *, active: bool = True, price: str = "10.00") -> Product:
    return Product.objects.create(sku=name.upper().replace(" ", "-"), name=name, price=Decimal(price), currency="EUR", active=active)


def make_order(
    contact: Contact | None,
    products: Iterable[Product],
    *,
    status: str = OrderStatus.PLACED,
    at: dt.datetime | None = None,
) -> Order:
    """Write an order with one line per product (quantity 1)."""
    order = Order.objects.create(
        number=f"N-{Order.objects.count() + 1}", contact=contact, status=status, currency="EUR",
        ordered_at=at or timezone.now(),
    )
    OrderLine.objects.bulk_create([
        OrderLine(order=order, position=n, product=p, sku=p.sku, quantity=Decimal(1), unit_price=p.price, line_total=p.price)
        for n, p in enumerate(products)
    ])
    return order
