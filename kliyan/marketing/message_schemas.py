"""API shapes of the outbox (unknown input fields are refused by name)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input, PageOut, UserRef, ref, user_ref
from kliyan.core.api_types import ObjectId
from kliyan.marketing.models import Message
from kliyan.marketing.policy import not_sent_text


class MessageIn(Input):
    contact_id: ObjectId
    channel: str = Field(..., description="email, sms, whatsapp, facebook or instagram")
    purpose: str = Field("transactional", description="transactional (a reply, a receipt: no consent needed) or marketing")
    body: str = Field("", description="The text as written; or leave empty and give template_id")
    subject: str = Field("", description="E-mail only (required with a body)")
    template_id: ObjectId | None = Field(None, description="A message template of the channel, rendered for the contact")
    language: str = Field("", description="The language to write in; the contact's (then the organisation's) by default")


class ContactRef(Schema):
    id: int
    name: str


class MessageOut(Schema):
    id: int
    contact: ContactRef
    channel: str
    purpose: str
    template_id: int | None = None
    language: str
    recipient: str = Field(..., description="The address, number or id it goes to")
    subject: str
    body: str
    status: str = Field(..., description="queued, sent, delivered, opened, clicked, failed, bounced or not_sent")
    reason: str | None = Field(None, description="Why it was not sent: no_consent, withdrawn, no_address, weekly_cap, …")
    reason_at: dt.datetime | None = Field(None, description="Since when that reason holds (the day consent was withdrawn)")
    not_sent: str | None = Field(None, description="The reason as a sentence in the caller's language")
    error: str | None = Field(None, description="The provider's last refusal")
    provider_id: str | None = None
    attempts: int
    send_after: dt.datetime
    created_at: dt.datetime
    created_by: UserRef | None = None
    sent_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    opened_at: dt.datetime | None = None
    clicked_at: dt.datetime | None = None


class MessagePage(PageOut):
    items: list[MessageOut]


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk, "contact": ref(message.contact_id, message.contact.display_name), "channel": message.channel,
        "purpose": message.purpose, "template_id": message.template_id, "language": message.language,
        "recipient": message.recipient, "subject": message.subject, "body": message.body, "status": message.status,
        "reason": message.reason or None, "reason_at": message.reason_at,
        "not_sent": not_sent_text(reason=message.reason, reason_at=message.reason_at, channel=message.channel) or None,
        "error": message.error or None, "provider_id": message.provider_id or None, "attempts": message.attempts,
        "send_after": message.send_after, "created_at": message.created_at, "created_by": user_ref(message.created_by),
        "sent_at": message.sent_at, "delivered_at": message.delivered_at, "opened_at": message.opened_at,
        "clicked_at": message.clicked_at,
    }
