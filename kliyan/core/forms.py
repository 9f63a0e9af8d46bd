"""Forms for the organisation settings and the audit-log filters (parsing only; services validate)."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kliyan.core.choices import Country, Currency
from kliyan.core.models import AuditAction


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=200)
    country = forms.ChoiceField(
        label=_("Country"), choices=Country.choices,
        help_text=_("Phone numbers typed without a country code are read as from this country."),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    # A text box (with suggestions) rather than a choice: the service checks the zone exists.
    timezone = forms.CharField(
        label=_("Time zone"), max_length=64,
        help_text=_("Dates and times are shown in this time zone, for example America/Port-au-Prince."),
        widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off", "spellcheck": "false"}),
    )
    language = forms.ChoiceField(
        label=_("Default language"), choices=lambda: settings.LANGUAGES,
        help_text=_("Used when neither the user nor the browser asks for another."),
    )


def audit_object_types() -> list[tuple[str, str]]:
    """Return (app_label.model_name, verbose name) for every Kliyan model, for the filter."""
    types = [
        (f"{model._meta.app_label}.{model._meta.model_name}", str(capfirst(model._meta.verbose_name)))
        for model in apps.get_models()
        if model.__module__.startswith("kliyan.")
    ]
    return sorted(types, key=lambda item: item[1])


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.ChoiceField(label=_("Type"), required=False)
    user = forms.TypedChoiceField(label=_("User"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, users: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["action"].choices = everything + list(AuditAction.choices)
        self.fields["object_type"].choices = everything + audit_object_types()
        self.fields["user"].choices = everything + users
