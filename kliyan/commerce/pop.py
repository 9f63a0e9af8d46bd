"""The commerce sections of the call screen pop: orders, lifetime value, balance, credit.

Each section's data is plain JSON (amounts and dates as strings). The four sections
share one summary per contact (see _summary), read in one statement (two when several
currencies need today's rates; the pop sends it with the other apps' reads) and compiled
once per connection (core.prepared).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kliyan.commerce.choices import OrderStatus, SalesChannel
from kliyan.commerce.queries import CommerceSummary, contact_pop_read, contact_pop_summary
from kliyan.core.links import id_url
from kliyan.core.prepared import PreparedRead, once_per
from kliyan.core.registry import PopSection, register_pop_read, register_pop_section

READ = "commerce_pop"
POP_ORDERS = 5
CHANNEL_LABELS = dict(SalesChannel.choices)
STATUS_LABELS = dict(OrderStatus.choices)


def _read(contact: Any) -> PreparedRead:
    return contact_pop_read(contact, orders=POP_ORDERS)


def _summary(contact: Any) -> CommerceSummary:
    """Return the contact's summary, computed once per contact object (the pop builds every section from one)."""
    return once_per(contact, "commerce_pop_summary", lambda: contact_pop_summary(
        contact, orders=POP_ORDERS, rows=once_per(contact, READ, lambda: _read(contact).run()),
    ))


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def orders_section(contact: Any) -> dict[str, Any]:
    return {
        "items": [
            {
                "id": order.id, "number": order.number, "ordered_at": order.ordered_at.isoformat(),
                "channel": order.sales_channel, "channel_label": str(CHANNEL_LABELS.get(order.sales_channel, order.sales_channel)),
                "total": str(order.total), "currency": order.currency,
                "status": order.status, "status_label": str(STATUS_LABELS.get(order.status, order.status)),
                "items": [
                    {"sku": line.sku, "label": line.label, "quantity": f"{line.quantity.normalize():f}"}
                    for line in order.lines
                ],
                "url": id_url("commerce:order_detail", order.id),
            }
            for order in _summary(contact).order_rows
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
    register_pop_read(READ, _read)
    for order, (name, build) in enumerate(
        (("orders", orders_section), ("lifetime", lifetime_section), ("balance", balance_section), ("credit", credit_section)),
        start=30,
    ):
        register_pop_section(PopSection(name=name, build=build, template=f"commerce/pop/_{name}.html", order=order, read=READ))
