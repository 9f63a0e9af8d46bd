"""Forms for the contact and company pages. They only parse input: the services validate.

Text boxes stay lenient on purpose (a phone, an e-mail or a date is a plain string here) so
that every rule lives once in `contacts.validation` and the page shows the service's own
message next to the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kliyan.contacts.choices import (
    AddressKind,
    ConsentChannel,
    ConsentMethod,
    ConsentStatus,
    CustomFieldTarget,
    CustomFieldType,
    EmailKind,
    PhoneKind,
    Source,
)
from kliyan.contacts.models import Company, CustomFieldDefinition, Tag
from kliyan.core.choices import Channel, Country, Language

EMPTY = [("", "—")]
CUSTOM_PREFIX = "cf_"
STATUS_CHOICES = [("active", _("Active")), ("archived", _("Archived")), ("all", _("All"))]
SORT_CHOICES = [("name", _("Name")), ("-created", _("Newest")), ("-updated", _("Recently updated"))]


def _date_input() -> forms.TextInput:
    return forms.TextInput(attrs={"type": "date"})


def user_choices(keep: int | None = None) -> list[tuple[Any, str]]:
    """Return active staff, plus `keep` (the current owner, even if deactivated since)."""
    users = get_user_model().objects.filter(Q(is_active=True) | Q(pk=keep)).order_by("first_name", "last_name", "username")
    return [(user.pk, user.get_full_name() or user.get_username()) for user in users]


def company_choices(keep: int | None = None) -> list[tuple[Any, str]]:
    """Return active companies, plus `keep` (the current company, even if archived since)."""
    companies = Company.objects.filter(Q(archived_at__isnull=True) | Q(pk=keep)).order_by("name", "id")
    return list(companies.values_list("pk", "name"))


def split_names(text: str) -> list[str]:
    """Split "vip, wholesale" into names (the service trims and de-duplicates)."""
    return [name for name in (part.strip() for part in (text or "").split(",")) if name]


class ContactFilterForm(forms.Form):
    """The search box, filters and sort of the contact list (all optional)."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "enterkeyhint": "search",
                                      "placeholder": _("Name, phone, e-mail or company")}),
    )
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    company = forms.TypedChoiceField(label=_("Company"), required=False, coerce=int, empty_value=None)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", _("All"))] + list(Language.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["tag"].choices = everything + [(name, name) for name in Tag.objects.values_list("name", flat=True)]
        self.fields["company"].choices = everything + company_choices()
        self.fields["owner"].choices = everything + user_choices()


class EmailForm(forms.Form):
    email = forms.CharField(label=_("E-mail"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(label=_("Type"), choices=EmailKind.choices, required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    def has_value(self) -> bool:
        return bool(self.cleaned_data.get("email", "").strip()) and not self.cleaned_data.get("DELETE")


class PhoneForm(forms.Form):
    number = forms.CharField(label=_("Phone"), required=False, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    kind = forms.ChoiceField(label=_("Type"), choices=PhoneKind.choices, required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    def has_value(self) -> bool:
        return bool(self.cleaned_data.get("number", "").strip()) and not self.cleaned_data.get("DELETE")


class AddressForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=AddressKind.choices, required=False)
    street = forms.CharField(label=_("Street"), required=False)
    street2 = forms.CharField(label=_("Street (line 2)"), required=False)
    city = forms.CharField(label=_("City"), required=False)
    region = forms.CharField(label=_("Region"), required=False)
    postal_code = forms.CharField(label=_("Postal code"), required=False)
    country = forms.ChoiceField(label=_("Country"), choices=EMPTY + list(Country.choices), required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    VALUE_FIELDS = ("street", "street2", "city", "region", "postal_code", "country")

    def has_value(self) -> bool:
        data = self.cleaned_data
        return any(str(data.get(name) or "").strip() for name in self.VALUE_FIELDS) and not data.get("DELETE")


EmailFormSet = forms.formset_factory(EmailForm, extra=1, can_delete=True)
PhoneFormSet = forms.formset_factory(PhoneForm, extra=1, can_delete=True)
AddressFormSet = forms.formset_factory(AddressForm, extra=1, can_delete=True)

# Each repeatable block: its form prefix is also the service's name for the list.
CHILD_FORMSETS = {
    "emails": EmailFormSet,
    "phones": PhoneFormSet,
    "addresses": AddressFormSet,
}


def custom_form_field(definition: CustomFieldDefinition) -> forms.Field:
    """Return the form field for one admin-defined custom field."""
    common = {"label": definition.label, "required": definition.required}
    kind = definition.field_type
    if kind == CustomFieldType.NUMBER:
        return forms.CharField(**common, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    if kind == CustomFieldType.DATE:
        return forms.CharField(**common, widget=_date_input())
    if kind == CustomFieldType.CHOICE:
        return forms.ChoiceField(**common, choices=EMPTY + [(c, c) for c in definition.choices or []])
    if kind == CustomFieldType.BOOLEAN:
        return forms.ChoiceField(**common, choices=EMPTY + [("yes", _("Yes")), ("no", _("No"))])
    return forms.CharField(**common, widget=forms.TextInput())


def custom_initial(definitions: Iterable[CustomFieldDefinition], values: dict[str, Any]) -> dict[str, Any]:
    """Return the stored custom-field values in the form's shape."""
    initial: dict[str, Any] = {}
    for definition in definitions:
        value = values.get(definition.key)
        if value is None:
            continue
        if definition.field_type == CustomFieldType.BOOLEAN:
            value = "yes" if value else "no"
        initial[CUSTOM_PREFIX + definition.key] = value
    return initial


class _CustomFieldsMixin:
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_custom_fields(self, definitions: list[CustomFieldDefinition]) -> None:
        self.custom_definitions = definitions
        for definition in definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = custom_form_field(definition)

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[CUSTOM_PREFIX + d.key] for d in self.custom_definitions]  # type: ignore[index]

    def custom_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.custom_definitions:
            value = self.cleaned_data.get(CUSTOM_PREFIX + definition.key)
            values[definition.key] = None if value in ("", None) else value
        return values


class ContactForm(_CustomFieldsMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    company = forms.ChoiceField(label=_("Company"), required=False)
    job_title = forms.CharField(label=_("Job title"), required=False, max_length=100)
    owner = forms.ChoiceField(label=_("Owner"), required=False, help_text=_("The staff member who looks after this person."))
    birthday = forms.CharField(label=_("Birthday"), required=False, widget=_date_input())
    language = forms.ChoiceField(label=_("Preferred language"), required=False, choices=EMPTY + list(Language.choices))
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"), required=False, choices=EMPTY + list(Channel.choices))
    source = forms.ChoiceField(label=_("How they found us"), required=False, choices=EMPTY + list(Source.choices))
    source_detail = forms.CharField(label=_("Source details"), required=False, max_length=200)
    referred_by = forms.ChoiceField(label=_("Referred by"), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate with commas."))
    interests = forms.CharField(label=_("Interests"), required=False, help_text=_("Separate with commas."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(
        self, *args: Any, definitions: list[CustomFieldDefinition], referrer: tuple[int, str] | None = None, **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = EMPTY + company_choices(keep=self.initial.get("company") or None)
        self.fields["owner"].choices = EMPTY + user_choices(keep=self.initial.get("owner") or None)
        # Choosing among every contact in a select would not scale; the referrer is set
        # from the referrer's page ("Add someone they referred") and kept or cleared here.
        self.fields["referred_by"].choices = EMPTY + ([referrer] if referrer else [])
        self.add_custom_fields(definitions)

    def service_data(self) -> dict[str, Any]:
        """Return the scalar fields in the shape `contact_create`/`contact_update` take."""
        data = self.cleaned_data
        return {
            "first_name": data["first_name"], "last_name": data["last_name"],
            "company_id": data["company"] or None, "job_title": data["job_title"],
            "owner_id": data["owner"] or None, "birthday": data["birthday"] or None,
            "language": data["language"], "preferred_channel": data["preferred_channel"],
            "source": data["source"], "source_detail": data["source_detail"],
            "referred_by_id": data["referred_by"] or None, "notes": data["notes"],
            "tags": split_names(data["tags"]), "interests": split_names(data["interests"]),
            "custom_fields": self.custom_values(),
        }


class CompanyForm(_CustomFieldsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    website = forms.CharField(label=_("Website"), required=False, widget=forms.TextInput(attrs={"type": "url", "inputmode": "url"}))
    industry = forms.CharField(label=_("Industry"), required=False, max_length=100)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    source = forms.ChoiceField(label=_("How they found us"), required=False, choices=EMPTY + list(Source.choices))
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate with commas."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, definitions: list[CustomFieldDefinition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = EMPTY + user_choices(keep=self.initial.get("owner") or None)
        self.add_custom_fields(definitions)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"], "website": data["website"], "industry": data["industry"],
            "owner_id": data["owner"] or None, "source": data["source"], "notes": data["notes"],
            "tags": split_names(data["tags"]), "custom_fields": self.custom_values(),
        }


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=ConsentChannel.choices)
    status = forms.ChoiceField(label=_("Consent"), choices=ConsentStatus.choices, widget=forms.RadioSelect)
    method = forms.ChoiceField(label=_("How"), choices=ConsentMethod.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=255)


class CustomFieldForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100)
    target = forms.ChoiceField(label=_("Applies to"), choices=CustomFieldTarget.choices)
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    key = forms.CharField(
        label=_("Key"), required=False, max_length=50,
        help_text=_("Letters, digits and underscores; used in the API. Left empty, it is made from the label."),
    )
    choices = forms.CharField(
        label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a choice field: one choice per line."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    position = forms.IntegerField(label=_("Position"), required=False, min_value=0, max_value=32767)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # What a field holds and where it applies cannot change once values exist.
            for name in ("target", "field_type", "key"):
                del self.fields[name]

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k in self.fields}
        if data.get("position") is None:
            data.pop("position", None)
        if "key" in data and not data["key"]:
            data.pop("key")
        return data


def with_extra_row(data: Any, prefix: str) -> Any:
    """Return a copy of the posted data with one more blank row in the `prefix` formset."""
    if prefix not in CHILD_FORMSETS:
        return data
    copy = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        copy[key] = str(min(int(copy.get(key, 0)) + 1, 50))
    except ValueError:
        pass
    return copy


class ChildForms:
    """The repeatable e-mails, phones and addresses of a contact or company form.

    The service reads only the rows that hold a value and names a bad one by its position
    in that list ("phones.1.number"), so the rows sent are remembered to put each error
    back on the row it belongs to.
    """

    def __init__(self, data: Any, initial: dict[str, list[dict[str, Any]]] | None = None) -> None:
        initial = initial or {}
        self.formsets = {
            prefix: formset_class(data, prefix=prefix, initial=initial.get(prefix) or None)
            for prefix, formset_class in CHILD_FORMSETS.items()
        }
        self.sent: dict[str, list[forms.Form]] = {}

    def __getitem__(self, prefix: str) -> forms.BaseFormSet:
        return self.formsets[prefix]

    def is_valid(self) -> bool:
        return all([formset.is_valid() for formset in self.formsets.values()])

    def service_data(self) -> dict[str, list[dict[str, Any]]]:
        payload: dict[str, list[dict[str, Any]]] = {}
        for prefix, formset in self.formsets.items():
            rows = [form for form in formset.forms if form.has_value()]
            self.sent[prefix] = rows
            payload[prefix] = [
                {name: value for name, value in form.cleaned_data.items() if name != "DELETE"} for form in rows
            ]
        return payload

    def _row(self, prefix: str, index: int) -> forms.Form | None:
        rows = self.sent.get(prefix, [])
        return rows[index] if 0 <= index < len(rows) else None

    def _duplicate_row(self, prefix: str, index: int) -> forms.Form | None:
        """Return the row behind the `index`-th distinct value (duplicate checks see distinct values)."""
        from kliyan.core.phones import InvalidPhone, parse_phone

        distinct: dict[str, forms.Form] = {}
        for form in self.sent.get(prefix, []):
            if prefix == "emails":
                value = form.cleaned_data["email"].strip().lower()
            else:
                try:
                    value = parse_phone(form.cleaned_data["number"]).e164
                except InvalidPhone:
                    continue
            distinct.setdefault(value, form)
        rows = list(distinct.values())
        return rows[index] if 0 <= index < len(rows) else None

    def apply_errors(self, field_errors: dict[str, list[str]], *, duplicates: bool = False) -> dict[str, list[str]]:
        """Put "emails.0.email"-style errors on their rows; return the errors left over."""
        rest: dict[str, list[str]] = {}
        for field, messages in field_errors.items():
            prefix, _dot, tail = field.partition(".")
            index_text, _dot, name = tail.partition(".")
            row = None
            if prefix in self.formsets and index_text.isdigit():
                index = int(index_text)
                row = self._duplicate_row(prefix, index) if duplicates else self._row(prefix, index)
            if row is None:
                rest[field] = messages
                continue
            target = name if name in row.fields else None
            for message in messages:
                row.add_error(target, message)
        return rest

    def has_errors(self) -> bool:
        return any(formset.total_error_count() for formset in self.formsets.values())
