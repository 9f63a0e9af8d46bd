from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "kliyan.commerce"
    label = "commerce"
    verbose_name = _("Commerce")

    def ready(self) -> None:
        from kliyan.core.events import declare_event

        # Emitted by the ingestion services (kliyan.commerce.ingest_writers) for webhooks and other apps.
        for name, label in (
            ("product.created", _("Product created")),
            ("product.updated", _("Product changed")),
            ("order.created", _("Order created")),
            ("order.updated", _("Order changed")),
            ("invoice.created", _("Invoice created")),
            ("invoice.updated", _("Invoice changed")),
            ("payment.created", _("Payment created")),
            ("payment.updated", _("Payment changed")),
        ):
            declare_event(name, label)

        from kliyan.commerce.registrations import register

        register()  # the timeline source, contact panel and screen-pop sections (registrations.py)
