"""Forms of the template pages (parsing only; template_services and rendering validate)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.core.choices import Language
from kliyan.marketing.choices import MessageChannel, Purpose
from kliyan.marketing.models import MessageTemplate
from kliyan.marketing.rendering import BODY_LIMITS, SUBJECT_MAX

BODY_HELP = _("Plain text. Placeholders such as {{ first_name }} are filled in for each customer; see the list beside.")


def subject_field(language: str) -> str:
    return f"subject_{language}"


def body_field(language: str) -> str:
    return f"body_{language}"


class TemplateFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *MessageChannel.choices])


class TemplateForm(forms.Form):
    """The template's settings and, for each of the six languages, a subject and a body (empty: no text)."""

    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Staff see it when they pick a template."))
    channel = forms.ChoiceField(label=_("Channel"), choices=MessageChannel.choices)
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=Purpose.choices, initial=Purpose.MARKETING,
        help_text=_("Marketing messages only go to customers who agreed to receive them on this channel."),
    )
    provider_template = forms.CharField(
        label=_("Name at WhatsApp"), required=False, max_length=100,
        help_text=_("WhatsApp only: the template's name as approved by Meta, to write outside the 24-hour window."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True, help_text=_("Inactive templates are not offered."))

    def __init__(self, *args: Any, template: MessageTemplate | None = None, **kwargs: Any) -> None:
        if template is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(template)
        super().__init__(*args, **kwargs)
        for code, name in Language.choices:
            self.fields[subject_field(code)] = forms.CharField(
                label=_("Subject"), required=False, max_length=SUBJECT_MAX,
                help_text=_("E-mail only, and needed there."), widget=forms.TextInput(attrs={"lang": code}),
            )
            self.fields[body_field(code)] = forms.CharField(
                label=_("Text"), required=False, strip=False, max_length=max(BODY_LIMITS.values()), help_text=BODY_HELP,
                widget=forms.Textarea(attrs={"rows": 8, "lang": code, "spellcheck": "true"}),
            )

    def languages(self) -> list[dict[str, Any]]:
        """Return, per language, its name and bound fields, for the editor's sections."""
        return [
            {"code": code, "name": name, "subject": self[subject_field(code)], "body": self[body_field(code)],
             "written": bool((self[body_field(code)].value() or "").strip() or (self[subject_field(code)].value() or "").strip()),
             "invalid": bool(self[subject_field(code)].errors or self[body_field(code)].errors)}
            for code, name in Language.choices
        ]

    def service_data(self, *, keep_missing: bool) -> dict[str, Any]:
        """Return the data as template_services takes it; an empty language is None (removed) when editing."""
        data = {key: self.cleaned_data[key] for key in ("name", "channel", "purpose", "provider_template", "active")}
        texts: dict[str, dict[str, str] | None] = {}
        for code in Language.values:
            subject, body = self.cleaned_data[subject_field(code)], self.cleaned_data[body_field(code)]
            if subject.strip() or body.strip():
                texts[code] = {"subject": subject, "body": body}
            elif not keep_missing:
                texts[code] = None
        data["texts"] = texts
        return data


def initial_of(template: MessageTemplate) -> dict[str, Any]:
    initial: dict[str, Any] = {key: getattr(template, key) for key in ("name", "channel", "purpose", "provider_template", "active")}
    for text in template.texts.all():
        initial[subject_field(text.language)] = text.subject
        initial[body_field(text.language)] = text.body
    return initial


def error_field_map() -> dict[str, str]:
    """Map the services' error keys ("texts.fr.body") to the form's fields ("body_fr")."""
    mapping = {}
    for code in Language.values:
        mapping[f"texts.{code}.subject"] = subject_field(code)
        mapping[f"texts.{code}.body"] = body_field(code)
        mapping[f"texts.{code}"] = body_field(code)
    return mapping


class PreviewForm(forms.Form):
    q = forms.CharField(label=_("Find a customer"), required=False, max_length=200)
    contact = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("The customer's (automatic)")), *Language.choices],
    )
