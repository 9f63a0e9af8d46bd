from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "kliyan.interactions"
    label = "interactions"
    verbose_name = _("Interactions")

    def ready(self) -> None:
        from kliyan.core.registry import ContactPanel, register_contact_panel
        from kliyan.interactions import timeline, views

        timeline.register()
        register_contact_panel(
            ContactPanel(
                name="open_tasks", template="interactions/_contact_tasks_panel.html",
                context=views.contact_tasks_panel, order=10,
            )
        )
