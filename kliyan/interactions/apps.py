from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "kliyan.interactions"
    label = "interactions"
    verbose_name = _("Interactions")

    def ready(self) -> None:
        from kliyan.interactions import timeline

        timeline.register()
