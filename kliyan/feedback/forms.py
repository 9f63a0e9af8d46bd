"""Forms of the feedback pages (the public survey page parses its two fields itself)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.feedback.campaigns import NAME_LIMIT


class CampaignForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=NAME_LIMIT,
        help_text=_("For you, e.g. “NPS spring 2026”; customers do not see it."),
    )
    segment = forms.TypedChoiceField(
        label=_("Who is asked"), required=False, coerce=int, empty_value=None,
        help_text=_("A saved segment asks its contacts by the channel each can be reached on."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from kliyan.marketing.models import Segment

        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", _("Every active contact with an e-mail address"))] + list(
            Segment.objects.order_by("name").values_list("pk", "name"))
