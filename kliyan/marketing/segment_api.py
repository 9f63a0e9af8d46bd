"""API v1: segments, the rule builder's catalogue, live counts and a segment's contacts.

Endpoints parse, check the permission, call kliyan.marketing.segment_services or the queries,
and render. Anyone who may send messages may read segments and count; managers save them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from kliyan.accounts.access import Perm
from kliyan.contacts.api import LIMIT
from kliyan.core.api_auth import actor
from kliyan.marketing import segment_queries as queries
from kliyan.marketing import segment_services as services
from kliyan.marketing.segment_schemas import (
    CatalogueOut,
    CountIn,
    CountOut,
    SegmentContactPage,
    SegmentIn,
    SegmentOut,
    SegmentPage,
    segment_contact_out,
    segment_out,
)
from kliyan.marketing.segments import catalogue, count, validate_rule

router = Router(tags=["segments"])


@router.get("/segments", response=SegmentPage, summary="List saved segments, by name")
def segment_list(request: HttpRequest, cursor: str | None = None, limit: int = LIMIT) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    page = queries.segment_page(cursor=cursor, size=limit)
    return {"items": [segment_out(s) for s in page.items], "next_cursor": page.next_cursor}


@router.post("/segments", response={201: SegmentOut}, summary="Save a segment")
def segment_create(request: HttpRequest, payload: SegmentIn) -> Status[dict[str, Any]]:
    """A bad rule is refused (422) with the path of each bad node, e.g. `rule.all[2].value`."""
    user = actor(request, Perm.MANAGE_MARKETING)
    segment = services.segment_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, segment_out(segment))


@router.get("/segments/fields", response=CatalogueOut, summary="What a rule can ask: fields, operators, values")
def segment_fields(request: HttpRequest) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    return catalogue()


@router.post("/segments/count", response=CountOut, summary="Count the contacts a rule selects (and preview a few)")
def segment_count(request: HttpRequest, payload: CountIn) -> dict[str, Any]:
    """Nothing is saved. Archived contacts are left out unless the rule asks about the status."""
    actor(request, Perm.SEND_MESSAGES)
    validate_rule(payload.rule)
    contacts = queries.preview(payload.rule, payload.preview)
    return {"count": count(payload.rule), "contacts": [segment_contact_out(c) for c in contacts]}


@router.get("/segments/{int:segment_id}", response=SegmentOut, summary="Read a segment")
def segment_detail(request: HttpRequest, segment_id: int) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    return segment_out(services.get_segment(segment_id))


@router.patch("/segments/{int:segment_id}", response=SegmentOut, summary="Change a segment's name, description or rule")
def segment_update(request: HttpRequest, segment_id: int, payload: SegmentIn) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_MARKETING)
    segment = services.segment_update(
        actor=user, segment=services.get_segment(segment_id), data=payload.model_dump(exclude_unset=True))
    return segment_out(segment)


@router.delete("/segments/{int:segment_id}", response={204: None}, summary="Delete a segment")
def segment_delete(request: HttpRequest, segment_id: int) -> Status[None]:
    """Refused (409) while a campaign or an automation uses it."""
    user = actor(request, Perm.MANAGE_MARKETING)
    services.segment_delete(actor=user, segment=services.get_segment(segment_id))
    return Status(204, None)


@router.get("/segments/{int:segment_id}/contacts", response=SegmentContactPage, summary="The contacts a segment selects now, by name")
def segment_contacts(request: HttpRequest, segment_id: int, cursor: str | None = None, limit: int = LIMIT) -> dict[str, Any]:
    actor(request, Perm.SEND_MESSAGES)
    segment = services.get_segment(segment_id)
    page = queries.contact_page(segment.rule, cursor=cursor, size=limit)
    return {"items": [segment_contact_out(c) for c in page.items], "next_cursor": page.next_cursor}
