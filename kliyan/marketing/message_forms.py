"""Forms of the outbox pages: the list's filters and "write to this contact"."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.marketing.choices import MessageChannel, MessageStatus, Purpose
from kliyan.marketing.models import MessageTemplate


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *MessageStatus.choices])
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("Any channel")), *MessageChannel.choices])
    purpose = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *Purpose.choices])


class WriteForm(forms.Form):
    """A reply to one contact: on a channel they have an address on, a text or a template."""

    channel = forms.ChoiceField(label=_("Channel"))
    template = forms.ModelChoiceField(
        label=_("Template"), required=False, queryset=MessageTemplate.objects.none(), empty_label=_("No template: write a text"),
    )
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200, help_text=_("E-mail only."))
    body = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    # One per form shown: sending the same form twice (a double tap, a retry) stores one message.
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, channels: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4().hex)
        # The form sits on the contact page beside others with a "channel" field: its own ids keep each label on its input.
        kwargs.setdefault("auto_id", "write_%s")
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channels
        self.fields["template"].queryset = MessageTemplate.objects.filter(
            active=True, channel__in=[value for value, _label in channels],
        ).order_by("name", "id")
