"""The "Customer satisfaction" part of the service desk's reports (/service/reports/, GET /api/v1/service/reports).

The service app offers a place for it (kliyan.service.reports.register_section); the report
covers the tickets of its scope opened in its period, so the CSAT figures here are those
tickets' surveys — one aggregate query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kliyan.feedback.choices import SurveyKind
from kliyan.feedback.models import SurveyInvitation
from kliyan.feedback.queries import figures_from, metrics_for


def csat_for_report(scope: Any, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Return the CSAT figures of the surveys of the scope's tickets opened in [start, end)."""
    tickets = scope.tickets().filter(created_at__gte=start, created_at__lt=end).values("pk")
    row = SurveyInvitation.objects.filter(kind=SurveyKind.CSAT, ticket_id__in=tickets).aggregate(**metrics_for(SurveyKind.CSAT))
    return figures_from(SurveyKind.CSAT, row).as_dict()


def register() -> None:
    try:
        from kliyan.service.reports import ReportSection, register_section
    except ImportError:  # a service desk without reports: nothing to add to
        return
    register_section(ReportSection(key="csat", build=csat_for_report, template="feedback/_service_report_csat.html"))
