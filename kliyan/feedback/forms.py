"""Forms of the feedback pages (the public survey page parses its two fields itself)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.feedback.campaigns import NAME_LIMIT


class CampaignForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=NAME_LIMIT,
        help_text=_("For you, e.g. “NPS spring 2026”; customers do not see it."),
    )
