"""The campaign form: segment, channel, when, and up to four variants (a template and a share each)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.marketing.choices import MessageChannel
from kliyan.marketing.models import Campaign, MessageTemplate, Segment

FORM_VARIANTS = "ABCD"


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    segment_id = forms.TypedChoiceField(label=_("Segment"), coerce=int)
    channel = forms.ChoiceField(label=_("Channel"), choices=MessageChannel.choices)
    scheduled_at = forms.DateTimeField(
        label=_("Send at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty to send as soon as it is scheduled."),
    )
    attribution_days = forms.IntegerField(label=_("Attribution window (days)"), min_value=1, max_value=365, initial=7)
    coupon_code = forms.CharField(label=_("Coupon code"), max_length=50, required=False,
                                  help_text=_("Printed where a template says {{ coupon_code }}."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment_id"].choices = [("", _("Choose…")), *Segment.objects.order_by("name").values_list("pk", "name")]
        templates = [("", "—")] + [
            (pk, f"{name} ({MessageChannel(channel).label})")
            for pk, name, channel in MessageTemplate.objects.filter(active=True).order_by("name").values_list("pk", "name", "channel")
        ]
        for label in FORM_VARIANTS:
            self.fields[f"template_{label}"] = forms.TypedChoiceField(
                label=_("Variant %(label)s: template") % {"label": label}, choices=templates, coerce=int, required=label == "A",
                empty_value=None,
            )
            self.fields[f"share_{label}"] = forms.IntegerField(
                label=_("Share (%)"), min_value=1, max_value=100, required=False, initial=100 if label == "A" else None,
            )

    @staticmethod
    def initial_for(campaign: Campaign | None) -> dict[str, Any]:
        if campaign is None:
            return {"attribution_days": 7, "share_A": 100}
        initial: dict[str, Any] = {
            "name": campaign.name, "segment_id": campaign.segment_id, "channel": campaign.channel,
            "scheduled_at": campaign.scheduled_at, "attribution_days": campaign.attribution_days,
            "coupon_code": campaign.coupon_code,
        }
        for variant in campaign.variants.all():
            initial[f"template_{variant.label}"] = variant.template_id
            initial[f"share_{variant.label}"] = variant.share
        return initial

    def variant_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"template_{label}"], self[f"share_{label}"]) for label in FORM_VARIANTS]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        variants = [
            {"template_id": data[f"template_{label}"], "share": data[f"share_{label}"] or 0}
            for label in FORM_VARIANTS if data.get(f"template_{label}")
        ]
        if len(variants) == 1 and not data.get("share_A"):
            variants[0]["share"] = 100
        return {
            "name": data["name"], "segment_id": data["segment_id"], "channel": data["channel"],
            "scheduled_at": data["scheduled_at"], "attribution_days": data["attribution_days"],
            "coupon_code": data["coupon_code"], "variants": variants,
        }


# Service field paths → form fields, so an error shows next to its field.
ERROR_FIELDS = {
    **{f"variants[{i}].template_id": f"template_{label}" for i, label in enumerate(FORM_VARIANTS)},
    **{f"variants[{i}].share": f"share_{label}" for i, label in enumerate(FORM_VARIANTS)},
    "variants": "template_A",
}
