"""Contribute orders to the contact timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from kliyan.commerce.choices import OrderStatus, SalesChannel
from kliyan.commerce.queries import orders_for_timeline
from kliyan.core.registry import TimelineEntry, register_timeline_source
from kliyan.core.templatetags.kliyan import kmoney

CHANNEL_LABELS = dict(SalesChannel.choices)
STATUS_LABELS = dict(OrderStatus.choices)


def _quantity(value: object) -> str:
    return f"{value.normalize():f}" if value is not None else ""  # type: ignore[attr-defined]


def _items(first_label: str | None, first_quantity: object, line_count: int | None) -> str:
    """Return "2 × Coffee" or "2 × Coffee and 3 more items" from the order's first line and line count."""
    if not line_count:
        return ""
    first = f"{_quantity(first_quantity)} × {first_label or ''}".strip()
    more = line_count - 1
    if more <= 0:
        return first
    return _("%(first)s and %(count)s more") % {"first": first, "count": more}


def order_entries(contact_id: int, limit: int, before: dt.datetime | None) -> Iterable[TimelineEntry]:
    """Return the contact's latest orders as timeline entries, newest first: one query."""
    for order in orders_for_timeline(contact_id, limit=limit, before=before):
        channel = str(CHANNEL_LABELS.get(order.sales_channel, order.sales_channel))
        yield TimelineEntry(
            kind="order", id=order.id, at=order.ordered_at,
            title=_("Order %(number)s · %(channel)s") % {"number": order.number, "channel": channel},
            body=" · ".join(p for p in [_items(order.first_label, order.first_quantity, order.line_count),
                                         kmoney(order.total, order.currency)] if p),
            channel=order.sales_channel, icon="store", url=reverse("commerce:order_detail", args=[order.id]),
            data={
                "number": order.number, "total": str(order.total), "currency": order.currency, "status": order.status,
                "status_label": str(STATUS_LABELS.get(order.status, order.status)),
            },
        )


def register() -> None:
    register_timeline_source("order", order_entries)
