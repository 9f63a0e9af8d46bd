from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "kliyan.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from kliyan.analytics import events, pop, views
        from kliyan.core.events import subscribe
        from kliyan.core.registry import (
            ContactPanel,
            PopSection,
            register_contact_merge_handler,
            register_contact_panel,
            register_pop_section,
        )

        subscribe(events.on_event)
        # Who bought what is counted from the orders: after a merge, recount both sides.
        register_contact_merge_handler("analytics.customerproduct", events.on_contacts_merged)
        register_contact_panel(
            ContactPanel(
                name="recommendations", template="analytics/_contact_recommendations_panel.html",
                context=views.contact_recommendations_panel, order=60,
            )
        )
        register_pop_section(
            PopSection(
                name="recommendations", build=pop.recommendations_section,
                template="analytics/pop/_recommendations.html", order=80,
            )
        )
