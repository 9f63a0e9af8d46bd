"""What customer feedback adds to shared places: the contact's timeline (surveys sent, answers
given), a "Satisfaction" panel on the contact page, a CSAT box on the ticket page, and the
"satisfaction" section of the call screen pop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kliyan.core.links import id_url
from kliyan.core.prepared import PreparedRead, once_per
from kliyan.core.registry import (
    ContactPanel,
    PagePanel,
    PopSection,
    TimelineEntry,
    register_contact_panel,
    register_page_panel,
    register_pop_read,
    register_pop_section,
    register_timeline_source,
)
from kliyan.feedback import queries
from kliyan.feedback.choices import SCORE_RANGE, InvitationStatus, SurveyKind
from kliyan.feedback.csat import csat_enabled
from kliyan.feedback.links import link_for, may_hand_out_links
from kliyan.feedback.models import SurveyInvitation, SurveyResponse
from kliyan.service.models import reference_for

STATUS_LABELS = dict(InvitationStatus.choices)


def _survey_title(kind: str, ticket_id: int | None) -> str:
    if kind == SurveyKind.CSAT and ticket_id:
        return _("Satisfaction survey about %(reference)s") % {"reference": reference_for(ticket_id)}
    return _("Recommendation survey (NPS)") if kind == SurveyKind.NPS else _("Satisfaction survey")


def survey_entries(contact_id: int, limit: int, before: dt.datetime | None) -> Iterable[TimelineEntry]:
    """Return the surveys the contact was asked, newest first, as timeline entries: one query."""
    qs = SurveyInvitation.objects.filter(contact_id=contact_id)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    rows = qs.order_by("-created_at", "-id").values_list("id", "created_at", "kind", "ticket_id", "status", "channel")[:limit]
    for pk, created_at, kind, ticket_id, status, channel in rows:
        yield TimelineEntry(
            kind="survey", id=pk, at=created_at, title=_survey_title(kind, ticket_id), icon="check",
            channel=channel, url=reverse("service:ticket_detail", args=[ticket_id]) if ticket_id else "",
            data={"status": status, "status_label": str(STATUS_LABELS.get(status, status))},
        )


def answer_entries(contact_id: int, limit: int, before: dt.datetime | None) -> Iterable[TimelineEntry]:
    """Return the contact's survey answers, newest first, as timeline entries: one query."""
    qs = SurveyResponse.objects.filter(contact_id=contact_id)
    if before is not None:
        qs = qs.filter(answered_at__lt=before)
    rows = qs.order_by("-answered_at", "-id").values_list("id", "answered_at", "kind", "score", "comment", "invitation__ticket_id")[:limit]
    for pk, answered_at, kind, score, comment, ticket_id in rows:
        high = SCORE_RANGE[kind][1]
        yield TimelineEntry(
            kind="survey_answer", id=pk, at=answered_at, icon="check", body=comment,
            title=_("Survey answer, %(survey)s: %(score)d/%(high)d") % {
                "survey": SurveyKind(kind).label, "score": score, "high": high,
            },
            url=reverse("service:ticket_detail", args=[ticket_id]) if ticket_id else "",
            data={"score": score, "kind": kind},
        )


def contact_panel(request: HttpRequest, contact: Any) -> dict[str, Any]:
    """Fill the contact page's "Satisfaction" panel: the latest surveys, answers and (for staff who hand them over) links."""
    surveys = queries.contact_surveys(contact.pk)
    links = may_hand_out_links(request.user)
    return {
        "surveys": [{"invitation": s, "url": link_for(request, s) if links else ""} for s in surveys],
    }


def ticket_panel(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    """Fill the ticket page's CSAT box: the invitation's status, the answer, the link for agents."""
    survey = queries.ticket_survey(ticket.pk)
    if survey is None and not csat_enabled():
        return None
    return {
        "survey": survey, "url": link_for(request, survey) if survey is not None and may_hand_out_links(request.user) else "",
    }


def _latest_answers(contact_id: int) -> QuerySet:
    def latest(kind: str) -> QuerySet:
        return SurveyResponse.objects.filter(contact_id=contact_id, kind=kind).order_by("-answered_at", "-id").values("pk")[:1]

    return SurveyResponse.objects.filter(Q(pk=Subquery(latest(SurveyKind.CSAT))) | Q(pk=Subquery(latest(SurveyKind.NPS)))).values_list(
        "kind", "score", "comment", "answered_at", "invitation__ticket_id",
    )


POP_READ = "feedback_pop"


def _pop_read(contact: Any) -> PreparedRead:
    return PreparedRead("pop.feedback.latest", {"latest": _latest_answers}, {"contact_id": contact.pk})


def satisfaction_section(contact: Any) -> dict[str, Any] | None:
    """Return the caller's last CSAT and last NPS answer (score, comment, when): one query, compiled once."""
    rows = once_per(contact, POP_READ, lambda: _pop_read(contact).run())["latest"]
    if not rows:
        return None
    section: dict[str, Any] = {"csat": None, "nps": None}
    for kind, score, comment, answered_at, ticket_id in rows:
        section[kind] = {
            "score": score, "out_of": SCORE_RANGE[kind][1], "comment": comment, "answered_at": answered_at.isoformat(),
            "ticket": reference_for(ticket_id) if ticket_id else None,
            "url": id_url("service:ticket_detail", ticket_id) if ticket_id else None,
        }
    return section


def register() -> None:
    register_timeline_source("survey", survey_entries)
    register_timeline_source("survey_answer", answer_entries)
    register_contact_panel(ContactPanel(name="satisfaction", template="feedback/_contact_panel.html", context=contact_panel, order=16))
    register_page_panel("ticket", PagePanel(name="csat", template="feedback/_ticket_panel.html", context=ticket_panel, order=20))
    register_pop_read(POP_READ, _pop_read)
    register_pop_section(PopSection(
        name="satisfaction", build=satisfaction_section, template="feedback/pop/_satisfaction.html", order=27, read=POP_READ,
    ))
