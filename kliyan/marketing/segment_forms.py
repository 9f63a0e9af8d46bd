"""The segment form: a name, a description and the rule as JSON (the builder writes it; without JavaScript, a person can)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.marketing.models import Segment

EMPTY_RULE: dict[str, list] = {"all": []}


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    rule = forms.CharField(
        label=_("Rule (JSON)"), widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "segment-rule-json"}),
        help_text=_('Groups {"all": […]} or {"any": […]} of conditions {"field": …, "op": …, "value": …}.'),
    )

    @staticmethod
    def initial_for(segment: Segment | None) -> dict[str, Any]:
        if segment is None:
            return {"rule": json.dumps(EMPTY_RULE)}
        return {"name": segment.name, "description": segment.description, "rule": json.dumps(segment.rule, ensure_ascii=False)}

    def clean_rule(self) -> Any:
        try:
            return json.loads(self.cleaned_data["rule"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)d, column %(column)d).") % {"line": error.lineno, "column": error.colno},
            ) from None

    def service_data(self) -> dict[str, Any]:
        return {"name": self.cleaned_data["name"], "description": self.cleaned_data["description"],
                "rule": self.cleaned_data["rule"]}

    def current_rule(self) -> Any:
        """Return the rule as typed (for the builder to show again), the empty rule if it is not JSON."""
        raw = self["rule"].value()
        try:
            return json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            return EMPTY_RULE
