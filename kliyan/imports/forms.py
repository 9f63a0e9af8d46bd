"""Forms of the import pages: the upload, and the mapping (one select per column of the file)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kliyan.imports import mapping as field_mapping
from kliyan.imports.choices import ImportTarget, OnDuplicate
from kliyan.imports.models import Import
from kliyan.imports.services import custom_field_pairs


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (any delimiter, UTF-8 or Windows encoding), Excel (.xlsx) or phone contacts (.vcf)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.vcf,.vcard,text/csv,text/vcard"}),
    )
    target = forms.ChoiceField(label=gettext_lazy("The file holds"), choices=ImportTarget.choices, initial=ImportTarget.CONTACTS,
                               widget=forms.RadioSelect)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than %(limit)d MB.") % {"limit": settings.IMPORT_MAX_FILE_BYTES // (1024 * 1024)})
        return upload


def column_field_name(index: int) -> str:
    return f"column_{index}"


class MappingForm(forms.Form):
    """A select per column (named column_0, column_1, … so any header text is safe) and the duplicate rule."""

    on_duplicate = forms.ChoiceField(
        label=gettext_lazy("When a row has the e-mail or phone of an existing record, or a similar name at the same company"),
        choices=OnDuplicate.choices, widget=forms.RadioSelect,
    )
    source = forms.CharField(
        label=gettext_lazy("Source system"), max_length=50, required=False,
        help_text=gettext_lazy("Products and orders are filed under this name with their code or number: importing a "
                               "corrected file with the same name updates them."),
    )

    def __init__(self, *args: Any, import_: Import, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.import_ = import_
        choices = field_mapping.field_choices(import_.target, custom_field_pairs(import_.target))
        for index, header in enumerate(import_.headers):
            self.fields[column_field_name(index)] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=import_.mapping.get(header, ""),
            )
        self.fields["on_duplicate"].initial = import_.on_duplicate
        if import_.is_commerce:
            self.fields["on_duplicate"].label = gettext_lazy("When a product or order with this code or number exists")
            self.fields["on_duplicate"].choices = [(OnDuplicate.SKIP, _("Skip the row")), (OnDuplicate.UPDATE, _("Update it"))]
            self.fields["source"].initial = import_.source
        else:
            del self.fields["source"]

    def column_fields(self) -> list[forms.BoundField]:
        return [self[column_field_name(i)] for i in range(len(self.import_.headers))]

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data.get(column_field_name(i)) or "" for i, header in enumerate(self.import_.headers)}
