"""API shapes for webhook endpoints and deliveries (unknown input fields are refused by name)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input, PageOut
from kliyan.webhooks.models import WebhookDelivery, WebhookEndpoint

EVENTS_HELP = "Event names (GET /webhooks/event-types lists them); ignored when all_events is true"


class EndpointCreate(Input):
    url: str = Field(..., description="http:// or https:// address that receives the POSTs")
    description: str = ""
    events: list[str] = Field(default_factory=list, description=EVENTS_HELP)
    all_events: bool = Field(False, description="Send every event, including ones added later")


class EndpointUpdate(Input):
    url: str | None = None
    description: str | None = None
    events: list[str] | None = Field(None, description=EVENTS_HELP)
    all_events: bool | None = None
    active: bool | None = Field(None, description="false stops sending; new events are not queued for it")


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    all_events: bool
    active: bool
    secret_hint: str = Field(..., description="The start of the signing secret, to tell secrets apart")
    created_at: dt.datetime
    updated_at: dt.datetime


class EndpointWithSecret(EndpointOut):
    secret: str = Field(..., description="The signing secret (whsec_…): shown now, never again")


class EndpointList(Schema):
    items: list[EndpointOut]


def endpoint_out(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    out = {
        "id": endpoint.pk, "url": endpoint.url, "description": endpoint.description, "events": list(endpoint.events),
        "all_events": endpoint.all_events, "active": endpoint.active, "secret_hint": endpoint.secret_hint,
        "created_at": endpoint.created_at, "updated_at": endpoint.updated_at,
    }
    if with_secret:
        out["secret"] = endpoint.secret
    return out


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event: str
    message_id: str = Field(..., description="The webhook-id header: the same on every retry and replay")
    status: str = Field(..., description="pending, sending, succeeded, failed (a retry is scheduled) or dead")
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class DeliveryDetail(DeliveryOut):
    payload: dict[str, Any]
    last_response_body: str


class DeliveryPage(PageOut):
    items: list[DeliveryOut]


def delivery_out(delivery: WebhookDelivery, *, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": delivery.pk, "endpoint_id": delivery.endpoint_id, "event": delivery.event, "message_id": delivery.message_id,
        "status": delivery.status, "attempts": delivery.attempts, "next_attempt_at": delivery.next_attempt_at,
        "last_attempt_at": delivery.last_attempt_at, "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error, "created_at": delivery.created_at, "delivered_at": delivery.delivered_at,
    }
    if detail:
        out["payload"] = delivery.payload
        out["last_response_body"] = delivery.last_response_body
    return out


class EventTypeOut(Schema):
    name: str
    label: str


class EventTypeList(Schema):
    items: list[EventTypeOut]
