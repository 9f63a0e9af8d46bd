"""`Idempotency-Key` on API POSTs: a retried request gets the first answer, not a second write.

Two decorators, added to every API operation in config/api.py:
- `claim_key` (around the endpoint, after authentication and input validation) replays a
  stored answer or claims the key for this request;
- `store_answer` (around the whole operation) stores the rendered answer for the claim.

Only successful answers are kept: a refused request changed nothing, so its key may be
sent again (with a corrected body). A key is scoped to the user who sent it and kept for
24 hours.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.core.errors import Conflict, ValidationFailed
from kliyan.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_FOR = dt.timedelta(hours=24)
# A claim without an answer after this long belongs to a request that died mid-way.
ABANDONED_AFTER = dt.timedelta(minutes=5)
MAX_KEY_LENGTH = 255


def _principal(request: HttpRequest) -> str:
    return f"user:{request.auth.pk}"  # type: ignore[attr-defined]


def request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.body):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.response_body or b""), status=record.status_code, content_type=record.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(request: HttpRequest, key: str) -> IdempotencyRecord | HttpResponse:
    """Claim `key` for this request, or return the stored answer of an identical earlier one."""
    principal = _principal(request)
    fingerprint = request_hash(request)
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    principal=principal, key=key, method=request.method or "", path=request.path[:500],
                    request_hash=fingerprint,
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if existing is None:
            continue
        expired = existing.created_at < now - KEEP_FOR
        abandoned = existing.status_code is None and existing.created_at < now - ABANDONED_AFTER
        if expired or abandoned:
            existing.delete()
            continue
        if existing.request_hash != fingerprint:
            raise ValidationFailed(
                _("This Idempotency-Key was already used for a different request."),
                code="idempotency_key_reused", field_errors={HEADER: [_("Use a new key for a new request.")]},
            )
        if existing.status_code is None:
            raise Conflict(_("A request with this Idempotency-Key is still being processed."), code="idempotency_in_progress")
        return _replay(existing)
    raise Conflict(_("A request with this Idempotency-Key is still being processed."), code="idempotency_in_progress")


def claim_key(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an endpoint: replay the answer to a repeated POST, or claim its key."""

    @functools.wraps(view_func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER, "").strip()
        if request.method != "POST" or not key:
            return view_func(request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationFailed(field_errors={HEADER: [_("At most %(limit)d characters.") % {"limit": MAX_KEY_LENGTH}]})
        claimed = _claim(request, key)
        if isinstance(claimed, HttpResponse):
            return claimed
        request._idempotency_claim = claimed  # type: ignore[attr-defined]
        return view_func(request, *args, **kwargs)

    return wrapper


def store_answer(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation: keep a successful answer for the key it claimed, else free the key."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = run(request, *args, **kwargs)
        except BaseException:
            # An unhandled error (a 500): nothing was committed, so free the key for a retry.
            _release(request)
            raise
        claim: IdempotencyRecord | None = getattr(request, "_idempotency_claim", None)
        if claim is None:
            return response
        request._idempotency_claim = None  # type: ignore[attr-defined]
        if 200 <= response.status_code < 300 and not getattr(response, "streaming", False):
            IdempotencyRecord.objects.filter(pk=claim.pk).update(
                status_code=response.status_code, response_body=response.content,
                content_type=response.get("Content-Type", "application/json")[:100],
            )
        else:
            IdempotencyRecord.objects.filter(pk=claim.pk).delete()
        return response

    return wrapper


def _release(request: HttpRequest) -> None:
    claim: IdempotencyRecord | None = getattr(request, "_idempotency_claim", None)
    if claim is not None:
        request._idempotency_claim = None  # type: ignore[attr-defined]
        IdempotencyRecord.objects.filter(pk=claim.pk).delete()
