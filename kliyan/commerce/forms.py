"""Forms of the commerce pages: list filters, credit terms, exchange rates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.commerce.choices import OrderStatus, SalesChannel
from kliyan.commerce.listings import category_choices
from kliyan.commerce.terms import MAX_TERMS_DAYS


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    active = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All")), ("yes", _("Active")), ("no", _("Inactive"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *category_choices()]


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Order number"), required=False, max_length=64)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *OrderStatus.choices])
    sales_channel = forms.ChoiceField(label=_("Sold through"), required=False, choices=[("", _("All")), *SalesChannel.choices])


class CreditTermsForm(forms.Form):
    """The fields of kliyan.commerce.terms.credit_terms_set; the service checks the values."""

    credit_limit = forms.CharField(label=_("Credit limit"), max_length=30)
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("ISO 4217 code, e.g. HTG, EUR, USD."))
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=MAX_TERMS_DAYS, initial=30)
    on_hold = forms.BooleanField(label=_("On hold"), required=False, help_text=_("No more sales on credit until this is lifted."))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ExchangeRateForm(forms.Form):
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("ISO 4217 code, e.g. USD."))
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    rate = forms.CharField(
        label=_("Rate"), max_length=30,
        help_text=_("What one unit of this currency is worth in the organisation's currency."),
    )
