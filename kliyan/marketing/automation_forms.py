"""The automation form: when it fires, after how long or at what local hour, on which channel, with which template."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.commerce.models import ProductCategory
from kliyan.marketing.choices import AutomationTrigger, MessageChannel
from kliyan.marketing.models import Automation, MessageTemplate, Segment


class AutomationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    trigger = forms.ChoiceField(label=_("When"), choices=AutomationTrigger.choices)
    days = forms.IntegerField(
        label=_("Days"), min_value=0, max_value=3650, initial=0,
        help_text=_("After the purchase or the resolved ticket; for a win-back, the days without a purchase."),
    )
    local_hour = forms.IntegerField(
        label=_("Local hour"), min_value=0, max_value=23, initial=9,
        help_text=_("Birthdays and anniversaries go at this hour in the contact's time zone."),
    )
    category_id = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None,
                                         help_text=_("Only for “interest shown in a category”."))
    channel = forms.ChoiceField(label=_("Channel"), choices=MessageChannel.choices)
    template_id = forms.TypedChoiceField(label=_("Template"), coerce=int)
    segment_id = forms.TypedChoiceField(label=_("Only contacts in"), coerce=int, required=False, empty_value=None)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template_id"].choices = [("", _("Choose…"))] + [
            (pk, f"{name} ({MessageChannel(channel).label})")
            for pk, name, channel in MessageTemplate.objects.filter(active=True).order_by("name").values_list("pk", "name", "channel")
        ]
        self.fields["segment_id"].choices = [("", _("Every contact"))] + list(
            Segment.objects.order_by("name").values_list("pk", "name"))
        self.fields["category_id"].choices = [("", "—")] + list(
            ProductCategory.objects.order_by("name").values_list("pk", "name")[:500])

    @staticmethod
    def initial_for(automation: Automation | None) -> dict[str, Any]:
        if automation is None:
            return {"days": 0, "local_hour": 9, "active": True}
        return {name: getattr(automation, name) for name in (
            "name", "trigger", "days", "local_hour", "category_id", "channel", "template_id", "segment_id", "active")}

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
