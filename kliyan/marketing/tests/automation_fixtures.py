"""Fixtures of the automation tests: a fixed clock, purchases and tickets written with the ORM, an automation maker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kliyan.commerce.models import Order, OrderLine, Product, ProductCategory
from kliyan.contacts.models import Contact
from kliyan.marketing.automation_services import automation_create
from kliyan.marketing.models import Automation, MessageTemplate

# Sunday 10 May 2026, noon UTC: 08:00 in Haiti (UTC−4), already Monday 11 May in New Zealand (UTC+12).
NOW = dt.datetime(2026, 5, 10, 12, 0, tzinfo=dt.UTC)


def order(contact: Contact, at: dt.datetime, *, products: tuple[Product, ...] = (), status: str = "paid") -> Order:
    placed = Order.objects.create(number=f"A-{Order.objects.count() + 1}", contact=contact, ordered_at=at,
                                  status=status, currency="HTG", total=Decimal("100"))
    OrderLine.objects.bulk_create([
        OrderLine(order=placed, position=n, product=p, sku=p.sku, quantity=Decimal(1), unit_price=p.price,
                  line_total=p.price)
        for n, p in enumerate(products)
    ])
    return placed


def product(name: str, category: ProductCategory | None) -> Product:
    return Product.objects.create(sku=name.upper(), name=name, price=Decimal("10"), currency="HTG", category=category)


@pytest.fixture
def make_automation(manager: Any, email_template: Callable[..., MessageTemplate]) -> Callable[..., Automation]:
    """Write an e-mail automation through the service (so every test automation passed its checks)."""

    def make(trigger: str, **data: Any) -> Automation:
        template = data.pop("template", None) or email_template(f"T-{trigger}-{Automation.objects.count()}",
                                                                body="Hello {{ first_name }}!")
        return automation_create(actor=manager, data={
            "name": f"Auto {trigger}", "trigger": trigger, "channel": "email", "template_id": template.pk, **data,
        })

    return make
