"""Forms of the duplicates pages: the list's filters and the merge choices."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.dedupe.choices import PairStatus
from kliyan.dedupe.queries import MergePreview

FIELD_PREFIX = "keep_"


class PairFilterForm(forms.Form):
    min_score = forms.IntegerField(label=_("Lowest score"), min_value=0, max_value=100, required=False)
    status = forms.ChoiceField(label=_("Show"), choices=PairStatus.choices, required=False)


def choice_field_name(field: str) -> str:
    """Return the form field of a merge choice ("custom_fields.size" → "keep_custom_fields__size")."""
    return FIELD_PREFIX + field.replace(".", "__")


class MergeForm(forms.Form):
    """Which contact stays, and for each field on which they disagree, whose value to keep."""

    survivor = forms.TypedChoiceField(label=_("Keep this record"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, data: Any = None, *, preview: MergePreview) -> None:
        super().__init__(data, initial={"survivor": preview.survivor_id})
        self.preview = preview
        self.fields["survivor"].choices = [
            (c.pk, _("%(name)s (no. %(id)s)") % {"name": c.display_name, "id": c.pk}) for c in preview.contacts
        ]
        self.choice_fields: dict[str, str] = {}
        for row in preview.conflicts:
            name = choice_field_name(row.name)
            self.choice_fields[name] = row.name
            self.fields[name] = forms.TypedChoiceField(
                label=row.label, coerce=int, widget=forms.RadioSelect, initial=row.default,
                choices=[(pk, value) for pk, value in row.values.items() if value],
            )

    def choice_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.choice_fields]

    def field_choices(self) -> dict[str, int]:
        """Return {field: contact id} as the merge service takes it."""
        return {field: self.cleaned_data[name] for name, field in self.choice_fields.items() if self.cleaned_data.get(name)}

    def merged_ids(self) -> list[int]:
        survivor = self.cleaned_data["survivor"]
        return [c.pk for c in self.preview.contacts if c.pk != survivor]
