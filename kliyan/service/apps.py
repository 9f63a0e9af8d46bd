from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "kliyan.service"
    label = "service"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from kliyan.core.events import declare_event
        from kliyan.service import registrations, signals  # noqa: F401  (attachment files follow their rows)

        for name, label in (
            ("ticket.created", _("Ticket created")),
            ("ticket.updated", _("Ticket changed")),
            ("ticket.resolved", _("Ticket resolved")),
            ("ticket.message_added", _("Message added to a ticket")),
            ("problem.created", _("Problem recorded")),
            ("problem.updated", _("Problem changed")),
        ):
            declare_event(name, label)
        registrations.register()  # the timeline source, contact panel and screen-pop section
