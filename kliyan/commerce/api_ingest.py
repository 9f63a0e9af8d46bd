"""Endpoints through which other systems send products, stock, orders, invoices and payments.

- `PUT /ingest/{kind}/{source}/{external_id}`: one record (JSON).
- `POST /ingest/{kind}/bulk`: many records (NDJSON, one JSON object a line), each
  answered on its own; a bad or malformed line never stops the others.

Both call kliyan.commerce.services, which validates, writes, audits and emits events.
The bulk body may be larger than the global request limit (DATA_UPLOAD_MAX_MEMORY_SIZE):
it is read line by line, up to INGEST_MAX_REQUEST_BYTES.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.decorators import decorate_view

from kliyan.accounts.access import Perm
from kliyan.commerce import services
from kliyan.commerce.ingest_ndjson import loads
from kliyan.commerce.ingest_plan import Result
from kliyan.commerce.schemas_ingest import RECORD_SCHEMAS, BulkOut, IngestKind, UpsertOut, record_json_schema
from kliyan.core.api_auth import actor
from kliyan.core.api_errors import problem_response
from kliyan.core.errors import KliyanError
from kliyan.core.idempotency import HEADER as IDEMPOTENCY_HEADER

router = Router(tags=["ingestion"])


class UnsupportedMediaType(KliyanError):
    status = 415
    code = "unsupported_media_type"

NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-lines"})


def _record_body() -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "oneOf": [record_json_schema(kind) for kind in RECORD_SCHEMAS],
    }}}}}


def _ndjson_body() -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/x-ndjson": {"schema": {
        "type": "string", "description": "One JSON record a line; each includes source and external_id.",
    }}}}}


@router.put(
    "/ingest/{kind}/{source}/{path:external_id}", response={200: UpsertOut, 201: UpsertOut},
    summary="Create or update one record sent by another system", openapi_extra=_record_body(),
)
def ingest_one(request: HttpRequest, kind: IngestKind, source: str, external_id: str) -> Status[UpsertOut]:
    """Store the record known as (source, external_id); answer 201 if created, else 200 with its result.

    A record whose `updated_at` is older than the stored one is answered `"result": "stale"`
    and changes nothing; the same `updated_at` is `"unchanged"`.
    """
    user = actor(request, Perm.INGEST_COMMERCE)
    try:
        data = loads(request.body or b"")
    except (ValueError, RecursionError):
        raise KliyanError(
            _("The request body is not valid JSON."), code="invalid_body",
            field_errors={"body": [_("Send a JSON object with Content-Type: application/json.")]},
        ) from None
    done = services.record_upsert(actor=user, kind=kind.value, source=source, external_id=external_id, data=data)
    answer = UpsertOut(result=done.result.value, id=done.id, kind=kind.value, source=source, external_id=external_id)
    return Status(201 if done.result == Result.CREATED else 200, answer)


def ingest_body_limit(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Hold the bulk body to its own, larger limit instead of the global one.

    Django refuses `request.body` above DATA_UPLOAD_MAX_MEMORY_SIZE; the endpoint reads
    the stream instead. Only a request with an Idempotency-Key is read whole in advance,
    because the key's fingerprint covers the body.
    """

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.INGEST_MAX_REQUEST_BYTES:
            return problem_response(
                request, status=413, code="too_large", title=_("The request is too large."),
                detail=_("Send at most %(limit)d bytes a request; split the file.") % {"limit": settings.INGEST_MAX_REQUEST_BYTES},
            )
        if request.headers.get(IDEMPOTENCY_HEADER) and not hasattr(request, "_body"):
            request._body = request.read()  # type: ignore[attr-defined]
            request._stream = io.BytesIO(request._body)  # type: ignore[attr-defined]
        return run(request, *args, **kwargs)

    return wrapper


@router.post(
    "/ingest/{kind}/bulk", response=BulkOut, summary="Create or update many records (NDJSON)", openapi_extra=_ndjson_body(),
)
@decorate_view(ingest_body_limit)
def ingest_bulk(request: HttpRequest, kind: IngestKind, source: str = "") -> dict[str, Any]:
    """Store each line of an NDJSON body (Content-Type: application/x-ndjson) and report per line.

    Each line is one record with `source` (or the `source` query parameter) and
    `external_id`. The answer counts the results and lists, for every failed line, its
    number and the errors by field; the other lines are stored.
    """
    user = actor(request, Perm.INGEST_COMMERCE)
    content_type = request.content_type or ""
    if content_type not in NDJSON_TYPES:
        raise UnsupportedMediaType(
            _("Send NDJSON: one JSON record a line, with Content-Type: application/x-ndjson."),
            field_errors={"Content-Type": [_("Use application/x-ndjson.")]},
        )
    summary = services.ndjson_ingest(actor=user, kind=kind.value, lines=request, default_source=source.strip())
    return summary.as_dict()
