"""React to order changes: mark their customers for the incremental recount."""

from __future__ import annotations

from collections.abc import Sequence

from kliyan.core.events import Payload

ORDER_EVENTS = frozenset({"order.created", "order.updated"})


def on_event(name: str, payloads: Sequence[Payload]) -> None:
    """Mark the customers of created or changed orders pending (inside the writer's transaction)."""
    if name not in ORDER_EVENTS:
        return
    from kliyan.analytics.services import mark_customers_changed, mark_orders_changed

    # Commerce's payloads carry the customer; read it from the order only when one does not.
    mark_customers_changed(p["contact_id"] for p in payloads if p.get("contact_id"))
    mark_orders_changed(p["id"] for p in payloads if "contact_id" not in p and p.get("id") is not None)


def on_contacts_merged(survivor_id: int, merged_ids: list[int]) -> None:
    """Recount the survivor's and the merged contacts' baskets once their orders have moved.

    Their CustomerProduct rows are not moved (they are counts, not records): the incremental
    refresh subtracts what each contact contributed and counts the survivor's orders again.
    """
    from kliyan.analytics.services import mark_customers_changed

    mark_customers_changed([survivor_id, *merged_ids])
