"""API v1 of customer feedback: results, NPS campaigns, a contact's or a ticket's survey invitations.

Endpoints parse, check the permission, call a service or query, and render.
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
from kliyan.core.api_types import MAX_ID, ObjectId
from kliyan.core.errors import NotFound, ValidationFailed
from kliyan.core.pagination import keyset_page
from kliyan.feedback import campaigns, queries
from kliyan.feedback.filters import result_filters
from kliyan.feedback.links import link_for, may_hand_out_links
from kliyan.feedback.models import NpsCampaign, SurveyInvitation
from kliyan.feedback.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPage,
    InvitationList,
    ResultsOut,
    campaign_out,
    invitation_out,
    results_out,
)

router = Router(tags=["feedback"])
CAMPAIGN_ORDERING = ["-created_at", "-id"]
INVITATIONS_LISTED = 100


@router.get("/feedback/results", response=ResultsOut, by_alias=True, summary="CSAT or NPS results, grouped, with the latest comments")
def results(
    request: HttpRequest,
    kind: str = Query("csat", description="csat or nps"),
    date_from: str = Query("", alias="from", description="First day (YYYY-MM-DD, the organisation's days); 30 days ago by default"),
    date_to: str = Query("", alias="to", description="Last day, included; today by default"),
    group_by: str = Query("", description="category, product, agent or team"),
    campaign: str = Query("", description="Only this NPS campaign's invitations (its id)"),
) -> dict[str, Any]:
    """Figures of the surveys sent in the period: CSAT average and % satisfied (4–5), or NPS
    (% promoters − % detractors) with its counts; answers, response rate; per group; the
    newest comments. An Agent gets the surveys of the tickets they resolved (`scope: own`)."""
    user = actor(request, Perm.VIEW_FEEDBACK)
    filters = result_filters(
        {"kind": kind, "from": date_from, "to": date_to, "group_by": group_by, "campaign": campaign}, user=user,
    )
    return results_out(queries.results(filters))


def _campaign(pk: int) -> NpsCampaign:
    campaign = queries.campaigns().filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if campaign is None:
        raise NotFound(_("There is no campaign with id %(id)s.") % {"id": pk})
    return campaign


@router.get("/feedback/campaigns", response=CampaignPage, summary="List NPS campaigns, newest first")
def campaign_list(request: HttpRequest, cursor: str | None = None, limit: int = LIMIT) -> HttpResponse:
    actor(request, Perm.MANAGE_FEEDBACK)
    page = keyset_page(queries.campaigns(), ordering=CAMPAIGN_ORDERING, cursor=cursor, size=limit)
    return json_page([campaign_out(c) for c in page.items], page.next_cursor)


@router.post("/feedback/campaigns", response={201: CampaignOut}, summary="Start an NPS campaign")
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    """Store the campaign and create its invitations in the background (poll the campaign for progress).

    The invitations are e-mailed a batch at a time; invitations for contacts without an
    e-mail address wait for their channel (SMS, WhatsApp) or for staff to hand the link over.
    """
    user = actor(request, Perm.MANAGE_FEEDBACK)
    campaign = campaigns.campaign_create(actor=user, data=payload.model_dump(exclude_unset=True))
    return Status(201, campaign_out(_campaign(campaign.pk), queries.campaign_counts(campaign.pk)))


@router.get("/feedback/campaigns/{int:campaign_id}", response=CampaignOut, summary="Read a campaign and its progress")
def campaign_detail(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    actor(request, Perm.MANAGE_FEEDBACK)
    campaign = _campaign(campaign_id)
    return campaign_out(campaign, queries.campaign_counts(campaign.pk))


@router.get("/feedback/invitations", response=InvitationList, summary="A contact's or a ticket's survey invitations")
def invitation_list(request: HttpRequest, contact: ObjectId | None = None, ticket: ObjectId | None = None) -> dict[str, Any]:
    """The newest 100 invitations of a contact (or the one of a ticket), with the answer and,
    for Agents and up, the link to hand over."""
    user = actor(request, Perm.VIEW_CUSTOMERS)
    if contact is None and ticket is None:
        raise ValidationFailed(field_errors={"contact": [_("Give a contact or a ticket.")]})
    if ticket is not None:
        actor(request, Perm.VIEW_TICKETS)
    qs = SurveyInvitation.objects.select_related("response")
    if contact is not None:
        qs = qs.filter(contact_id=contact)
    if ticket is not None:
        qs = qs.filter(ticket_id=ticket)
    links = may_hand_out_links(user)
    return {"items": [
        invitation_out(invitation, link_for(request, invitation) if links else None)
        for invitation in qs.order_by("-created_at", "-id")[:INVITATIONS_LISTED]
    ]}
