"""Count each customer's purchases into CustomerSummary: for everyone, or for a few customers.

One grouped INSERT … SELECT over the purchase orders (set-based, so 5,000,000 orders never
pass through Python). kliyan.analytics.services calls these inside its own transactions and
lock: the full rebuild writes everyone's summary with the recommendation tables, and the
refresh of pending customers recounts theirs from the same marks (see its docstring).

The spend follows lifetime spend (kliyan.commerce.queries.lifetime_value): each order at the
rate of its own day, in the organisation's currency, by the same SQL expression
(commerce.money.rate_on_order_day); an order in a currency without a rate for its day adds
nothing. A rate entered later for past days marks no one: the nightly rebuild counts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, F, Max, Min, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from kliyan.analytics.models import CustomerSummary
from kliyan.commerce.choices import PURCHASE_STATUSES
from kliyan.commerce.models import Order
from kliyan.commerce.money import WIDE, ZERO, rate_on_order_day

SUMMARY = CustomerSummary._meta.db_table


def purchase_figures(contact_ids: Sequence[int] | None = None) -> QuerySet:
    """Return (contact_id, orders, spend, first, last) per customer with a purchase, optionally of some customers."""
    orders = Order.objects.filter(status__in=PURCHASE_STATUSES, contact__isnull=False)
    if contact_ids is not None:
        orders = orders.filter(contact_id__in=list(contact_ids))
    # Sum over no converted order is NULL: such a customer spent 0 as far as segments know.
    spend = Coalesce(Sum(F("total") * rate_on_order_day(), output_field=WIDE), Value(ZERO), output_field=WIDE)
    return (
        orders.values("contact_id")
        .annotate(purchases=Count("id"), spent=spend, first_at=Min("ordered_at"), last_at=Max("ordered_at"))
        .values_list("contact_id", "purchases", "spent", "first_at", "last_at")
        .order_by()
    )


def write_summaries(cursor: Any, contact_ids: Sequence[int] | None) -> None:
    """Insert the summaries of everyone (into an emptied table) or of `contact_ids` (whose rows are deleted first)."""
    if contact_ids is not None:
        cursor.execute(f"DELETE FROM {SUMMARY} WHERE contact_id IN ({', '.join(['%s'] * len(contact_ids))})",
                       list(contact_ids))
    inner, params = purchase_figures(contact_ids).query.sql_with_params()
    cursor.execute(
        f"INSERT INTO {SUMMARY} (contact_id, order_count, spend, first_purchase_at, last_purchase_at) "
        f"SELECT contact_id, purchases, spent, first_at, last_at FROM ({inner}) figures",
        params,
    )
