"""Pages of campaigns: the list, writing one, its progress and results, and the comparison report.

They parse, call a service or a query, render. Anyone who sends messages may look at campaigns
and their results; writing, scheduling and cancelling are for managers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm, can
from kliyan.commerce.money import organisation_timezone, organisation_today
from kliyan.core.errors import KliyanError
from kliyan.core.web import apply_errors, is_htmx, perm_required
from kliyan.marketing import campaign_queries as queries
from kliyan.marketing import campaign_services as services
from kliyan.marketing.campaign_forms import ERROR_FIELDS, CampaignForm
from kliyan.marketing.choices import CampaignStatus
from kliyan.marketing.models import Campaign


def _campaign(pk: int) -> Campaign:
    campaign = queries.campaign_with_variants(pk)
    if campaign is None:
        raise Http404
    return campaign


@perm_required(Perm.SEND_MESSAGES)
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(request, "marketing/campaigns/list.html", {
        "campaigns": list(queries.campaign_list()[:200]), "can_manage": can(request.user, Perm.MANAGE_MARKETING),
    })


def _editor(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    form = CampaignForm(request.POST or None, initial=CampaignForm.initial_for(campaign))
    if request.method == "POST" and form.is_valid():
        try:
            if campaign is None:
                campaign = services.campaign_create(actor=request.user, data=form.service_data())
            else:
                campaign = services.campaign_update(actor=request.user, campaign=campaign, data=form.service_data())
        except KliyanError as error:
            apply_errors(form, error, ERROR_FIELDS)
        else:
            messages.success(request, _("Campaign “%(name)s” saved.") % {"name": campaign.name})
            return redirect("marketing:campaign_detail", pk=campaign.pk)
    return render(request, "marketing/campaigns/form.html", {"form": form, "campaign": campaign},
                  status=422 if form.errors else 200)


@perm_required(Perm.MANAGE_MARKETING)
def campaign_create(request: HttpRequest) -> HttpResponse:
    return _editor(request, None)


@perm_required(Perm.MANAGE_MARKETING)
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    if campaign.status not in services.EDITABLE:
        messages.error(request, _("A campaign can no longer be changed once it is %(status)s.") % {
            "status": campaign.get_status_display()})
        return redirect("marketing:campaign_detail", pk=pk)
    return _editor(request, campaign)


@perm_required(Perm.SEND_MESSAGES)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign, its progress (refreshed every few seconds while sending) and its results per variant."""
    campaign = _campaign(pk)
    context: dict[str, Any] = {
        "campaign": campaign, "progress": queries.progress_percent(campaign),
        "sending": campaign.status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING),
    }
    if is_htmx(request) and request.GET.get("part") == "progress":
        return render(request, "marketing/campaigns/_progress.html", context)
    context.update(
        results=queries.campaign_results(campaign), can_manage=can(request.user, Perm.MANAGE_MARKETING),
        editable=campaign.status in services.EDITABLE, cancellable=campaign.status in services.CANCELLABLE,
    )
    return render(request, "marketing/campaigns/detail.html", context)


def _act(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    try:
        action(actor=request.user, campaign=_campaign(pk))
    except KliyanError as error:
        problems = [m for msgs in error.field_errors.values() for m in msgs] or [error.message]
        for problem in problems:
            messages.error(request, problem)
    else:
        messages.success(request, done)
    return redirect("marketing:campaign_detail", pk=pk)


@require_POST
@perm_required(Perm.MANAGE_MARKETING)
def campaign_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.campaign_schedule, _("Campaign scheduled."))


@require_POST
@perm_required(Perm.MANAGE_MARKETING)
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.campaign_cancel, _("Campaign cancelled; its waiting messages will not be sent."))


@require_POST
@perm_required(Perm.MANAGE_MARKETING)
def campaign_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.campaign_delete(actor=request.user, campaign=_campaign(pk))
    except KliyanError as error:
        messages.error(request, error.message)
        return redirect("marketing:campaign_detail", pk=pk)
    messages.success(request, _("Campaign deleted."))
    return redirect("marketing:campaign_list")


class ReportForm(forms.Form):
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


@perm_required(Perm.SEND_MESSAGES)
def campaign_report(request: HttpRequest) -> HttpResponse:
    """Which promotion worked: campaigns started in the period, by revenue, with orders and conversion."""
    form = ReportForm(request.GET or None)
    chosen = form.cleaned_data if form.is_valid() else {}
    since, until = queries.report_period(chosen.get("since"), chosen.get("until"), today=organisation_today())
    zone = organisation_timezone()
    rows = queries.promotion_report(
        since=dt.datetime.combine(since, dt.time.min, zone), until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, zone),
    )
    from kliyan.commerce.money import organisation_currency

    return render(request, "marketing/campaigns/report.html", {
        "form": form, "rows": rows, "since": since, "until": until, "currency": organisation_currency(),
    })
