from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "kliyan.interactions"
    label = "interactions"
    verbose_name = _("Interactions")

    def ready(self) -> None:
        from kliyan.core.events import declare_event
        from kliyan.core.registry import ContactPanel, register_contact_panel
        from kliyan.interactions import timeline, views

        timeline.register()
        for name, label in (
            ("interaction.created", _("Interaction logged")),
            ("interaction.updated", _("Interaction changed")),
            ("task.created", _("Task created")),
            ("task.updated", _("Task changed")),
            ("task.completed", _("Task completed")),
        ):
            declare_event(name, label)
        register_contact_panel(
            ContactPanel(
                name="open_tasks", template="interactions/_contact_tasks_panel.html",
                context=views.contact_tasks_panel, order=10,
            )
        )
