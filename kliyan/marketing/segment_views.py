"""Pages of segments: the list, the rule builder (new and saved), counting and deleting. They parse, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm, can
from kliyan.core.errors import KliyanError, NotFound, ValidationFailed
from kliyan.core.web import apply_errors, perm_required
from kliyan.marketing import segment_queries as queries
from kliyan.marketing import segment_services as services
from kliyan.marketing.models import Segment
from kliyan.marketing.segment_forms import SegmentForm
from kliyan.marketing.segments import catalogue, count

PREVIEW_SIZE = 10


def _segment(pk: int) -> Segment:
    try:
        return services.get_segment(pk)
    except NotFound:
        raise Http404 from None


@perm_required(Perm.SEND_MESSAGES)
def segment_list(request: HttpRequest) -> HttpResponse:
    """Saved segments by name; counts are asked for one at a time (they can take a moment on a big database)."""
    return render(request, "marketing/segments/segment_list.html", {
        "segments": list(queries.segment_list()), "can_manage": can(request.user, Perm.MANAGE_MARKETING),
    })


def _builder(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    can_manage = can(request.user, Perm.MANAGE_MARKETING)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    form = SegmentForm(request.POST or None, initial=SegmentForm.initial_for(segment))
    rule_errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.is_valid():
        try:
            if segment is None:
                segment = services.segment_create(actor=request.user, data=form.service_data())
            else:
                segment = services.segment_update(actor=request.user, segment=segment, data=form.service_data())
        except KliyanError as error:
            rule_errors = {path: msgs for path, msgs in error.field_errors.items() if path.startswith("rule")}
            apply_errors(form, KliyanError(error.message, field_errors={
                k: v for k, v in error.field_errors.items() if not k.startswith("rule")}))
            if rule_errors:
                form.add_error("rule", _("The rule has mistakes; they are shown next to each condition."))
        else:
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
            return redirect("marketing:segment_detail", pk=segment.pk)
    context: dict[str, Any] = {
        "form": form, "segment": segment, "can_manage": can_manage, "catalogue": catalogue(),
        "rule": form.current_rule(), "rule_errors": rule_errors,
    }
    return render(request, "marketing/segments/segment_form.html", context, status=422 if form.errors else 200)


@perm_required(Perm.MANAGE_MARKETING)
def segment_create(request: HttpRequest) -> HttpResponse:
    return _builder(request, None)


@perm_required(Perm.SEND_MESSAGES)
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The rule builder for a saved segment: anyone who sends messages may look and count, managers change it."""
    return _builder(request, _segment(pk))


@perm_required(Perm.SEND_MESSAGES)
def segment_count(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the count of one saved segment (an HTMX fragment in the list)."""
    segment = _segment(pk)
    try:
        number: int | None = count(segment.rule)
    except ValidationFailed:
        number = None
    return render(request, "marketing/segments/_count.html", {"segment": segment, "number": number})


@require_POST
@perm_required(Perm.MANAGE_MARKETING)
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment(pk)
    try:
        services.segment_delete(actor=request.user, segment=segment)
    except KliyanError as error:
        messages.error(request, error.message)
        return redirect("marketing:segment_detail", pk=pk)
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("marketing:segment_list")
