"""Reads of customer feedback: results by category, product, agent and team; a contact's and a ticket's surveys.

Results are aggregated in SQL: one grouped query over the invitations of the period (with
their answers joined) gives every group's counts and score sums; the totals are the sums
of the groups, and the figures (average, % satisfied, NPS, response rate) follow from the
counts. The period is when the invitations were created — for CSAT, when the tickets were
resolved — so the response rate compares like with like.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from kliyan.core.organisation import get_organisation
from kliyan.feedback.choices import CSAT_SATISFIED, NPS_DETRACTOR, NPS_PROMOTER, SurveyKind
from kliyan.feedback.models import NpsCampaign, SurveyInvitation, SurveyResponse
from kliyan.service.models import reference_for

LATEST_COMMENTS = 10
CONTACT_SURVEYS = 5
# Per dimension: the invitation column grouped on, and the columns its label is made of.
GROUP_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "category": ("category_id", ("category__name",)),
    "product": ("product_id", ("product__name",)),
    "agent": ("agent_id", ("agent__username", "agent__first_name", "agent__last_name")),
    "team": ("team_id", ("team__name",)),
}


@dataclass(frozen=True)
class ResultFilters:
    kind: str
    date_from: dt.date
    date_to: dt.date
    group_by: str = ""
    # Set for a user who sees only their own results (an agent): the invitations of their tickets.
    agent_id: int | None = None
    campaign_id: int | None = None


def _percent(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


@dataclass
class Figures:
    """The counts of one group (or of all), and what follows from them."""

    kind: str
    invited: int = 0
    answered: int = 0
    score_sum: int = 0
    high: int = 0  # CSAT satisfied (4–5) or NPS promoters (9–10)
    low: int = 0   # NPS detractors (0–6); CSAT 1–2

    def add(self, other: Figures) -> None:
        for name in ("invited", "answered", "score_sum", "high", "low"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def response_rate(self) -> float | None:
        return _percent(self.answered, self.invited)

    @property
    def average(self) -> float | None:
        return round(self.score_sum / self.answered, 2) if self.answered else None

    @property
    def satisfied_percent(self) -> float | None:
        return _percent(self.high, self.answered)

    @property
    def passives(self) -> int:
        return self.answered - self.high - self.low

    @property
    def nps(self) -> int | None:
        """% promoters − % detractors, from −100 to 100."""
        return round((self.high - self.low) * 100 / self.answered) if self.answered else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"invited": self.invited, "answered": self.answered, "response_rate": self.response_rate}
        if self.kind == SurveyKind.CSAT:
            out.update(average=self.average, satisfied=self.high, satisfied_percent=self.satisfied_percent)
        else:
            out.update(nps=self.nps, promoters=self.high, passives=self.passives, detractors=self.low,
                       average=self.average)
        return out


@dataclass
class Group:
    key: int | None
    label: str
    figures: Figures


@dataclass
class Comment:
    id: int
    score: int
    comment: str
    answered_at: dt.datetime
    contact_id: int
    contact_name: str
    ticket_id: int | None

    @property
    def reference(self) -> str:
        return reference_for(self.ticket_id) if self.ticket_id else ""


@dataclass
class Results:
    filters: ResultFilters
    total: Figures
    groups: list[Group] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)


def period_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return [start, end) of the days from `date_from` to `date_to` in the organisation's time zone."""
    try:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(get_organisation().timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _invitations(filters: ResultFilters) -> QuerySet:
    start, end = period_bounds(filters.date_from, filters.date_to)
    qs = SurveyInvitation.objects.filter(kind=filters.kind, created_at__gte=start, created_at__lt=end)
    if filters.agent_id is not None:
        qs = qs.filter(agent_id=filters.agent_id)
    if filters.campaign_id is not None:
        qs = qs.filter(campaign_id=filters.campaign_id)
    return qs


def metrics_for(kind: str) -> dict[str, Any]:
    if kind == SurveyKind.CSAT:
        high, low = Q(response__score__gte=CSAT_SATISFIED), Q(response__score__lte=2)
    else:
        high, low = Q(response__score__gte=NPS_PROMOTER), Q(response__score__lte=NPS_DETRACTOR)
    return {
        "n_invited": Count("id"), "n_answered": Count("response"), "n_score_sum": Sum("response__score"),
        "n_high": Count("response", filter=high), "n_low": Count("response", filter=low),
    }


def figures_from(kind: str, row: dict[str, Any]) -> Figures:
    return Figures(
        kind=kind, invited=row["n_invited"] or 0, answered=row["n_answered"] or 0, score_sum=row["n_score_sum"] or 0,
        high=row["n_high"] or 0, low=row["n_low"] or 0,
    )


def _label(group_by: str, row: dict[str, Any]) -> str:
    if group_by == "agent":
        full = f"{row['agent__first_name'] or ''} {row['agent__last_name'] or ''}".strip()
        return full or row["agent__username"] or ""
    return row[GROUP_COLUMNS[group_by][1][0]] or ""


def result_figures(filters: ResultFilters) -> tuple[Figures, list[Group]]:
    """Return the totals and, when grouping, each group's figures: one query."""
    invitations = _invitations(filters)
    metrics = metrics_for(filters.kind)
    if not filters.group_by:
        return figures_from(filters.kind, invitations.aggregate(**metrics)), []
    key, label_columns = GROUP_COLUMNS[filters.group_by]
    rows = invitations.order_by().values(key, *label_columns).annotate(**metrics)
    total = Figures(kind=filters.kind)
    groups = []
    for row in rows:
        figures = figures_from(filters.kind, row)
        total.add(figures)
        groups.append(Group(key=row[key], label=_label(filters.group_by, row), figures=figures))
    # Most answers first; the unassigned/uncategorised group (no key) last among equals.
    groups.sort(key=lambda g: (-g.figures.answered, -g.figures.invited, g.key is None, g.label.lower()))
    return total, groups


def latest_comments(filters: ResultFilters, limit: int = LATEST_COMMENTS) -> list[Comment]:
    """Return the newest answers with a comment among the filtered invitations: one query."""
    start, end = period_bounds(filters.date_from, filters.date_to)
    qs = SurveyResponse.objects.filter(
        kind=filters.kind, invitation__created_at__gte=start, invitation__created_at__lt=end,
    ).exclude(comment="")
    if filters.agent_id is not None:
        qs = qs.filter(invitation__agent_id=filters.agent_id)
    if filters.campaign_id is not None:
        qs = qs.filter(invitation__campaign_id=filters.campaign_id)
    rows = qs.order_by("-answered_at", "-id").values_list(
        "id", "score", "comment", "answered_at", "contact_id", "contact__display_name", "invitation__ticket_id",
    )[:limit]
    return [Comment(*row) for row in rows]


def results(filters: ResultFilters) -> Results:
    """Return the figures, the groups and the latest comments: two queries."""
    total, groups = result_figures(filters)
    return Results(filters=filters, total=total, groups=groups, comments=latest_comments(filters))


# --- One contact, one ticket, one campaign --------------------------------------------------------------


def contact_surveys(contact_id: int, limit: int = CONTACT_SURVEYS) -> list[SurveyInvitation]:
    """Return the contact's latest invitations with their answers: one query."""
    return list(
        SurveyInvitation.objects.filter(contact_id=contact_id).select_related("response", "campaign")
        .order_by("-created_at", "-id")[:limit]
    )


def ticket_survey(ticket_id: int) -> SurveyInvitation | None:
    """Return the ticket's CSAT invitation with its answer, or None: one query."""
    return SurveyInvitation.objects.filter(ticket_id=ticket_id).select_related("response").first()


def campaign_counts(campaign_id: int) -> dict[str, int]:
    """Return how many of the campaign's invitations stand in each status: one query."""
    rows = SurveyInvitation.objects.filter(campaign_id=campaign_id).order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def campaigns() -> QuerySet:
    return NpsCampaign.objects.select_related("created_by", "segment").order_by("-created_at", "-id")


def default_period(today: dt.date | None = None, days: int = 30) -> tuple[dt.date, dt.date]:
    """Return the last `days` days up to today, where the organisation is."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=days - 1), today
