from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "kliyan.channels"
    label = "kliyan_channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from kliyan.channels import email_sender, pop
        from kliyan.channels.providers import registration

        pop.register()
        registration.register()
        email_sender.register()  # the e-mail channel of the messaging outbox
