"""API shapes of customer feedback (unknown input fields are refused by name).

Output helpers build plain dicts, as the other apps' schemas do; the schemas describe them
in the OpenAPI document and the tests check answers against them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input, PageOut, UserRef, user_ref
from kliyan.core.api_types import ObjectId
from kliyan.feedback.models import NpsCampaign, SurveyInvitation
from kliyan.feedback.queries import Comment, Group, Results


class FiguresOut(Schema):
    invited: int = Field(..., description="Invitations created in the period")
    answered: int
    response_rate: float | None = Field(None, description="answered / invited, in %")
    average: float | None = Field(None, description="Mean score (CSAT 1–5, NPS 0–10)")
    satisfied: int | None = Field(None, description="CSAT: answers of 4 or 5")
    satisfied_percent: float | None = Field(None, description="CSAT: % of answers that are 4 or 5")
    nps: int | None = Field(None, description="NPS: % promoters (9–10) − % detractors (0–6), −100 to 100")
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None


class GroupOut(Schema):
    key: int | None = Field(None, description="The category, product, agent (user) or team id; null for none")
    label: str
    figures: FiguresOut


class CommentOut(Schema):
    id: int
    score: int
    comment: str
    answered_at: dt.datetime
    contact: int
    contact_name: str
    ticket: int | None = None
    reference: str | None = None


class ResultsOut(Schema):
    kind: str
    date_from: dt.date = Field(..., alias="from")
    date_to: dt.date = Field(..., alias="to")
    group_by: str | None = None
    campaign: int | None = None
    scope: str = Field(..., description="all, or own (an agent sees the surveys of the tickets they resolved)")
    total: FiguresOut
    groups: list[GroupOut]
    comments: list[CommentOut]


def _group_out(group: Group) -> dict[str, Any]:
    return {"key": group.key, "label": group.label, "figures": group.figures.as_dict()}


def _comment_out(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id, "score": comment.score, "comment": comment.comment, "answered_at": comment.answered_at,
        "contact": comment.contact_id, "contact_name": comment.contact_name, "ticket": comment.ticket_id,
        "reference": comment.reference or None,
    }


def results_out(results: Results) -> dict[str, Any]:
    filters = results.filters
    return {
        "kind": filters.kind, "from": filters.date_from, "to": filters.date_to, "group_by": filters.group_by or None,
        "campaign": filters.campaign_id, "scope": "all" if filters.agent_id is None else "own",
        "total": results.total.as_dict(), "groups": [_group_out(g) for g in results.groups],
        "comments": [_comment_out(c) for c in results.comments],
    }


# --- Campaigns ------------------------------------------------------------------------------


class CampaignIn(Input):
    name: str = Field(..., description="For staff, e.g. “NPS spring 2026”")
    audience: str = Field(..., description="all_with_email (every active contact with an e-mail address who has not "
                                            "withdrawn e-mail consent), segment (the contacts of segment_id, its rule "
                                            "as the campaign starts) or contacts (the ids in contact_ids)")
    contact_ids: list[ObjectId] | None = Field(None, description="With audience=contacts: up to 100,000 contact ids")
    segment_id: ObjectId | None = Field(None, description="With audience=segment: a saved segment's id")


class CampaignOut(Schema):
    id: int
    name: str
    audience: str
    segment_id: int | None = None
    status: str = Field(..., description="queued, running (creating invitations), done or failed")
    total: int = Field(..., description="Contacts to ask")
    processed: int = Field(..., description="Contacts done so far")
    invited: int = Field(..., description="Invitations created")
    percent_done: int
    error: str
    created_by: UserRef | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    invitations: dict[str, int] | None = Field(None, description="Detail only: invitations by status")


class CampaignPage(PageOut):
    items: list[CampaignOut]


def campaign_out(campaign: NpsCampaign, counts: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "id": campaign.pk, "name": campaign.name, "audience": campaign.audience, "segment_id": campaign.segment_id,
        "status": campaign.status,
        "total": campaign.total, "processed": campaign.processed, "invited": campaign.invited,
        "percent_done": campaign.percent_done, "error": campaign.error, "created_by": user_ref(campaign.created_by),
        "created_at": campaign.created_at, "started_at": campaign.started_at, "finished_at": campaign.finished_at,
        "invitations": counts,
    }


# --- Invitations ----------------------------------------------------------------------------


class AnswerOut(Schema):
    score: int
    comment: str
    answered_at: dt.datetime


class InvitationOut(Schema):
    id: int
    kind: str = Field(..., description="csat or nps")
    contact: int
    ticket: int | None = None
    campaign: int | None = None
    language: str
    channel: str = Field(..., description="email, sms, whatsapp, or link (handed over by staff)")
    status: str = Field(..., description="queued, sent, opened, answered, expired or failed (not sent)")
    created_at: dt.datetime
    expires_at: dt.datetime
    sent_at: dt.datetime | None = None
    opened_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    expired_at: dt.datetime | None = None
    answer: AnswerOut | None = None
    url: str | None = Field(None, description="The survey link (Agent and up; null once answered or expired)")


class InvitationList(Schema):
    items: list[InvitationOut]


def invitation_out(invitation: SurveyInvitation, url: str | None) -> dict[str, Any]:
    response = getattr(invitation, "response", None) if invitation.answered_at else None
    return {
        "id": invitation.pk, "kind": invitation.kind, "contact": invitation.contact_id, "ticket": invitation.ticket_id,
        "campaign": invitation.campaign_id, "language": invitation.language, "channel": invitation.channel,
        "status": invitation.status, "created_at": invitation.created_at, "expires_at": invitation.expires_at,
        "sent_at": invitation.sent_at, "opened_at": invitation.opened_at, "answered_at": invitation.answered_at,
        "expired_at": invitation.expired_at,
        "answer": {"score": response.score, "comment": response.comment, "answered_at": response.answered_at} if response else None,
        "url": url or None,
    }
