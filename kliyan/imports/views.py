"""Pages: the list of imports, the upload, the mapping with its preview, the progress, undo.

They parse, call a service or query, and render; the work is in services and queries.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm, can
from kliyan.core.errors import KliyanError
from kliyan.core.pagination import keyset_page
from kliyan.core.web import apply_errors, is_htmx, perm_required
from kliyan.imports import queries, services
from kliyan.imports.choices import COMMERCE_TARGETS, ImportStatus
from kliyan.imports.forms import MappingForm, UploadForm, column_field_name
from kliyan.imports.models import Import
from kliyan.imports.readers import ENCODING_LABELS

IMPORTS_PER_PAGE = 25
DELIMITER_LABELS = {",": ",", ";": ";", "\t": "Tab", "|": "|"}


def _import(pk: int) -> Import:
    return get_object_or_404(Import.objects.select_related("created_by"), pk=pk)


@perm_required(Perm.IMPORT_DATA)
def import_list(request: HttpRequest) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    try:
        page = keyset_page(queries.imports_for_list(), ordering=["-created_at", "-id"], cursor=cursor, size=IMPORTS_PER_PAGE)
    except KliyanError:
        cursor = None
        page = keyset_page(queries.imports_for_list(), ordering=["-created_at", "-id"], cursor=None, size=IMPORTS_PER_PAGE)
    return render(request, "imports/list.html", {"page": page, "cursor": cursor})


@perm_required(Perm.IMPORT_DATA)
def import_new(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    commerce_refused = (
        request.method == "POST" and form.is_valid() and form.cleaned_data["target"] in COMMERCE_TARGETS
        and not can(request.user, Perm.INGEST_COMMERCE)
    )
    if commerce_refused:
        form.add_error("target", _("Your role may not import products or orders."))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imported = services.import_upload(actor=request.user, upload=upload, target=form.cleaned_data["target"], name=upload.name)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            return redirect(imported)
    return render(request, "imports/new.html", {"form": form}, status=422 if form.errors else 200)


def _mapping_errors(form: MappingForm, error: KliyanError) -> None:
    field_map = {f"mapping.{header}": column_field_name(i) for i, header in enumerate(form.import_.headers)}
    apply_errors(form, error, field_map)


@perm_required(Perm.IMPORT_DATA)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the mapping and preview (before the run), the progress (during) or the results (after)."""
    imported = _import(pk)
    editable = imported.status in (ImportStatus.UPLOADED, ImportStatus.CHECKED) and imported.file_deleted_at is None
    form = MappingForm(request.POST or None, import_=imported) if editable else None
    if request.method == "POST" and form is not None and form.is_valid():
        action = request.POST.get("action", "preview")
        try:
            imported = services.import_configure(
                actor=request.user, import_=imported, mapping=form.mapping(), on_duplicate=form.cleaned_data["on_duplicate"],
                source=form.cleaned_data.get("source") if imported.is_commerce else None,
            )
            if action in ("check", "start"):
                services.import_start(actor=request.user, import_=imported, dry_run=action == "check")
                messages.success(request, _("The whole file is being checked; nothing is written.") if action == "check"
                                 else _("The import has started."))
        except KliyanError as error:
            _mapping_errors(form, error)
        else:
            return redirect(imported)
    context = {
        "import": imported, "form": form, "editable": editable,
        "preview": queries.preview(imported, form.mapping() if form is not None and form.is_bound and form.is_valid() else None) if editable else None,
        "problems": queries.first_problems(imported),
        "encoding_label": ENCODING_LABELS.get(imported.encoding, imported.encoding),
        "delimiter_label": DELIMITER_LABELS.get(imported.delimiter, imported.delimiter),
    }
    return render(request, "imports/detail.html", context, status=422 if form is not None and form.errors else 200)


@perm_required(Perm.IMPORT_DATA)
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the progress card (polled by HTMX); once the run has ended, reload the page for its results."""
    imported = _import(pk)
    response = render(request, "imports/partials/_progress.html", {"import": imported})
    if is_htmx(request) and not imported.is_active:
        response["HX-Refresh"] = "true"
    return response


@perm_required(Perm.IMPORT_DATA)
def import_report(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    imported = _import(pk)
    response = StreamingHttpResponse(queries.report_lines(imported), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{imported.pk}-report.csv"'
    return response


@perm_required(Perm.IMPORT_DATA)
def import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    imported = _import(pk)
    if request.method == "POST":
        try:
            services.import_undo(actor=request.user, import_=imported)
        except KliyanError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The import is being undone."))
        return redirect(imported)
    return render(request, "imports/undo.html", {"import": imported})


@require_POST
@perm_required(Perm.IMPORT_DATA)
def import_resume(request: HttpRequest, pk: int) -> HttpResponse:
    imported = _import(pk)
    try:
        services.import_resume(actor=request.user, import_=imported)
    except KliyanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The import goes on after row %(row)d.") % {"row": imported.last_row})
    return redirect(imported)
