"""API v1: messages — write to a contact through the outbox, list the outbox, read one message.

`POST /messages` honours Idempotency-Key twice over: the API's decorator replays the first
answer to a repeated request, and the key becomes the message's own idempotency key
(`api:<user>:<key>`), so even after the replay record has expired the same key never stores
a second message.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kliyan.accounts.access import Perm
from kliyan.contacts.api import LIMIT
from kliyan.core.api_auth import actor
from kliyan.core.api_json import json_page
from kliyan.core.errors import NotFound
from kliyan.core.idempotency import HEADER
from kliyan.core.pagination import keyset_page
from kliyan.marketing import message_queries as queries
from kliyan.marketing.message_schemas import MessageIn, MessageOut, MessagePage, message_out
from kliyan.marketing.message_services import message_send
from kliyan.marketing.outbox import new_key

router = Router(tags=["messages"])


@router.post("/messages", response={200: MessageOut, 201: MessageOut}, summary="Write to a contact (stored, then sent by the worker)")
def message_create(request: HttpRequest, payload: MessageIn) -> Status[dict[str, Any]]:
    """Store a message to the contact: a text, or a template rendered in their language.

    `purpose: transactional` (a reply, a receipt) needs messages.send; `marketing` needs
    marketing.manage and the contact's consent for the channel. A message the rules refuse is
    stored all the same with `status: not_sent` and the reason (`not_sent`). 201 when stored,
    200 when the Idempotency-Key had already stored it.
    """
    user = actor(request, Perm.SEND_MESSAGES)
    key = request.headers.get(HEADER, "").strip()
    queued = message_send(
        actor=user, contact_id=payload.contact_id, channel=payload.channel, purpose=payload.purpose, body=payload.body,
        subject=payload.subject, template_id=payload.template_id, language=payload.language,
        idempotency_key=f"api:{user.pk}:{key}" if key else new_key(f"api:{user.pk}"),
    )
    return Status(201 if queued.created else 200, message_out(queued.message))


@router.get("/messages", response=MessagePage, summary="List the outbox, newest first")
def message_list(
    request: HttpRequest,
    status: str = Query("", description="queued, sent, delivered, opened, clicked, failed, bounced or not_sent"),
    channel: str = Query("", description="email, sms, whatsapp, facebook or instagram"),
    purpose: str = Query("", description="marketing or transactional"),
    contact: str = Query("", description="Only this contact's messages (its id)"),
    cursor: str | None = None,
    limit: int = LIMIT,
) -> HttpResponse:
    user = actor(request, Perm.SEND_MESSAGES)
    filters = queries.message_filters({"status": status, "channel": channel, "purpose": purpose, "contact": contact})
    page = keyset_page(queries.filtered_messages(user, filters), ordering=queries.ORDERING, cursor=cursor, size=limit)
    return json_page([message_out(m) for m in page.items], page.next_cursor)


@router.get("/messages/{int:message_id}", response=MessageOut, summary="Read a message: its text, status and timestamps")
def message_detail(request: HttpRequest, message_id: int) -> dict[str, Any]:
    user = actor(request, Perm.SEND_MESSAGES)
    message = queries.message_for(user, message_id) if 0 < message_id < 2**63 else None
    if message is None:
        raise NotFound(_("There is no message with id %(id)s.") % {"id": message_id})
    return message_out(message)
