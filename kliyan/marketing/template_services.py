"""Writes of message templates: create, change and delete a template with its texts per language.

Each write checks everything first (every text with marketing.rendering.validate_text, so
a template that is saved can always be rendered), changes nothing when anything is wrong,
and audits itself in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kliyan.core.audit import record
from kliyan.core.choices import Language
from kliyan.core.errors import FieldErrors, NotFound, ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.marketing.choices import MessageChannel, Purpose
from kliyan.marketing.models import MessageTemplate, TemplateText
from kliyan.marketing.rendering import validate_text

NAME_MAX = 100
# Meta's rule for the names of WhatsApp message templates.
PROVIDER_TEMPLATE = re.compile(r"^[a-z0-9_]{1,100}$")
TEMPLATE_FIELDS = ("name", "channel", "purpose", "provider_template", "active")

# {language: {"subject": …, "body": …}}, None for a language to remove.
TextChanges = Mapping[str, Mapping[str, Any] | None]


def get_template(pk: int) -> MessageTemplate:
    template = MessageTemplate.objects.filter(pk=pk).first()
    if template is None:
        raise NotFound(_("There is no message template with id %(id)s.") % {"id": pk})
    return template


def template_state(template: MessageTemplate) -> dict[str, Any]:
    """Return what the audit log keeps of a template: its fields and every text."""
    return {
        **{name: getattr(template, name) for name in TEMPLATE_FIELDS},
        "texts": {t.language: {"subject": t.subject, "body": t.body} for t in template.texts.all()},
    }


# --- Cleaning -------------------------------------------------------------------------------

def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _clean_fields(data: Mapping[str, Any], errors: FieldErrors, *, current: MessageTemplate | None) -> dict[str, Any]:
    """Return the template's own fields present in `data` (all of them when creating), cleaned."""
    out: dict[str, Any] = {}
    creating = current is None
    if creating or "name" in data:
        name = " ".join(_text(data.get("name")).split())
        if not name:
            errors.add("name", _("Give the template a name."))
        elif len(name) > NAME_MAX:
            errors.add("name", _("Use at most %(max)s characters.") % {"max": NAME_MAX})
        out["name"] = name
    if creating or "channel" in data:
        channel = _text(data.get("channel"))
        if channel not in MessageChannel.values:
            errors.add("channel", _("Choose one of: %(codes)s.") % {"codes": ", ".join(MessageChannel.values)})
        out["channel"] = channel
    if "purpose" in data or creating:
        purpose = _text(data.get("purpose")) or Purpose.MARKETING
        if purpose not in Purpose.values:
            errors.add("purpose", _("Choose one of: %(codes)s.") % {"codes": ", ".join(Purpose.values)})
        out["purpose"] = purpose
    if "provider_template" in data or creating:
        out["provider_template"] = _text(data.get("provider_template")).strip()
    if "active" in data:
        out["active"] = bool(data.get("active"))
    channel = out.get("channel", current.channel if current else "")
    provider_template = out.get("provider_template", current.provider_template if current else "")
    if provider_template and channel in MessageChannel.values:
        if channel != MessageChannel.WHATSAPP:
            errors.add("provider_template", _("Only WhatsApp templates have a name at the provider: leave it empty."))
        elif not PROVIDER_TEMPLATE.match(provider_template):
            errors.add("provider_template", _("Write the name exactly as approved by Meta: lower-case letters, digits and _."))
    return out


def _clean_texts(value: Any, errors: FieldErrors) -> dict[str, dict[str, str] | None]:
    """Return {language: {"subject", "body"} or None}, the shape checked; the texts are checked later."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors.add("texts", _("Give the texts as {language: {subject, body}}."))
        return {}
    texts: dict[str, dict[str, str] | None] = {}
    for language, text in value.items():
        if language not in Language.values:
            errors.add("texts", _("Unknown language “%(code)s”: use %(codes)s.") % {
                "code": str(language)[:10], "codes": ", ".join(Language.values),
            })
        elif text is None:
            texts[language] = None
        elif not isinstance(text, Mapping):
            errors.add(f"texts.{language}", _("Give a subject and a body."))
        else:
            texts[language] = {
                "subject": _text(text.get("subject")).strip(),
                # One kind of line end, so lengths and the SMS count are what the customer gets.
                "body": _text(text.get("body")).replace("\r\n", "\n").replace("\r", "\n"),
            }
    return texts


def _merged_texts(
    current: Mapping[str, TemplateText], changes: Mapping[str, dict[str, str] | None],
) -> dict[str, dict[str, str]]:
    merged = {language: {"subject": t.subject, "body": t.body} for language, t in current.items()}
    for language, text in changes.items():
        if text is None:
            merged.pop(language, None)
        else:
            merged[language] = text
    return merged


def _check_texts(channel: str, texts: Mapping[str, Mapping[str, str]], errors: FieldErrors) -> None:
    if not texts:
        errors.add("texts", _("Write the text in at least one language."))
    if channel not in MessageChannel.values:
        return  # already reported on "channel"
    for language, text in sorted(texts.items()):
        try:
            validate_text(channel=channel, subject=text["subject"], body=text["body"])
        except ValidationFailed as error:
            for field, messages in error.field_errors.items():
                for message in messages:
                    errors.add(f"texts.{language}.{field}", message)


def _check_name_free(name: str, channel: str, errors: FieldErrors, *, exclude: int | None) -> None:
    taken = MessageTemplate.objects.filter(name__iexact=name, channel=channel).exclude(pk=exclude).exists()
    if taken:
        errors.add("name", _("Another %(channel)s template is called “%(name)s”.") % {
            "channel": MessageChannel(channel).label, "name": name,
        })


# --- Writes ------------------------------------------------------------------------------------

def _write_texts(template: MessageTemplate, current: Mapping[str, TemplateText], merged: Mapping[str, Mapping[str, str]]) -> None:
    """Save the texts that changed; an unchanged text keeps its updated_at (and its compiled form)."""
    gone = [t.pk for language, t in current.items() if language not in merged]
    if gone:
        TemplateText.objects.filter(pk__in=gone).delete()
    for language, text in merged.items():
        existing = current.get(language)
        if existing is None:
            TemplateText.objects.create(template=template, language=language, **text)
        elif (existing.subject, existing.body) != (text["subject"], text["body"]):
            existing.subject, existing.body = text["subject"], text["body"]
            existing.save(update_fields=["subject", "body", "updated_at"])


def _name_taken() -> ValidationFailed:
    return ValidationFailed(field_errors={"name": [_("Another template of this channel has this name.")]})


@transaction.atomic
def template_create(*, actor: Any, data: Mapping[str, Any]) -> MessageTemplate:
    """Create a template with its texts: {name, channel, purpose?, provider_template?, active?, texts}."""
    errors = FieldErrors()
    fields = _clean_fields(data, errors, current=None)
    texts = _merged_texts({}, _clean_texts(data.get("texts"), errors))
    _check_texts(fields["channel"], texts, errors)
    if fields["name"] and fields["channel"] in MessageChannel.values:
        _check_name_free(fields["name"], fields["channel"], errors, exclude=None)
    errors.raise_if_any()
    user = actor if getattr(actor, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            template = MessageTemplate.objects.create(**fields, created_by=user)
    except IntegrityError:
        raise _name_taken() from None
    _write_texts(template, {}, texts)
    record(actor=actor, action=AuditAction.CREATE, instance=template, after=template_state(template))
    return template


@transaction.atomic
def template_update(*, actor: Any, template: MessageTemplate, data: Mapping[str, Any]) -> MessageTemplate:
    """Change the fields present in `data`; `texts` adds or replaces those languages (None removes one)."""
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    before = template_state(template)
    current = {t.language: t for t in template.texts.all()}
    errors = FieldErrors()
    fields = _clean_fields(data, errors, current=template)
    merged = _merged_texts(current, _clean_texts(data.get("texts"), errors))
    channel = fields.get("channel", template.channel)
    _check_texts(channel, merged, errors)
    name = fields.get("name", template.name)
    if ("name" in fields or "channel" in fields) and name and channel in MessageChannel.values:
        _check_name_free(name, channel, errors, exclude=template.pk)
    errors.raise_if_any()
    for key, value in fields.items():
        setattr(template, key, value)
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise _name_taken() from None
    _write_texts(template, current, merged)
    after = template_state(template)
    if after != before:
        record(actor=actor, action=AuditAction.UPDATE, instance=template, before=before, after=after)
    return template


@transaction.atomic
def template_delete(*, actor: Any, template: MessageTemplate) -> None:
    """Delete a template and its texts; messages already written from it keep their text."""
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    before = template_state(template)
    record(actor=actor, action=AuditAction.DELETE, instance=template, before=before)
    template.delete()
