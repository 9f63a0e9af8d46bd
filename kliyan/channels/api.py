"""The channels app's API v1 endpoints: the screen pop and live calls from phone systems."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from kliyan.accounts.access import Perm
from kliyan.channels import queries, services
from kliyan.channels.choices import CallProvider
from kliyan.channels.schemas import CallOut, IncomingCallIn, ScreenPopOut, screen_pop_out
from kliyan.core.api_auth import actor
from kliyan.core.api_json import json_as_ninja

router = Router()


@router.get("/screenpop", response=ScreenPopOut, tags=["telephony"], summary="Everything about the caller, for the screen pop")
def screenpop(request: HttpRequest, phone: str = Query(..., description="The calling number, in any format")) -> HttpResponse:
    actor(request, Perm.VIEW_CUSTOMERS)
    # Answered while the phone rings: not validated a second time (the tests check the schema).
    return json_as_ninja(screen_pop_out(queries.screen_pop(phone)))


def call_out(received: services.CallReceived) -> dict[str, Any]:
    call = received.call
    return {
        "call_id": call.call_id, "provider": call.provider, "direction": call.direction, "created": received.created,
        "matched": call.contact_id is not None,
        "contact": {"id": call.contact.pk, "name": call.contact.display_name} if call.contact_id else None,
        "interaction_id": call.interaction_id,
        "pop_url": queries.pop_url(call.e164 or (call.from_number if call.direction == "inbound" else call.to_number)),
    }


@router.post(
    "/calls/incoming", response={200: CallOut, 201: CallOut}, tags=["telephony"],
    summary="A phone system announces a call: log it on the timeline and pop it on agents' pages",
)
def call_incoming(request: HttpRequest, payload: IncomingCallIn) -> Status[dict[str, Any]]:
    user = actor(request, Perm.LOG_INTERACTIONS)
    data = {
        "provider": CallProvider.GENERIC, "call_id": payload.call_id, "from": payload.from_, "to": payload.to,
        "direction": payload.direction, "agent": payload.agent, "status": payload.status,
    }
    received = services.call_received(actor=user, data=data)
    return Status(201 if received.created else 200, call_out(received))
