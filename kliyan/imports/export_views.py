"""Pages: download the contact or company list, with the search and filters it shows, as CSV, Excel or vCard.

CSV and vCard stream as they are written (constant memory, the download starts at once).
An XLSX file is a zip archive whose directory comes last, so it is written to a temporary
file first (openpyxl's write-only mode, rows on disk as they come) and then served. That is
simpler and sturdier than a background task with a stored file of customer data to guard and
clean up; the price is a wait before the download starts, so an Excel export is capped at
`exports.XLSX_MAX_ROWS` rows and a longer list is sent to CSV, which streams at any size.
"""

from __future__ import annotations

import dataclasses
import tempfile
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kliyan.accounts.access import Perm
from kliyan.contacts import queries as contact_queries
from kliyan.contacts.forms import ContactFilterForm
from kliyan.core.errors import KliyanError
from kliyan.core.web import perm_required
from kliyan.imports.choices import FileFormat, ImportTarget
from kliyan.imports.export_formats import (
    CSV_CONTENT_TYPE,
    VCARD_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    csv_stream,
    vcard_stream,
    write_xlsx,
)
from kliyan.imports.exports import ExportPlan, export_begin

STATUSES = ("active", "archived", "all")


def export_response(plan: ExportPlan) -> HttpResponseBase:
    """Return the file of an audited export: streamed (CSV, vCard) or from a temporary file (XLSX)."""
    if plan.file_format == FileFormat.XLSX:
        # Deleted by the system once FileResponse closes it after the last block.
        file = tempfile.TemporaryFile(suffix=".xlsx")
        title = _("Companies") if plan.target == ImportTarget.COMPANIES else _("Contacts")
        write_xlsx(plan.headers, plan.row_chunks(), file, title=title)
        file.seek(0)
        response: HttpResponseBase = FileResponse(file, as_attachment=True, filename=plan.file_name, content_type=XLSX_CONTENT_TYPE)
    elif plan.file_format == FileFormat.VCARD:
        response = StreamingHttpResponse(vcard_stream(plan.record_chunks()), content_type=VCARD_CONTENT_TYPE)
    else:
        response = StreamingHttpResponse(csv_stream(plan.headers, plan.row_chunks()), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{plan.file_name}"'
    response["Cache-Control"] = "no-store"  # customer data: no copy in a shared cache
    return response


def contact_filters_from(form: ContactFilterForm) -> contact_queries.ContactFilters:
    """Return the filters of the contact list page (a filter that is not valid is ignored, as the page does)."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return contact_queries.ContactFilters(
        q=data.get("q") or "", tag=data.get("tag") or "", company_id=data.get("company"),
        owner_id=data.get("owner"), language=data.get("language") or "",
        status=data.get("status") or "active", sort=data.get("sort") or "name",
    )


def filter_summary(filters: Any) -> dict[str, Any]:
    """Return the filters worth recording in the audit entry: those that narrow the list, plus status and sort."""
    values = dataclasses.asdict(filters) if dataclasses.is_dataclass(filters) else dict(filters)
    return {k: v for k, v in values.items() if v not in ("", None, {})}


def _refused(request: HttpRequest, error: KliyanError, list_url: str) -> HttpResponseBase:
    for message in error.field_errors.get("format", []) or [error.message]:
        messages.error(request, message)
    query = request.GET.copy()
    query.pop("format", None)
    return redirect(f"{list_url}?{query.urlencode()}" if query else list_url)


# GET only: a HEAD (link checkers, some browsers' previews) would write an audit entry for a file nobody got.
@require_GET
@perm_required(Perm.EXPORT_DATA)
def contact_export(request: HttpRequest) -> HttpResponseBase:
    """Download the contacts the list shows with these filters (?format=csv, xlsx or vcard)."""
    filters = contact_filters_from(ContactFilterForm(request.GET))
    try:
        plan = export_begin(
            actor=request.user, target=ImportTarget.CONTACTS, file_format=request.GET.get("format", FileFormat.CSV),
            queryset=contact_queries.filter_contacts(filters), ordering=_contact_ordering(filters.sort),
            filters=filter_summary(filters),
        )
    except KliyanError as error:
        return _refused(request, error, reverse("contacts:contact_list"))
    return export_response(plan)


@require_GET
@perm_required(Perm.EXPORT_DATA)
def company_export(request: HttpRequest) -> HttpResponseBase:
    """Download the companies the list shows with this search and status."""
    q = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status") if request.GET.get("status") in STATUSES else "active"
    try:
        plan = export_begin(
            actor=request.user, target=ImportTarget.COMPANIES, file_format=request.GET.get("format", FileFormat.CSV),
            queryset=contact_queries.filter_companies(q=q, status=status), ordering=contact_queries.COMPANY_ORDERING,
            filters=filter_summary({"q": q, "status": status}),
        )
    except KliyanError as error:
        return _refused(request, error, reverse("contacts:company_list"))
    return export_response(plan)


def _contact_ordering(sort: str) -> list[str]:
    return contact_queries.CONTACT_SORTS.get(sort, contact_queries.CONTACT_SORTS["name"])
