"""Pages of customer feedback: results, NPS campaigns (list, new, progress). The public survey page is in public_views.

They parse, call a service or a query, render; every view checks its permission.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm
from kliyan.core.errors import KliyanError
from kliyan.core.web import apply_errors, is_htmx, perm_required
from kliyan.feedback import campaigns as campaign_services
from kliyan.feedback import queries
from kliyan.feedback.choices import Audience, GroupBy, SurveyKind
from kliyan.feedback.filters import result_filters, sees_all_results
from kliyan.feedback.forms import CampaignForm
from kliyan.feedback.models import NpsCampaign

CAMPAIGNS_SHOWN = 50


@perm_required(Perm.VIEW_FEEDBACK)
def results(request: HttpRequest) -> HttpResponse:
    """CSAT or NPS results for a period, grouped by category, product, agent or team, and the latest comments."""
    errors: dict[str, list[str]] = {}
    try:
        filters = result_filters(request.GET, user=request.user)
    except KliyanError as error:
        errors = error.field_errors
        filters = result_filters({}, user=request.user)
    context = {
        "results": queries.results(filters), "filters": filters, "errors": errors, "raw": request.GET,
        "kinds": SurveyKind.choices, "group_choices": GroupBy.choices, "sees_all": sees_all_results(request.user),
    }
    return render(request, "feedback/results.html", context, status=422 if errors else 200)


def _campaign_or_404(pk: int) -> NpsCampaign:
    campaign = queries.campaigns().filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


@perm_required(Perm.MANAGE_FEEDBACK)
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The NPS campaigns, newest first, and the form to start one (every active contact with an e-mail address)."""
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            segment = form.cleaned_data["segment"]
            campaign = campaign_services.campaign_create(actor=request.user, data={
                "name": form.cleaned_data["name"], "audience": Audience.SEGMENT if segment else Audience.ALL_WITH_EMAIL,
                **({"segment_id": segment} if segment else {}),
            })
        except KliyanError as error:
            apply_errors(form, error, {"segment_id": "segment"})
        else:
            messages.success(request, _("Campaign started: the invitations are being created."))
            return redirect("feedback:campaign_detail", pk=campaign.pk)
    context = {
        "form": form, "campaigns": list(queries.campaigns()[:CAMPAIGNS_SHOWN]),
        "audience_size": campaign_services.audience_queryset(Audience.ALL_WITH_EMAIL).count(),
    }
    return render(request, "feedback/campaign_list.html", context, status=422 if form.errors else 200)


def _campaign_context(campaign: NpsCampaign) -> dict[str, Any]:
    return {
        "campaign": campaign, "counts": queries.campaign_counts(campaign.pk),
        "stalled": campaign_services.is_stalled(campaign),
    }


@perm_required(Perm.MANAGE_FEEDBACK)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A campaign: progress while its invitations are created (refreshed every 2 s), then where they stand and its NPS."""
    campaign = _campaign_or_404(pk)
    filters = queries.ResultFilters(
        kind=SurveyKind.NPS, date_from=timezone.localdate(campaign.created_at), date_to=timezone.localdate(),
        campaign_id=campaign.pk,
    )
    context = {**_campaign_context(campaign), "figures": queries.result_figures(filters)[0]}
    return render(request, "feedback/campaign_detail.html", context)


@perm_required(Perm.MANAGE_FEEDBACK)
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress box alone (HTMX polls it while the campaign runs)."""
    return render(request, "feedback/partials/_campaign_progress.html", _campaign_context(_campaign_or_404(pk)))


@require_POST
@perm_required(Perm.MANAGE_FEEDBACK)
def campaign_resume(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(pk)
    try:
        campaign_services.campaign_resume(actor=request.user, campaign=campaign)
    except KliyanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Campaign resumed."))
    if is_htmx(request):
        return campaign_progress(request, pk)
    return redirect("feedback:campaign_detail", pk=pk)
