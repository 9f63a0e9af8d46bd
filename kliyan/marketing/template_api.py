"""API v1: message templates — list, read, write, preview with a real contact, check a text without saving.

Agents (messages.send) read and preview templates, to pick one when they write to a
customer; managers (marketing.manage) write them. Endpoints parse, call a service or a
query, and render.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kliyan.accounts.access import Perm
from kliyan.core.api_auth import actor
from kliyan.core.errors import NotFound
from kliyan.marketing import template_queries as queries
from kliyan.marketing import template_services as services
from kliyan.marketing.models import MessageTemplate
from kliyan.marketing.rendering import placeholder_names, validate_text
from kliyan.marketing.template_schemas import (
    CheckIn,
    CheckOut,
    PlaceholderList,
    PreviewIn,
    PreviewOut,
    TemplateCreate,
    TemplateList,
    TemplateOut,
    TemplateUpdate,
    placeholders_out,
    template_out,
)

router = Router(tags=["templates"])


def _found(template_id: int) -> MessageTemplate:
    """Return the template with its texts, or answer 404 naming the id."""
    template = queries.template_with_texts(template_id)
    if template is None:
        raise NotFound(_("There is no message template with id %(id)s.") % {"id": template_id})
    return template


@router.get("/message-templates", response=TemplateList, summary="List message templates, by name")
def template_list(
    request: HttpRequest,
    channel: str = Query("", description="Only this channel: email, sms, whatsapp, facebook or instagram"),
    active: bool | None = Query(None, description="Only active (true) or inactive (false) templates"),
) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    queries.check_channel(channel)
    return {"items": [template_out(t) for t in queries.templates(channel=channel, active=active)]}


@router.get("/message-templates/placeholders", response=PlaceholderList, summary="The placeholders a text may use")
def placeholder_list(request: HttpRequest) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    return {"items": placeholders_out()}


@router.post("/message-templates/check", response=CheckOut, summary="Check a text without saving it (422 names the problem)")
def template_check(request: HttpRequest, payload: CheckIn) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    validate_text(channel=payload.channel, subject=payload.subject, body=payload.body)
    return {"valid": True, "placeholders": placeholder_names(payload.body)}


@router.post("/message-templates", response={201: TemplateOut}, summary="Write a template with its texts per language")
def template_create(request: HttpRequest, payload: TemplateCreate) -> Status[dict[str, Any]]:
    user = actor(request, Perm.MANAGE_MARKETING)
    template = services.template_create(actor=user, data=payload.model_dump())
    return Status(201, template_out(_found(template.pk)))


@router.get("/message-templates/{int:template_id}", response=TemplateOut, summary="Read a template with every text")
def template_detail(request: HttpRequest, template_id: int) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    return template_out(_found(template_id))


@router.patch("/message-templates/{int:template_id}", response=TemplateOut, summary="Change a template or some of its texts")
def template_update(request: HttpRequest, template_id: int, payload: TemplateUpdate) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_MARKETING)
    data = payload.model_dump(exclude_unset=True)
    # A field sent as null means "not changed", except in texts, where null removes a language.
    data = {key: value for key, value in data.items() if value is not None}
    template = services.template_update(actor=user, template=services.get_template(template_id), data=data)
    return template_out(_found(template.pk))


@router.delete("/message-templates/{int:template_id}", response={204: None}, summary="Delete a template")
def template_delete(request: HttpRequest, template_id: int) -> Status[None]:
    user = actor(request, Perm.MANAGE_MARKETING)
    services.template_delete(actor=user, template=services.get_template(template_id))
    return Status(204, None)


@router.post(
    "/message-templates/{int:template_id}/preview", response=PreviewOut,
    summary="Render a template for a real contact, in their language or the one asked",
)
def template_preview(request: HttpRequest, template_id: int, payload: PreviewIn) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    preview = queries.template_preview(
        template=_found(template_id), contact_id=payload.contact_id, language=payload.language or "", extra=payload.extra,
    )
    return {
        "subject": preview.rendered.subject, "body": preview.rendered.body, "language": preview.language,
        "chosen_because": preview.chosen_because,
    }
