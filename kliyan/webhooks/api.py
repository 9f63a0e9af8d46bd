"""API v1: outbound webhook endpoints, their deliveries, replays and the event types (admins)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kliyan.accounts.access import Perm
from kliyan.contacts.api import LIMIT
from kliyan.core.api_auth import actor
from kliyan.core.api_types import ObjectId
from kliyan.core.events import event_types
from kliyan.core.pagination import keyset_page
from kliyan.webhooks import queries, services
from kliyan.webhooks.models import WebhookEndpoint
from kliyan.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    EndpointCreate,
    EndpointList,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
    EventTypeList,
    delivery_out,
    endpoint_out,
)

router = Router(tags=["webhooks"])


@router.get("/webhooks/event-types", response=EventTypeList, summary="List the events an endpoint can receive")
def event_type_list(request: HttpRequest) -> dict[str, Any]:
    actor(request, Perm.MANAGE_WEBHOOKS)
    return {"items": [{"name": e.name, "label": str(e.label)} for e in event_types()]}


@router.get("/webhooks/endpoints", response=EndpointList, summary="List webhook endpoints")
def endpoint_list(request: HttpRequest) -> dict[str, Any]:
    actor(request, Perm.MANAGE_WEBHOOKS)
    return {"items": [endpoint_out(e) for e in WebhookEndpoint.objects.order_by("-created_at", "-id")]}


@router.post("/webhooks/endpoints", response={201: EndpointWithSecret}, summary="Register a webhook endpoint")
def endpoint_create(request: HttpRequest, payload: EndpointCreate) -> Status[dict[str, Any]]:
    """Answer with the signing secret: it is shown this once (see also rotate-secret)."""
    user = actor(request, Perm.MANAGE_WEBHOOKS)
    endpoint = services.endpoint_create(actor=user, data=payload.model_dump())
    return Status(201, endpoint_out(endpoint, with_secret=True))


@router.get("/webhooks/endpoints/{int:endpoint_id}", response=EndpointOut, summary="Read a webhook endpoint")
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> dict[str, Any]:
    actor(request, Perm.MANAGE_WEBHOOKS)
    return endpoint_out(services.get_endpoint(endpoint_id))


@router.patch("/webhooks/endpoints/{int:endpoint_id}", response=EndpointOut, summary="Change a webhook endpoint")
def endpoint_update(request: HttpRequest, endpoint_id: int, payload: EndpointUpdate) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_WEBHOOKS)
    endpoint = services.endpoint_update(
        actor=user, endpoint=services.get_endpoint(endpoint_id), data=payload.model_dump(exclude_unset=True),
    )
    return endpoint_out(endpoint)


@router.delete("/webhooks/endpoints/{int:endpoint_id}", response={204: None}, summary="Delete a webhook endpoint and its log")
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> Status[None]:
    user = actor(request, Perm.MANAGE_WEBHOOKS)
    services.endpoint_delete(actor=user, endpoint=services.get_endpoint(endpoint_id))
    return Status(204, None)


@router.post(
    "/webhooks/endpoints/{int:endpoint_id}/rotate-secret", response=EndpointWithSecret,
    summary="Give an endpoint a new signing secret (the old one also signs for 24 hours)",
)
def endpoint_rotate_secret(request: HttpRequest, endpoint_id: int) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_WEBHOOKS)
    endpoint = services.endpoint_rotate_secret(actor=user, endpoint=services.get_endpoint(endpoint_id))
    return endpoint_out(endpoint, with_secret=True)


@router.post(
    "/webhooks/endpoints/{int:endpoint_id}/test", response={201: DeliveryOut}, summary="Send a webhook.test event now",
)
def endpoint_send_test(request: HttpRequest, endpoint_id: int) -> Status[dict[str, Any]]:
    user = actor(request, Perm.MANAGE_WEBHOOKS)
    delivery = services.endpoint_send_test(actor=user, endpoint=services.get_endpoint(endpoint_id))
    return Status(201, delivery_out(services.get_delivery(delivery.pk)))


@router.get("/webhooks/deliveries", response=DeliveryPage, summary="List deliveries, newest first")
def delivery_list(
    request: HttpRequest, endpoint: ObjectId | None = None,
    status: str = Query("", description="pending, sending, succeeded, failed or dead"),
    cursor: str | None = None, limit: int = LIMIT,
) -> dict[str, Any]:
    actor(request, Perm.MANAGE_WEBHOOKS)
    qs = queries.deliveries(endpoint_id=endpoint, status=status).defer("payload", "last_response_body")
    page = keyset_page(qs, ordering=["-created_at", "-id"], cursor=cursor, size=limit)
    return {"items": [delivery_out(d) for d in page.items], "next_cursor": page.next_cursor}


@router.get("/webhooks/deliveries/{int:delivery_id}", response=DeliveryDetail, summary="Read a delivery with its payload")
def delivery_detail(request: HttpRequest, delivery_id: int) -> dict[str, Any]:
    actor(request, Perm.MANAGE_WEBHOOKS)
    return delivery_out(services.get_delivery(delivery_id), detail=True)


@router.post(
    "/webhooks/deliveries/{int:delivery_id}/replay", response=DeliveryOut,
    summary="Send a delivery again now (same webhook-id, so receivers can drop a duplicate)",
)
def delivery_replay(request: HttpRequest, delivery_id: int) -> dict[str, Any]:
    user = actor(request, Perm.MANAGE_WEBHOOKS)
    services.delivery_replay(actor=user, delivery=services.get_delivery(delivery_id))
    return delivery_out(services.get_delivery(delivery_id))
