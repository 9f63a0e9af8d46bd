from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "kliyan.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from kliyan.core.events import subscribe
        from kliyan.webhooks.services import record_event

        subscribe(record_event)
