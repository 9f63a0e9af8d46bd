"""API shapes of message templates: input refuses unknown fields by name; texts are keyed by language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input
from kliyan.core.api_types import ObjectId
from kliyan.core.choices import Language
from kliyan.core.errors import ValidationFailed
from kliyan.marketing.choices import MessageChannel, Purpose
from kliyan.marketing.models import MessageTemplate, TemplateText
from kliyan.marketing.rendering import EXTRA_PLACEHOLDERS, PLACEHOLDERS, placeholder_names

CHANNEL_HELP = f"One of {', '.join(MessageChannel.values)}"
LANGUAGE_HELP = f"One of {', '.join(Language.values)}"
BODY_HELP = (
    "Plain text with placeholders: {{ first_name }}, {% if company %}…{% else %}…{% endif %}, "
    "filters default, upper, lower, title, date. GET /message-templates/placeholders lists the names."
)


class TextIn(Input):
    subject: str = Field("", description="E-mail only (required there); empty for other channels")
    body: str = Field(..., description=BODY_HELP)


class TemplateCreate(Input):
    name: str = Field(..., description="Unique per channel")
    channel: str = Field(..., description=CHANNEL_HELP)
    purpose: str = Field(Purpose.MARKETING, description="marketing (needs consent) or transactional")
    provider_template: str = Field("", description="WhatsApp only: the template's name as approved by Meta")
    active: bool = True
    texts: dict[str, TextIn] = Field(..., description=f"Language → text; at least one. Languages: {LANGUAGE_HELP}")


class TemplateUpdate(Input):
    name: str | None = None
    channel: str | None = Field(None, description="Every text is checked again for the new channel")
    purpose: str | None = None
    provider_template: str | None = None
    active: bool | None = None
    texts: dict[str, TextIn | None] | None = Field(
        None, description="Language → new text, or null to remove that language; languages not named stay as they are",
    )


class TextOut(Schema):
    language: str
    subject: str
    body: str
    placeholders: list[str] = Field(..., description="Placeholders printed by the body, in order (WhatsApp's parameters)")
    updated_at: dt.datetime


class TemplateOut(Schema):
    id: int
    name: str
    channel: str
    purpose: str
    provider_template: str
    active: bool
    languages: list[str]
    texts: list[TextOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class TemplateList(Schema):
    items: list[TemplateOut]


class PreviewIn(Input):
    contact_id: ObjectId
    language: str | None = Field(None, description=f"{LANGUAGE_HELP}; by default the one the contact would get")
    extra: dict[str, str] = Field(
        default_factory=dict, description="Values of coupon_code, unsubscribe_url, survey_url (samples are shown otherwise)",
    )


class PreviewOut(Schema):
    subject: str
    body: str
    language: str
    chosen_because: str = Field(..., description="asked, contact (their language), organisation, english or other")


class CheckIn(Input):
    channel: str = Field(..., description=CHANNEL_HELP)
    subject: str = ""
    body: str = Field(..., description=BODY_HELP)


class CheckOut(Schema):
    valid: bool
    placeholders: list[str]


class PlaceholderOut(Schema):
    name: str
    description: str
    given_by_caller: bool = Field(..., description="coupon_code and the links come from the campaign, not the contact")


class PlaceholderList(Schema):
    items: list[PlaceholderOut]


def _placeholders(body: str) -> list[str]:
    try:
        return placeholder_names(body)
    except ValidationFailed:
        return []  # saved before a placeholder was withdrawn: the text is shown, with none listed


def text_out(text: TemplateText) -> dict[str, Any]:
    return {
        "language": text.language, "subject": text.subject, "body": text.body,
        "placeholders": _placeholders(text.body), "updated_at": text.updated_at,
    }


def template_out(template: MessageTemplate) -> dict[str, Any]:
    texts = list(template.texts.all())
    return {
        "id": template.pk, "name": template.name, "channel": template.channel, "purpose": template.purpose,
        "provider_template": template.provider_template, "active": template.active,
        "languages": [t.language for t in texts], "texts": [text_out(t) for t in texts],
        "created_at": template.created_at, "updated_at": template.updated_at,
    }


def placeholders_out() -> list[dict[str, Any]]:
    return [
        {"name": name, "description": str(description), "given_by_caller": name in EXTRA_PLACEHOLDERS}
        for name, description in PLACEHOLDERS.items()
    ]
