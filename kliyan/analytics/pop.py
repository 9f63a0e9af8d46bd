"""The screen pop's "recommendations" section: what the agent could suggest to the caller."""

from __future__ import annotations

from typing import Any

from kliyan.analytics.recommendations import recommendations_for

POP_RECOMMENDATIONS = 5


def recommendations_section(contact: Any) -> list[dict[str, Any]] | None:
    """Return up to five products for the caller, or None (section left out) when there is nothing to suggest."""
    items = recommendations_for(contact.pk, limit=POP_RECOMMENDATIONS)
    if not items:
        return None
    return [
        {
            "product_id": item.product_id, "sku": item.sku, "name": item.name,
            "price": str(item.price), "currency": item.currency, "score": item.score,
            "because": {"product_id": item.because_id, "name": item.because_name},
        }
        for item in items
    ]
