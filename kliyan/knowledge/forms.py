"""Forms of the knowledge-base pages (parsing only; the services validate)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.core.choices import Language
from kliyan.knowledge import queries
from kliyan.knowledge.choices import ArticleStatus
from kliyan.knowledge.services import BODY_MAX, CATEGORY_MAX, SLUG_MAX, TITLE_MAX

BODY_HELP = _(
    "Plain text. A blank line starts a new paragraph; “- ” starts a list item, “1. ” a numbered one, "
    "“## ” a heading; **bold**; [link text](https://example.com). HTML is shown as typed, never run."
)


class ArticleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All")), (ArticleStatus.PUBLISHED, _("Has published text")), (ArticleStatus.DRAFT, _("Has a draft"))],
    )
    missing = forms.ChoiceField(label=_("Missing language"), required=False, choices=[("", _("Any")), *Language.choices])
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    tag = forms.ChoiceField(label=_("Tag"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *queries.category_choices()]
        self.fields["tag"].choices = [("", _("All tags")), *((name, name) for name in queries.tag_names())]


class ArticleSettingsForm(forms.Form):
    category = forms.CharField(
        label=_("Category"), required=False, max_length=CATEGORY_MAX,
        help_text=_("Type a new name to start a category."),
        widget=forms.TextInput(attrs={"list": "kb-categories", "autocomplete": "off"}),
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=1000,
        help_text=_("Separated by commas: products, ticket categories, topics (e.g. moncash, returns)."),
    )
    internal = forms.BooleanField(
        label=_("Internal only"), required=False, help_text=_("Only staff see it; never on the public pages or API."),
    )


class TranslationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    slug = forms.CharField(
        label=_("Slug"), required=False, max_length=SLUG_MAX,
        help_text=_("The end of the public address, e.g. “delivery-times”. Made from the title if left empty."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )
    body = forms.CharField(
        label=_("Text"), max_length=BODY_MAX, help_text=BODY_HELP, strip=False,
        widget=forms.Textarea(attrs={"rows": 16}),
    )
    base_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ArticleCreateForm(TranslationForm, ArticleSettingsForm):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

    field_order = ["language", "title", "slug", "body", "category", "tags", "internal"]
