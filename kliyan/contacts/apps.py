from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "kliyan.contacts"
    label = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        from kliyan.contacts import timeline
        from kliyan.core.events import declare_event

        timeline.register()
        for name, label in (
            ("contact.created", _("Contact created")),
            ("contact.updated", _("Contact changed")),
            ("contact.archived", _("Contact archived")),
            ("contact.restored", _("Contact restored")),
            ("contact.deleted", _("Contact erased")),
            ("company.created", _("Company created")),
            ("company.updated", _("Company changed")),
            ("company.archived", _("Company archived")),
            ("company.restored", _("Company restored")),
            ("consent.changed", _("Consent recorded")),
        ):
            declare_event(name, label)
