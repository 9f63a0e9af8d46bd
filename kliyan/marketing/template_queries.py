"""Reads of message templates: the list, one template with its texts, a preview for a real contact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from kliyan.contacts.models import Contact
from kliyan.core.choices import Language
from kliyan.core.errors import FieldErrors, NotFound, ValidationFailed
from kliyan.core.organisation import get_organisation
from kliyan.marketing.choices import MessageChannel
from kliyan.marketing.models import MessageTemplate, TemplateText
from kliyan.marketing.rendering import EXTRA_PLACEHOLDERS, Rendered, choose_text, contexts_for, render


def templates(*, channel: str = "", active: bool | None = None) -> QuerySet[MessageTemplate]:
    """Return the templates, by name, with their texts (one query for all of them)."""
    found = MessageTemplate.objects.prefetch_related(Prefetch("texts", queryset=TemplateText.objects.order_by("language")))
    if channel:
        found = found.filter(channel=channel)
    if active is not None:
        found = found.filter(active=active)
    return found


def check_channel(channel: str, field: str = "channel") -> None:
    if channel and channel not in MessageChannel.values:
        raise ValidationFailed(field_errors={field: [_("Choose one of: %(codes)s.") % {"codes": ", ".join(MessageChannel.values)}]})


def template_with_texts(pk: int) -> MessageTemplate | None:
    return templates().select_related("created_by").filter(pk=pk).first()


def preview_samples() -> dict[str, str]:
    """Return what a preview shows for the values a campaign or automation gives (there is none yet)."""
    return {
        "coupon_code": _("[coupon code]"),
        "unsubscribe_url": _("[unsubscribe link]"),
        "survey_url": _("[survey link]"),
    }


@dataclass(frozen=True)
class Preview:
    rendered: Rendered
    language: str
    # Why this language: "asked", "contact" (theirs), "organisation", "english" or "other".
    chosen_because: str


def template_preview(
    *, template: MessageTemplate, contact_id: int, language: str = "", extra: Mapping[str, Any] | None = None,
) -> Preview:
    """Render `template` for a real contact, in `language` if given, else in the language they would get it in."""
    contact = Contact.objects.filter(pk=contact_id).only("pk", "language").first()
    if contact is None:
        raise NotFound(_("There is no contact with id %(id)s.") % {"id": contact_id})
    errors = FieldErrors()
    if language and language not in Language.values:
        errors.add("language", _("Choose one of: %(codes)s.") % {"codes": ", ".join(Language.values)})
    for key in extra or {}:
        if key not in EXTRA_PLACEHOLDERS:
            errors.add("extra", _("Only %(names)s can be given; “%(name)s” is read from the contact.") % {
                "names": ", ".join(EXTRA_PLACEHOLDERS), "name": str(key)[:40],
            })
    errors.raise_if_any()
    if language:
        text = next((t for t in template.texts.all() if t.language == language), None)
        if text is None:
            raise ValidationFailed(field_errors={"language": [
                _("This template has no text in %(language)s.") % {"language": Language(language).label},
            ]})
        because = "asked"
    else:
        text = choose_text(template, contact.language)
        if text is None:
            raise ValidationFailed(_("This template has no text yet."))
        because = _why(text.language, contact.language)
    context = contexts_for([contact.pk])[contact.pk]
    rendered = render(text, context, {**preview_samples(), **(extra or {})})
    return Preview(rendered=rendered, language=text.language, chosen_because=because)


def _why(chosen: str, contact_language: str) -> str:
    if contact_language and chosen == contact_language:
        return "contact"
    if chosen == get_organisation().language:
        return "organisation"
    return "english" if chosen == Language.EN else "other"
