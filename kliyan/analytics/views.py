"""Pages of the analytics app: the managers' recommendations page and the contact page panel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm, can
from kliyan.analytics import queries, services
from kliyan.analytics.models import RunStatus
from kliyan.analytics.recommendations import recommendations_for
from kliyan.core.web import is_htmx, perm_required

TOP_PAIRS = 50
# The page rebuilds the numbers for everybody: the people who run the commerce data
# (Manager and Admin, commerce.ingest) may look at it and ask for it.
MANAGE = Perm.INGEST_COMMERCE


def _status_context() -> dict[str, Any]:
    runs = queries.latest_runs()
    current = runs[0] if runs else None
    last_done = queries.last_finished_run()
    return {
        "current": current,
        "active": current is not None and current.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        "last_done": last_done,
        "runs": runs,
        "pending": queries.pending_customers(),
    }


@perm_required(MANAGE)
def recommendations_page(request: HttpRequest) -> HttpResponse:
    """Show the top product pairs and the state of the rebuild (the status alone for HTMX polling)."""
    context = _status_context()
    if is_htmx(request):
        return render(request, "analytics/_rebuild_status.html", context)
    context["pairs"] = list(queries.top_pairs(TOP_PAIRS))
    return render(request, "analytics/recommendations.html", context)


@require_POST
@perm_required(MANAGE)
def recompute(request: HttpRequest) -> HttpResponse:
    """Queue a full rebuild (at most one at a time) and come back to the page."""
    created = services.rebuild_request(actor=request.user)[1]
    if created:
        messages.success(request, _("The recount is queued."))
    else:
        messages.info(request, _("A recount is already under way."))
    if is_htmx(request):
        return render(request, "analytics/_rebuild_status.html", _status_context())
    return redirect("analytics:recommendations")


def contact_recommendations_panel(request: HttpRequest, contact: Any) -> dict[str, Any]:
    """Fill the "Goes well with what they bought" panel of the contact page."""
    if not can(request.user, Perm.VIEW_COMMERCE):
        return {"allowed": False, "recommendations": []}
    return {"allowed": True, "recommendations": recommendations_for(contact.pk)}
