from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupeConfig(AppConfig):
    name = "kliyan.dedupe"
    label = "dedupe"
    verbose_name = _("Duplicates")

    def ready(self) -> None:
        from kliyan.core.events import declare_event

        # Sent once per merge, about the survivor: {"id", "merged_ids", ...}; see docs/duplicates.md.
        declare_event("contact.merged", _("Contacts merged"))
