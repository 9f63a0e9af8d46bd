"""API v1: upload a file to import, follow its progress, download its report, undo it.

A multipart upload may be larger than the global request limit: files go to disk as
Django receives them, up to IMPORT_MAX_FILE_BYTES. Only a request sent with an
Idempotency-Key is read whole first, because the key's fingerprint covers the body.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from kliyan.accounts.access import Perm, require
from kliyan.contacts.api import LIMIT
from kliyan.core.api_auth import actor
from kliyan.core.api_errors import problem_response
from kliyan.core.errors import ValidationFailed
from kliyan.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from kliyan.core.pagination import keyset_page
from kliyan.imports import queries, services
from kliyan.imports.choices import COMMERCE_TARGETS
from kliyan.imports.schemas import ImportOut, ImportPage, ImportStart, import_out

router = Router(tags=["imports"])


def upload_limit(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse a body over the import limit before reading it; read it whole only for an Idempotency-Key."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.IMPORT_MAX_FILE_BYTES + 1024 * 1024
        if length > limit:
            return problem_response(
                request, status=413, code="too_large", title=_("The file is too large."),
                detail=_("Send at most %(limit)d MB.") % {"limit": settings.IMPORT_MAX_FILE_BYTES // (1024 * 1024)},
            )
        if request.headers.get(IDEMPOTENCY_HEADER) and not hasattr(request, "_body"):
            request._body = request.read()  # type: ignore[attr-defined]
            request._stream = io.BytesIO(request._body)  # type: ignore[attr-defined]
        return run(request, *args, **kwargs)

    return wrapper


def _mapping(text: str) -> dict[str, str] | None:
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValidationFailed(field_errors={"mapping": [_("Send a JSON object: column name → field.")]})
    return value


@router.get("/imports", response=ImportPage, summary="List imports, newest first")
def import_list(request: HttpRequest, cursor: str | None = None, limit: int = LIMIT) -> dict[str, Any]:
    actor(request, Perm.IMPORT_DATA)
    page = keyset_page(queries.imports_for_list(), ordering=["-created_at", "-id"], cursor=cursor, size=limit)
    return {"items": [import_out(i) for i in page.items], "next_cursor": page.next_cursor}


@router.post("/imports", response={202: ImportOut}, summary="Upload a CSV, XLSX or vCard file and start importing it")
@decorate_view(upload_limit)
def import_create(
    request: HttpRequest, file: File[UploadedFile], target: Form[str] = "contacts", mapping: Form[str] = "",
    on_duplicate: Form[str] = "skip", dry_run: Form[bool] = False, start: Form[bool] = True, source: Form[str] = "",
) -> Status[dict[str, Any]]:
    """Store the file, guess the mapping (overridden by `mapping`, a JSON object column → field) and start.

    With `dry_run` the whole file is checked and counted (would create, update, skip, fail)
    and nothing is written; with `start=false` the import waits (see POST /imports/{id}/start).
    Follow the progress with GET /imports/{id}; the problems are in /imports/{id}/report.
    `target` products or orders (one row per order line) go through the commerce ingestion,
    filed under `source` (default "import") with their SKU or order number.
    """
    user = actor(request, Perm.IMPORT_DATA)
    if target in COMMERCE_TARGETS:
        require(user, Perm.INGEST_COMMERCE)  # the same right as sending them through the ingestion endpoints
    wanted = _mapping(mapping)
    imported = services.import_create(
        actor=user, upload=file, target=target, name=file.name or "", mapping=wanted, on_duplicate=on_duplicate,
        start=start, dry_run=dry_run, source=source.strip() or None,
    )
    return Status(202, import_out(services.get_import(imported.pk)))


@router.get("/imports/{int:import_id}", response=ImportOut, summary="Read an import: status, progress and counts")
def import_detail(request: HttpRequest, import_id: int) -> dict[str, Any]:
    actor(request, Perm.IMPORT_DATA)
    return import_out(services.get_import(import_id))


@router.post("/imports/{int:import_id}/start", response={202: ImportOut}, summary="Start an import, or a dry run of it")
def import_start(request: HttpRequest, import_id: int, payload: ImportStart) -> Status[dict[str, Any]]:
    user = actor(request, Perm.IMPORT_DATA)
    imported = services.get_import(import_id)
    imported = services.import_configure(
        actor=user, import_=imported, mapping=payload.mapping, on_duplicate=payload.on_duplicate, source=payload.source,
    )
    imported = services.import_start(actor=user, import_=imported, dry_run=payload.dry_run)
    return Status(202, import_out(services.get_import(imported.pk)))


@router.post("/imports/{int:import_id}/resume", response={202: ImportOut}, summary="Resume an interrupted import after its last committed row")
def import_resume(request: HttpRequest, import_id: int) -> Status[dict[str, Any]]:
    user = actor(request, Perm.IMPORT_DATA)
    imported = services.import_resume(actor=user, import_=services.get_import(import_id))
    return Status(202, import_out(services.get_import(imported.pk)))


@router.get(
    "/imports/{int:import_id}/report", response={200: None}, url_name="import_report",
    summary="Download the validation report (CSV: row, column, value, problem)",
    openapi_extra={"responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def import_report(request: HttpRequest, import_id: int) -> HttpResponse:
    actor(request, Perm.IMPORT_DATA)
    return report_response(services.get_import(import_id))


def report_response(imported: Any) -> StreamingHttpResponse:
    response = StreamingHttpResponse(queries.report_lines(imported), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{imported.pk}-report.csv"'
    return response


@router.post("/imports/{int:import_id}/undo", response={202: ImportOut}, summary="Undo an import")
def import_undo(request: HttpRequest, import_id: int) -> Status[dict[str, Any]]:
    """Delete what the import created (archive what has gained history since) and put back what it changed."""
    user = actor(request, Perm.IMPORT_DATA)
    imported = services.import_undo(actor=user, import_=services.get_import(import_id))
    return Status(202, import_out(services.get_import(imported.pk)))
