"""What the commerce app contributes to shared places: the timeline, the contact page, the screen pop."""

from __future__ import annotations


def register() -> None:
    """Register the "order" timeline source, the "Purchases" contact panel and the pop sections."""
    from kliyan.commerce import panels, pop, timeline
    from kliyan.core.registry import ContactPanel, register_contact_panel

    timeline.register()
    pop.register()
    register_contact_panel(
        ContactPanel(
            name="purchases", template="commerce/_contact_purchases_panel.html",
            context=panels.contact_purchases_panel, order=20,
        )
    )
