"""API v1: automations — write, pause, resume and delete them (marketing.manage); read and preview them (messages.send).

Endpoints parse, check the permission, call kliyan.marketing.automation_services or the queries, and render.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from kliyan.accounts.access import Perm
from kliyan.contacts.api import LIMIT
from kliyan.core.api_auth import actor
from kliyan.core.errors import NotFound
from kliyan.core.pagination import keyset_page
from kliyan.marketing import automation_queries as queries
from kliyan.marketing import automation_services as services
from kliyan.marketing.automation_running import preview
from kliyan.marketing.automation_schemas import AutomationIn, AutomationOut, AutomationPage, PreviewOut, automation_out
from kliyan.marketing.models import Automation

router = Router(tags=["automations"])
ORDERING = ["-created_at", "-id"]


def _automation(pk: int) -> Automation:
    automation = queries.automation_detail(pk) if 0 < pk < 2**63 else None
    if automation is None:
        raise NotFound(_("There is no automation with id %(id)s.") % {"id": pk})
    return automation


@router.get("/automations", response=AutomationPage, summary="List automations, newest first")
def automation_list(request: HttpRequest, cursor: str | None = None, limit: int = LIMIT) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    page = keyset_page(Automation.objects.all(), ordering=ORDERING, cursor=cursor, size=limit)
    return {"items": [automation_out(a) for a in page.items], "next_cursor": page.next_cursor}


@router.post("/automations", response={201: AutomationOut}, summary="Write an automation")
def automation_create(request: HttpRequest, payload: AutomationIn) -> Status[dict[str, Any]]:
    """422 naming each problem (template for another channel, unusable text, hour, days, segment) before anything is stored."""
    user = actor(request, Perm.MANAGE_MARKETING)
    automation = services.automation_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, automation_out(automation))


@router.get("/automations/{int:automation_id}", response=AutomationOut, summary="Read an automation")
def automation_detail(request: HttpRequest, automation_id: int) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    return automation_out(_automation(automation_id))


@router.patch("/automations/{int:automation_id}", response=AutomationOut, summary="Change an automation")
def automation_update(request: HttpRequest, automation_id: int, payload: AutomationIn) -> dict[str, Any]:
    """`active: false` pauses it; `active: true` resumes it (checked again in full)."""
    user = actor(request, Perm.MANAGE_MARKETING)
    automation = services.automation_update(
        actor=user, automation=_automation(automation_id), data=payload.model_dump(exclude_unset=True))
    return automation_out(automation)


@router.delete("/automations/{int:automation_id}", response={204: None}, summary="Delete an automation")
def automation_delete(request: HttpRequest, automation_id: int) -> Status[None]:
    """The messages it stored stay in the outbox."""
    user = actor(request, Perm.MANAGE_MARKETING)
    services.automation_delete(actor=user, automation=_automation(automation_id))
    return Status(204, None)


@router.get("/automations/{int:automation_id}/preview", response=PreviewOut,
            summary="Who the automation would write to if it ran now: how many, and the first 10")
def automation_preview(request: HttpRequest, automation_id: int) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    count, contacts = preview(_automation(automation_id))
    return {"count": count, "contacts": [{"id": c.pk, "name": c.display_name} for c in contacts]}
