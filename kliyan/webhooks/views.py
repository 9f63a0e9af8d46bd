"""Pages for admins: webhook endpoints, their deliveries, replays. They parse, call a service, render."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm
from kliyan.core.errors import KliyanError
from kliyan.core.pagination import keyset_page
from kliyan.core.web import apply_errors, perm_required
from kliyan.webhooks import queries, services
from kliyan.webhooks.choices import DeliveryStatus
from kliyan.webhooks.forms import EndpointEditForm, EndpointForm
from kliyan.webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVERIES_PER_PAGE = 25


def _status(form: Any) -> int:
    return 422 if form.errors else 200


def _show_secret(request: HttpRequest, endpoint: WebhookEndpoint, *, created: bool) -> HttpResponse:
    """Answer with the secret in this response only: no redirect could show it again."""
    response = render(request, "webhooks/endpoint_secret.html", {"endpoint": endpoint, "created": created})
    response.headers["Cache-Control"] = "no-store"
    return response


@perm_required(Perm.MANAGE_WEBHOOKS)
def endpoint_list(request: HttpRequest) -> HttpResponse:
    return render(request, "webhooks/endpoint_list.html", {"endpoints": list(queries.endpoints_with_counts())})


@perm_required(Perm.MANAGE_WEBHOOKS)
def endpoint_create(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(actor=request.user, data=form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            return _show_secret(request, endpoint, created=True)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": None}, status=_status(form))


@perm_required(Perm.MANAGE_WEBHOOKS)
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    initial = {name: getattr(endpoint, name) for name in ("url", "description", "all_events", "events", "active")}
    form = EndpointEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(actor=request.user, endpoint=endpoint, data=form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect(endpoint)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint}, status=_status(form))


@perm_required(Perm.MANAGE_WEBHOOKS)
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an endpoint, its actions and its deliveries, newest first, a page at a time."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    status = request.GET.get("status", "")
    if status not in DeliveryStatus.values:
        status = ""
    cursor = request.GET.get("cursor") or None
    qs = queries.deliveries(endpoint_id=endpoint.pk, status=status).defer("payload", "last_response_body")
    try:
        page = keyset_page(qs, ordering=["-created_at", "-id"], cursor=cursor, size=DELIVERIES_PER_PAGE)
    except KliyanError:
        cursor = None
        page = keyset_page(qs, ordering=["-created_at", "-id"], cursor=None, size=DELIVERIES_PER_PAGE)
    context = {
        "endpoint": endpoint, "page": page, "cursor": cursor, "status": status,
        "statuses": DeliveryStatus.choices,
    }
    return render(request, "webhooks/endpoint_detail.html", context)


@require_POST
@perm_required(Perm.MANAGE_WEBHOOKS)
def endpoint_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    services.endpoint_set_active(actor=request.user, endpoint=endpoint, active=not endpoint.active)
    messages.success(request, _("Endpoint enabled.") if not endpoint.active else _("Endpoint disabled."))
    return redirect(endpoint)


@require_POST
@perm_required(Perm.MANAGE_WEBHOOKS)
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    return _show_secret(request, services.endpoint_rotate_secret(actor=request.user, endpoint=endpoint), created=False)


@perm_required(Perm.MANAGE_WEBHOOKS)
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if request.method == "POST":
        services.endpoint_delete(actor=request.user, endpoint=endpoint)
        messages.success(request, _("Endpoint %(url)s deleted.") % {"url": endpoint.url})
        return redirect("webhooks:endpoint_list")
    return render(request, "webhooks/endpoint_delete.html", {"endpoint": endpoint})


@require_POST
@perm_required(Perm.MANAGE_WEBHOOKS)
def endpoint_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    try:
        delivery = services.endpoint_send_test(actor=request.user, endpoint=endpoint)
    except KliyanError as error:
        messages.error(request, error.message)
        return redirect(endpoint)
    messages.success(request, _("Test event queued."))
    return redirect(delivery)


@perm_required(Perm.MANAGE_WEBHOOKS)
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=pk)
    payload_text = json.dumps(delivery.payload, indent=2, ensure_ascii=False, sort_keys=True)
    return render(request, "webhooks/delivery_detail.html", {"delivery": delivery, "payload_text": payload_text})


@require_POST
@perm_required(Perm.MANAGE_WEBHOOKS)
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    try:
        services.delivery_replay(actor=request.user, delivery=delivery)
    except KliyanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Delivery queued again with the same webhook-id."))
    return redirect(delivery)
