"""Forms for webhook endpoints (parsing only; the services validate)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.core.events import event_types


def event_choices() -> list[tuple[str, str]]:
    return [(e.name, f"{e.label} · {e.name}") for e in event_types()]


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"), max_length=500,
        help_text=_("The address that receives a signed POST for each event, for example https://erp.example.com/kliyan."),
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    all_events = forms.BooleanField(
        label=_("Send every event"), required=False, help_text=_("Including events added in later versions."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), required=False, choices=event_choices, widget=forms.CheckboxSelectMultiple,
    )


class EndpointEditForm(EndpointForm):
    active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("A disabled endpoint receives nothing; events are not kept for it."),
    )
