"""The "Purchases" panel on the contact page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kliyan.accounts.access import Perm, can
from kliyan.commerce.queries import contact_commerce_summary, items_summary

PANEL_ORDERS = 5


def contact_purchases_panel(request: HttpRequest, contact: Any) -> dict[str, Any]:
    """Fill the panel: lifetime spend, last orders, balance and credit (nothing for a role without commerce)."""
    if not can(request.user, Perm.VIEW_COMMERCE):
        return {"summary": None}
    summary = contact_commerce_summary(contact, orders=PANEL_ORDERS)
    orders = [{"order": order, "items": items_summary(order)} for order in summary.recent_orders]
    return {"summary": summary, "orders": orders}
