"""API shapes of the service desk (unknown input fields are refused by name).

Output helpers build plain dicts (as contacts.schemas does): lists are sent without a
second pydantic pass, and the schemas below describe them in the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input, PageOut, Ref, UserRef, ref, user_ref
from kliyan.core.api_types import ObjectId
from kliyan.service.choices import allowed_transitions
from kliyan.service.models import Ticket, TicketAttachment, TicketCategory, TicketEvent, TicketMessage

KIND_HELP = "complaint, question or request"
PRIORITY_HELP = "low, normal, high or urgent"
STATUS_HELP = "new, open, waiting (on the customer), resolved, closed or reopened"


class TicketFields(Input):
    kind: str | None = Field(None, description=KIND_HELP)
    subject: str | None = None
    company: ObjectId | None = Field(None, description="Company id")
    category: ObjectId | None = Field(None, description="Ticket category id")
    product: ObjectId | None = Field(None, description="Product id")
    priority: str | None = Field(None, description=PRIORITY_HELP)
    channel: str | None = Field(None, description="How the customer reached us: email, phone, whatsapp, store, website, …")
    assignee: ObjectId | None = Field(None, description="Staff user id (agent, manager or admin)")
    team: ObjectId | None = Field(None, description="Team id")


class TicketCreate(TicketFields):
    contact: ObjectId = Field(..., description="Contact id (the customer)")
    subject: str = Field(..., description="What it is about, in a line")
    description: str | None = Field(None, description="What the customer asked or reported: the ticket's first message")


class TicketUpdate(TicketFields):
    status: str | None = Field(None, description=STATUS_HELP + "; the allowed moves are listed in `allowed_statuses`")


class MessageIn(Input):
    body: str
    attachments: list[ObjectId] | None = Field(None, description="Ids of files uploaded to this ticket, sent with it")


class ReplyIn(MessageIn):
    status: str | None = Field(None, description="Where the ticket goes with this reply (e.g. waiting, resolved); open if it was new")


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    message_id: int | None
    url: str = Field(..., description="Download (same authentication as the API)")
    created_at: dt.datetime


class MessageOut(Schema):
    id: int
    kind: str = Field(..., description="customer, reply, or note (internal: never shown to the customer)")
    internal: bool
    body: str
    author: UserRef | None
    channel: str
    from_name: str
    from_address: str
    to_address: str
    subject: str
    message_id: str | None = Field(None, description="The e-mail Message-ID")
    mail_status: str = Field(..., description="For e-mailed replies: pending, sending, sent, failed or dead")
    mail_error: str
    attachments: list[AttachmentOut]
    created_at: dt.datetime


class EventOut(Schema):
    id: int
    kind: str
    actor: str
    old_value: str
    new_value: str
    old_label: str
    new_label: str
    message_id: int | None
    at: dt.datetime


class TicketOut(Schema):
    id: int
    reference: str = Field(..., description="What the customer sees, e.g. T-000123")
    kind: str
    subject: str
    contact: Ref
    company: Ref | None
    category: Ref | None
    product: Ref | None
    priority: str
    status: str
    allowed_statuses: list[str]
    channel: str
    assignee: UserRef | None
    team: Ref | None
    follow_up_of: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    first_response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    waiting_since: dt.datetime | None


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]
    attachments: list[AttachmentOut] = Field(..., description="Files uploaded and not yet sent with a message")
    history: list[EventOut]


class TicketPage(PageOut):
    items: list[TicketOut]


def attachment_out(attachment: TicketAttachment) -> dict[str, Any]:
    return {
        "id": attachment.pk, "name": attachment.name, "content_type": attachment.content_type, "size": attachment.size,
        "sha256": attachment.sha256, "message_id": attachment.message_id,
        "url": reverse("api-v1:ticket_attachment_content", args=[attachment.pk]), "created_at": attachment.created_at,
    }


def message_out(message: TicketMessage) -> dict[str, Any]:
    return {
        "id": message.pk, "kind": message.kind, "internal": message.is_internal, "body": message.body,
        "author": user_ref(message.author if message.author_id else None), "channel": message.channel,
        "from_name": message.from_name, "from_address": message.from_address, "to_address": message.to_address,
        "subject": message.subject, "message_id": message.message_id, "mail_status": message.mail_status,
        "mail_error": message.mail_error, "attachments": [attachment_out(a) for a in message.attachments.all()],
        "created_at": message.created_at,
    }


def event_out(event: TicketEvent) -> dict[str, Any]:
    return {
        "id": event.pk, "kind": event.kind, "actor": event.actor_label, "old_value": event.old_value,
        "new_value": event.new_value, "old_label": event.old_label, "new_label": event.new_label,
        "message_id": event.message_id, "at": event.at,
    }


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    """Return a ticket as the list shows it (contact, company, category, product, assignee, team loaded)."""
    return {
        "id": ticket.pk, "reference": ticket.reference, "kind": ticket.kind, "subject": ticket.subject,
        "contact": ref(ticket.contact_id, ticket.contact.display_name),
        "company": ref(ticket.company_id, ticket.company.name) if ticket.company_id else None,
        "category": ref(ticket.category_id, ticket.category.name) if ticket.category_id else None,
        "product": ref(ticket.product_id, ticket.product.name) if ticket.product_id else None,
        "priority": ticket.priority, "status": ticket.status, "allowed_statuses": allowed_transitions(ticket.status),
        "channel": ticket.channel, "assignee": user_ref(ticket.assignee if ticket.assignee_id else None),
        "team": ref(ticket.team_id, ticket.team.name) if ticket.team_id else None,
        "follow_up_of": ticket.follow_up_of_id,
        **{name: getattr(ticket, name) for name in (
            "created_at", "updated_at", "first_responded_at", "resolved_at", "closed_at", "first_response_due",
            "resolution_due", "waiting_since",
        )},
    }


class CategoryIn(Input):
    name: str | None = None
    parent: ObjectId | None = Field(None, description="Parent category id; null for a top-level category")
    active: bool | None = Field(None, description="Switched-off categories are no longer offered")


class CategoryOut(Schema):
    id: int
    name: str
    path: str = Field(..., description="Parent › Child")
    parent_id: int | None
    active: bool


def category_out(category: TicketCategory, path: str) -> dict[str, Any]:
    return {"id": category.pk, "name": category.name, "path": path, "parent_id": category.parent_id, "active": category.active}


class CategoryList(Schema):
    items: list[CategoryOut]


class TeamIn(Input):
    name: str | None = None
    manager: ObjectId | None = Field(None, description="Staff user id")
    members: list[ObjectId] | None = Field(None, description="Staff user ids (the whole list: it replaces the members)")
    active: bool | None = None


class TeamOut(Schema):
    id: int
    name: str
    manager: UserRef | None
    members: list[UserRef]
    active: bool


def team_out(team: Any) -> dict[str, Any]:
    return {
        "id": team.pk, "name": team.name, "manager": user_ref(team.manager if team.manager_id else None),
        "members": [user_ref(member) for member in team.members.all()], "active": team.active,
    }


class TeamList(Schema):
    items: list[TeamOut]


class MailOut(Schema):
    outcome: str = Field(..., description="created (a new ticket), added (to an existing ticket), duplicate, or ignored")
    ticket: int | None
    reference: str | None
    message: int | None
