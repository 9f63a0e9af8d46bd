"""API shapes of segments: the saved segment, a count request and its answer, a segment's contacts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input, PageOut
from kliyan.marketing.models import Segment

RULE_HELP = (
    'A tree of groups and conditions: {"all": [{"field": "birthday", "op": "this_month"}, '
    '{"any": [{"field": "tag", "op": "has", "value": 3}, {"field": "total_spend", "op": "gte", "value": 5000}]}]}; '
    "GET /segments/fields lists the fields, their operators and the kind of value each takes"
)


class SegmentIn(Input):
    name: str | None = Field(None, description="Unique, at most 100 characters")
    description: str | None = None
    # Any JSON: kliyan.marketing.segments checks it and names the path of each bad node.
    rule: Any = Field(None, description=RULE_HELP)


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    rule: Any
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SegmentPage(PageOut):
    items: list[SegmentOut]


class CountIn(Input):
    rule: Any = Field(..., description=RULE_HELP)
    preview: int = Field(0, ge=0, le=20, description="Also return this many of the contacts, by name (at most 20)")


class SegmentContact(Schema):
    id: int
    name: str
    company: str | None
    primary_email: str
    primary_phone: str
    language: str
    archived: bool


class CountOut(Schema):
    count: int
    contacts: list[SegmentContact] = Field(default_factory=list, description="The first `preview` contacts, by name")


class SegmentContactPage(PageOut):
    items: list[SegmentContact]


class CatalogueOut(Schema):
    fields: list[dict[str, Any]] = Field(
        description="key, label, group, ops (key, label, value kind, days), and choices for fields with a fixed list")
    options: dict[str, list[dict[str, Any]]] = Field(
        description="tag, interest, category, ticket_category, user → [{id, label}]; products and companies go by id")
    max_depth: int


def segment_out(segment: Segment) -> dict[str, Any]:
    return {
        "id": segment.pk, "name": segment.name, "description": segment.description, "rule": segment.rule,
        "created_by_id": segment.created_by_id, "created_at": segment.created_at, "updated_at": segment.updated_at,
    }


def segment_contact_out(contact: Any) -> dict[str, Any]:
    return {
        "id": contact.pk, "name": contact.display_name, "company": contact.company.name if contact.company_id else None,
        "primary_email": contact.primary_email, "primary_phone": contact.primary_phone, "language": contact.language,
        "archived": contact.archived_at is not None,
    }
