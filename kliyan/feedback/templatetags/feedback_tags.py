"""Template helpers of customer feedback: badges for an invitation's status and a score's mood."""

from __future__ import annotations

from django import template

from kliyan.feedback.choices import CSAT_SATISFIED, NPS_DETRACTOR, NPS_PROMOTER, InvitationStatus, SurveyKind

register = template.Library()

_STATUS_STYLES = {
    InvitationStatus.ANSWERED: "badge--ok",
    InvitationStatus.EXPIRED: "badge--muted",
    InvitationStatus.FAILED: "badge--danger",
    InvitationStatus.QUEUED: "badge--muted",
}


@register.filter
def survey_status_style(status: str) -> str:
    return _STATUS_STYLES.get(status, "")


@register.filter
def score_style(score: int | None, kind: str) -> str:
    """Return the badge style of a score: good, middling or bad for its kind of survey."""
    if score is None:
        return "badge--muted"
    if kind == SurveyKind.CSAT:
        return "badge--ok" if score >= CSAT_SATISFIED else ("badge--danger" if score <= 2 else "badge--warn")
    return "badge--ok" if score >= NPS_PROMOTER else ("badge--danger" if score <= NPS_DETRACTOR else "badge--warn")


@register.filter
def out_of(kind: str) -> int:
    return 5 if kind == SurveyKind.CSAT else 10
