"""Pages of automations: the list with each one's last run, writing one, and its detail with recent messages.

They parse, call a service or a query, render. Anyone who sends messages may look;
writing, pausing and deleting are for managers.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm, can
from kliyan.core.errors import KliyanError
from kliyan.core.web import apply_errors, perm_required
from kliyan.marketing import automation_queries as queries
from kliyan.marketing import automation_services as services
from kliyan.marketing.automation_forms import AutomationForm
from kliyan.marketing.models import Automation


def _automation(pk: int) -> Automation:
    automation = queries.automation_detail(pk)
    if automation is None:
        raise Http404
    return automation


@perm_required(Perm.SEND_MESSAGES)
def automation_list(request: HttpRequest) -> HttpResponse:
    return render(request, "marketing/automations/list.html", {
        "automations": list(queries.automation_list()[:200]), "can_manage": can(request.user, Perm.MANAGE_MARKETING),
    })


def _editor(request: HttpRequest, automation: Automation | None) -> HttpResponse:
    form = AutomationForm(request.POST or None, initial=AutomationForm.initial_for(automation))
    if request.method == "POST" and form.is_valid():
        try:
            if automation is None:
                automation = services.automation_create(actor=request.user, data=form.service_data())
            else:
                automation = services.automation_update(actor=request.user, automation=automation, data=form.service_data())
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Automation “%(name)s” saved.") % {"name": automation.name})
            return redirect("marketing:automation_detail", pk=automation.pk)
    return render(request, "marketing/automations/form.html", {"form": form, "automation": automation},
                  status=422 if form.errors else 200)


@perm_required(Perm.MANAGE_MARKETING)
def automation_create(request: HttpRequest) -> HttpResponse:
    return _editor(request, None)


@perm_required(Perm.MANAGE_MARKETING)
def automation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _editor(request, _automation(pk))


@perm_required(Perm.SEND_MESSAGES)
def automation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    automation = _automation(pk)
    context: dict[str, Any] = {
        "automation": automation, "recent": queries.recent_messages(automation),
        "can_manage": can(request.user, Perm.MANAGE_MARKETING),
    }
    return render(request, "marketing/automations/detail.html", context)


def _act(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    try:
        action(actor=request.user, automation=_automation(pk))
    except KliyanError as error:
        for problem in [m for msgs in error.field_errors.values() for m in msgs] or [error.message]:
            messages.error(request, problem)
    else:
        messages.success(request, done)
    return redirect("marketing:automation_detail", pk=pk)


@require_POST
@perm_required(Perm.MANAGE_MARKETING)
def automation_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.automation_pause, _("Automation paused."))


@require_POST
@perm_required(Perm.MANAGE_MARKETING)
def automation_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.automation_resume, _("Automation running again."))


@require_POST
@perm_required(Perm.MANAGE_MARKETING)
def automation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.automation_delete(actor=request.user, automation=_automation(pk))
    messages.success(request, _("Automation deleted; the messages it stored stay in the outbox."))
    return redirect("marketing:automation_list")
