"""The commerce sections of the call screen pop: orders, lifetime value, balance, credit.

Each section's data is plain JSON (amounts and dates as strings). The lifetime,
balance and credit sections share one summary per contact (see _summary), so a pop
costs the summary's handful of queries once, not once per section; the reads are
compiled once (prepared.py), about 1 ms in all with 1,000,000 orders on SQLite.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse

from kliyan.commerce.choices import OrderStatus, SalesChannel
from kliyan.commerce.queries import CommerceSummary, Customer, contact_commerce_summary, recent_order_rows
from kliyan.core.registry import PopSection, register_pop_section

POP_ORDERS = 5
_CACHE_ATTRIBUTE = "_kliyan_commerce_summary"


def _summary(contact: Any) -> CommerceSummary:
    """Return the contact's summary, computed once per contact object (the pop builds every section from one)."""
    summary = contact.__dict__.get(_CACHE_ATTRIBUTE)
    if summary is None:
        # The orders section reads its own lighter rows (recent_order_rows).
        summary = contact_commerce_summary(contact, orders=0)
        contact.__dict__[_CACHE_ATTRIBUTE] = summary
    return summary


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def orders_section(contact: Any) -> dict[str, Any]:
    channels, statuses = dict(SalesChannel.choices), dict(OrderStatus.choices)
    return {
        "items": [
            {
                "id": order.id, "number": order.number, "ordered_at": order.ordered_at.isoformat(),
                "channel": order.sales_channel, "channel_label": str(channels.get(order.sales_channel, order.sales_channel)),
                "total": str(order.total), "currency": order.currency,
                "status": order.status, "status_label": str(statuses.get(order.status, order.status)),
                "items": [
                    {"sku": line.sku, "label": line.label, "quantity": f"{line.quantity.normalize():f}"}
                    for line in order.lines
                ],
                "url": reverse("commerce:order_detail", args=[order.id]),
            }
            for order in recent_order_rows(Customer.of_contact(contact.pk), limit=POP_ORDERS)
        ],
    }


def lifetime_section(contact: Any) -> dict[str, Any]:
    life = _summary(contact).lifetime
    return {
        "currency": life.currency, "value": str(life.spend), "order_count": life.order_count,
        "first_purchase_at": _iso(life.first_purchase_at), "last_purchase_at": _iso(life.last_purchase_at),
        "unconverted": {c: str(a) for c, a in life.unconverted.items()},
    }


def balance_section(contact: Any) -> dict[str, Any]:
    balance = _summary(contact).balance
    return {
        "currency": balance.currency, "due": str(balance.due), "overdue": str(balance.overdue),
        "open_invoices": balance.open_invoices, "overdue_invoices": balance.overdue_invoices,
        "unconverted": {c: str(a) for c, a in balance.unconverted.items()},
    }


def credit_section(contact: Any) -> dict[str, Any] | None:
    """Return the credit terms that apply (the contact's, else their company's), or None without any."""
    credit = _summary(contact).credit
    if credit is None:
        return None
    return {
        "holder": credit.holder, "holder_id": credit.holder_id, "currency": credit.currency,
        "limit": str(credit.limit), "available": _money(credit.available), "open_balance": _money(credit.open_balance),
        "payment_terms_days": credit.payment_terms_days, "on_hold": credit.on_hold,
    }


def register() -> None:
    register_pop_section(PopSection(name="orders", build=orders_section, template="commerce/pop/_orders.html", order=30))
    register_pop_section(PopSection(name="lifetime", build=lifetime_section, template="commerce/pop/_lifetime.html", order=31))
    register_pop_section(PopSection(name="balance", build=balance_section, template="commerce/pop/_balance.html", order=32))
    register_pop_section(PopSection(name="credit", build=credit_section, template="commerce/pop/_credit.html", order=33))
