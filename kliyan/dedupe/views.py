"""Pages: the likely duplicates, the scan's progress, "not duplicates", the merge and "Merge with…".

They parse, call a service or query, and render; the work is in finding, services and merge.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm
from kliyan.contacts.queries import search_contacts
from kliyan.core.errors import KliyanError
from kliyan.core.web import apply_errors, is_htmx, perm_required
from kliyan.dedupe import queries, services
from kliyan.dedupe.choices import PairStatus
from kliyan.dedupe.forms import MergeForm, PairFilterForm, choice_field_name
from kliyan.dedupe.merge import MAX_MERGED, contact_merge
from kliyan.dedupe.models import DuplicatePair, DuplicateScan

SEARCH_LIMIT = 10


def _back(request: HttpRequest) -> HttpResponse:
    """Go back to the list the button was on (its filters and page), never to another site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("dedupe:pair_list")


@perm_required(Perm.MERGE_CUSTOMERS)
def pair_list(request: HttpRequest) -> HttpResponse:
    """List likely duplicate pairs, best score first, a page at a time, with the latest scan."""
    form = PairFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status") or PairStatus.OPEN
    min_score = data.get("min_score") or 0
    cursor = request.GET.get("cursor") or None
    try:
        page = queries.pair_page(status=status, min_score=min_score, cursor=cursor, size=settings.KLIYAN_PAGE_SIZE)
    except KliyanError:
        cursor = None
        page = queries.pair_page(status=status, min_score=min_score, cursor=None, size=settings.KLIYAN_PAGE_SIZE)
    for pair in page.items:
        pair.reason_rows = queries.reason_labels(pair.reasons)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form, "page": page, "cursor": cursor, "status": status, "filter_query": query.urlencode(),
        "scan": queries.latest_scan(), "here": request.get_full_path(),
    }
    return render(request, "dedupe/pair_list.html", context)


@require_POST
@perm_required(Perm.MERGE_CUSTOMERS)
def scan_start(request: HttpRequest) -> HttpResponse:
    _scan, created = services.scan_request(actor=request.user)
    if created:
        messages.success(request, _("The search for duplicates has started."))
    else:
        messages.info(request, _("A search for duplicates is already running."))
    return redirect("dedupe:pair_list")


@perm_required(Perm.MERGE_CUSTOMERS)
def scan_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the scan card (polled by HTMX); once the scan has ended, reload the page for its pairs."""
    scan = get_object_or_404(DuplicateScan, pk=pk)
    response = render(request, "dedupe/partials/_scan.html", {"scan": scan})
    if is_htmx(request) and not scan.is_active:
        response["HX-Refresh"] = "true"
    return response


@require_POST
@perm_required(Perm.MERGE_CUSTOMERS)
def pair_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(DuplicatePair, pk=pk)
    try:
        services.pair_dismiss(actor=request.user, pair=pair)
    except KliyanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Marked as not duplicates: this pair will not be suggested again."))
    return _back(request)


@require_POST
@perm_required(Perm.MERGE_CUSTOMERS)
def pair_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(DuplicatePair, pk=pk)
    try:
        services.pair_reopen(actor=request.user, pair=pair)
    except KliyanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The pair is back on the list."))
    return _back(request)


def _ids(request: HttpRequest) -> list[int]:
    """Return the contact ids of the query (?ids=3&ids=7 or ?ids=3,7), in order, without repeats."""
    raw = request.GET.getlist("ids") + request.POST.getlist("ids")
    ids: list[int] = []
    for part in ",".join(raw).split(","):
        part = part.strip()
        if part.isdigit() and int(part) not in ids:
            ids.append(int(part))
    return ids


@perm_required(Perm.MERGE_CUSTOMERS)
def merge_page(request: HttpRequest) -> HttpResponse:
    """Compare the contacts side by side; choose the one kept and the values kept; merge."""
    ids = _ids(request)
    too_many = len(ids) > MAX_MERGED + 1
    contacts = [] if too_many else queries.contacts_for_merge(ids)
    unusable = [c for c in contacts if c.archived_at is not None]
    missing = [] if too_many else [pk for pk in ids if pk not in {c.pk for c in contacts}]
    if len(ids) < 2 or too_many or missing or unusable:
        context = {"missing": missing, "unusable": unusable, "too_few": len(ids) < 2, "too_many": too_many, "limit": MAX_MERGED + 1}
        return render(request, "dedupe/merge_refused.html", context, status=404 if missing else 422)
    survivor_id = _survivor(request, ids)
    preview = queries.merge_preview(contacts, survivor_id)
    for contact in contacts:
        contact.merge_records = preview.records_of(contact.pk)
    form = MergeForm(request.POST if request.method == "POST" else None, preview=preview)
    if request.method == "POST" and form.is_valid():
        try:
            result = contact_merge(
                actor=request.user, survivor_id=form.cleaned_data["survivor"], merged_ids=form.merged_ids(),
                fields=form.field_choices(),
            )
        except KliyanError as error:
            field_map = {"survivor_id": "survivor", **{f"fields.{row.name}": choice_field_name(row.name) for row in preview.rows}}
            apply_errors(form, error, field_map)
        else:
            count = len(result.merged_ids)
            messages.success(request, ngettext(
                "%(count)d contact was merged into this one.", "%(count)d contacts were merged into this one.", count,
            ) % {"count": count})
            return redirect(result.survivor)
    context = {"preview": preview, "form": form, "ids": ids}
    return render(request, "dedupe/merge.html", context, status=422 if form.errors else 200)


def _survivor(request: HttpRequest, ids: list[int]) -> int:
    """Return the contact proposed as the one kept: the one chosen (?keep=), else the first named."""
    chosen = request.POST.get("survivor") or request.GET.get("keep") or ""
    return int(chosen) if chosen.isdigit() and int(chosen) in ids else ids[0]


@perm_required(Perm.MERGE_CUSTOMERS)
def merge_with(request: HttpRequest, pk: int) -> HttpResponse:
    """From a contact's page: pick the other records of the same person (suggested, or searched)."""
    contacts = queries.contacts_for_merge([pk])
    if not contacts or contacts[0].archived_at is not None:
        raise Http404
    contact = contacts[0]
    q = request.GET.get("q", "").strip()[:200]
    suggested = []
    for pair in queries.pairs_of(pk):
        pair.other = pair.contact_b if pair.contact_a_id == pk else pair.contact_a
        pair.reason_rows = queries.reason_labels(pair.reasons)
        suggested.append(pair)
    shown = {pk} | {pair.other.pk for pair in suggested}
    found = [c for c in search_contacts(q, limit=SEARCH_LIMIT + len(shown)) if c.pk not in shown][:SEARCH_LIMIT] if q else []
    context = {
        "contact": contact, "q": q, "found": found, "suggested": suggested,
        "merge_url": reverse("dedupe:merge"), "search_url": f"{reverse('dedupe:merge_with', args=[pk])}?{urlencode({'q': q})}",
    }
    return render(request, "dedupe/merge_with.html", context)
