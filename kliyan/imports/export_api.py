"""API v1: export the contacts or companies a list query selects, as CSV, Excel or vCard.

`GET /contacts/export` takes the filters of `GET /contacts` (and `/companies/export` those of
`/companies`) plus `format`; the answer is the file itself, not JSON. Managers and admins
only (`data.export`); each export writes one audit entry.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Query, Router

from kliyan.accounts.access import Perm
from kliyan.contacts import queries as contact_queries
from kliyan.contacts.api import STATUSES, UPDATED_SINCE
from kliyan.core.api_auth import actor
from kliyan.core.api_types import ApiDateTime, ObjectId
from kliyan.core.errors import ValidationFailed
from kliyan.imports.choices import ImportTarget
from kliyan.imports.export_formats import CSV_CONTENT_TYPE, VCARD_CONTENT_TYPE, XLSX_CONTENT_TYPE
from kliyan.imports.export_views import export_response, filter_summary
from kliyan.imports.exports import export_begin

router = Router(tags=["exports"])

FORMAT = Query("csv", alias="format", description="csv, xlsx (Excel) or vcard")
FILE_RESPONSES = {
    "200": {
        "description": "The file (attachment)",
        "content": {
            CSV_CONTENT_TYPE.split(";")[0]: {"schema": {"type": "string"}},
            XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}},
            VCARD_CONTENT_TYPE.split(";")[0]: {"schema": {"type": "string"}},
        },
    },
}


def _status(value: str) -> str:
    if value not in STATUSES:
        raise ValidationFailed(field_errors={"status": [_("Choose active, archived or all.")]})
    return value


@router.get(
    "/contacts/export", response={200: None}, url_name="contact_export", openapi_extra={"responses": FILE_RESPONSES},
    summary="Export contacts (CSV, Excel or vCard) with the filters of the contact list",
)
def contact_export(
    request: HttpRequest,
    file_format: str = FORMAT,
    q: str = "",
    tag: str = "",
    company: ObjectId | None = None,
    owner: ObjectId | None = None,
    status: str = Query("active", description="active, archived or all"),
    language: str = "",
    sort: str = Query("name", description="name, -name, updated, -updated, created or -created"),
    updated_since: ApiDateTime | None = UPDATED_SINCE,
) -> HttpResponseBase:
    """Answer the file: CSV (UTF-8 with BOM) and vCard 4.0 are streamed, XLSX is one sheet.

    The columns are those the import reads (an export imports again as it is), plus one per
    custom field. Archived contacts are left out unless `status` asks for them.
    """
    user = actor(request, Perm.EXPORT_DATA)
    if sort not in contact_queries.CONTACT_SORTS:
        raise ValidationFailed(field_errors={"sort": [_("“%(value)s” is not a valid choice.") % {"value": sort}]})
    filters = contact_queries.ContactFilters(
        q=q, tag=tag, company_id=company, owner_id=owner, status=_status(status), language=language,
        updated_since=updated_since, sort=sort,
    )
    plan = export_begin(
        actor=user, target=ImportTarget.CONTACTS, file_format=file_format, queryset=contact_queries.filter_contacts(filters),
        ordering=contact_queries.CONTACT_SORTS[sort], filters=filter_summary(filters),
    )
    return export_response(plan)


@router.get(
    "/companies/export", response={200: None}, url_name="company_export", openapi_extra={"responses": FILE_RESPONSES},
    summary="Export companies (CSV, Excel or vCard) with the filters of the company list",
)
def company_export(
    request: HttpRequest,
    file_format: str = FORMAT,
    q: str = "",
    status: str = Query("active", description="active, archived or all"),
    updated_since: ApiDateTime | None = UPDATED_SINCE,
) -> HttpResponseBase:
    """Answer the file of the companies `GET /companies` would list with these filters."""
    user = actor(request, Perm.EXPORT_DATA)
    filters: dict[str, Any] = {"q": q, "status": _status(status), "updated_since": updated_since}
    plan = export_begin(
        actor=user, target=ImportTarget.COMPANIES, file_format=file_format,
        queryset=contact_queries.filter_companies(**filters), ordering=contact_queries.COMPANY_ORDERING,
        filters=filter_summary(filters),
    )
    return export_response(plan)
