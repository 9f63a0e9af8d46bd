"""Pages for SLA policies (managers) and the service desk reports. They parse, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm
from kliyan.core.errors import AccessDenied, KliyanError, ValidationFailed
from kliyan.core.web import apply_errors, perm_required
from kliyan.service import queries, reports, sla
from kliyan.service.models import SLAPolicy
from kliyan.service.sla_forms import ERROR_FIELDS, ReportFilterForm, SLAPolicyForm


@perm_required(Perm.MANAGE_SERVICE)
def sla_policy_list(request: HttpRequest) -> HttpResponse:
    """Every SLA policy: what it covers, its budgets and hours."""
    policies = list(SLAPolicy.objects.select_related("category").order_by("-is_default", "-active", "name", "id"))
    rows = [
        {
            "policy": policy,
            "first_response": sla.format_minutes(sla.minutes_of(policy.first_response_within)),
            "resolution": sla.format_minutes(sla.minutes_of(policy.resolution_within)),
        }
        for policy in policies
    ]
    return render(request, "service/sla_policy_list.html", {"rows": rows})


def _policy_form(request: HttpRequest, policy: SLAPolicy | None) -> HttpResponse:
    form = SLAPolicyForm(request.POST or None, initial=SLAPolicyForm.initial_for(policy), categories=queries.category_choices())
    if request.method == "POST" and form.is_valid():
        try:
            if policy is None:
                sla.sla_policy_create(actor=request.user, data=form.service_data())
            else:
                sla.sla_policy_update(actor=request.user, policy=policy, data=form.service_data())
        except KliyanError as error:
            apply_errors(form, error, ERROR_FIELDS)
        else:
            messages.success(request, _("SLA policy saved. Open tickets get their new due times in a moment."))
            return redirect("service:sla_policy_list")
    status = 422 if form.errors else 200
    return render(request, "service/sla_policy_form.html", {"form": form, "policy": policy}, status=status)


@perm_required(Perm.MANAGE_SERVICE)
def sla_policy_create(request: HttpRequest) -> HttpResponse:
    return _policy_form(request, None)


@perm_required(Perm.MANAGE_SERVICE)
def sla_policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _policy_form(request, get_object_or_404(SLAPolicy, pk=pk))


@perm_required(Perm.VIEW_SERVICE_REPORTS)
def service_reports(request: HttpRequest) -> HttpResponse:
    """Open tickets by age, SLA compliance, medians, top categories and products, per agent and team."""
    form = ReportFilterForm(request.GET, teams=reports.report_teams(request.user))
    start, end, team_id = form.values()
    context: dict[str, Any] = {"form": form}
    try:
        scope = reports.report_scope(request.user, team_id)
        start, end = reports.period(start, end)
    except ValidationFailed as error:
        apply_errors(form, error)
        return render(request, "service/reports.html", context, status=422)
    except AccessDenied:
        raise PermissionDenied from None
    report = reports.service_report(scope=scope, start=start, end=end)
    context.update({
        "report": report, "start": start, "end": end, "scope": scope, "now": timezone.now(),
        "sections": [(section, report[section.key]) for section in reports.SECTIONS.values()],
    })
    return render(request, "service/reports.html", context)
