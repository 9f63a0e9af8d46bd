from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "kliyan.marketing"
    label = "marketing"
    verbose_name = _("Messages and marketing")

    def ready(self) -> None:
        from kliyan.marketing import message_registrations

        message_registrations.register()  # outbound messages on the timeline, the "Messages" panel
