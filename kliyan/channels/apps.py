from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "kliyan.channels"
    label = "kliyan_channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from kliyan.channels import pop

        pop.register()
