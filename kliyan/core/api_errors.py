"""Render every API error as RFC 9457 problem details ("application/problem+json")."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kliyan.core.errors import KliyanError

PROBLEM_TYPE = "https://kliyan.org/problems/"


def problem_response(
    request: HttpRequest, *, status: int, code: str, title: str, detail: str = "",
    errors: list[dict[str, str]] | None = None, extra: dict[str, Any] | None = None,
) -> HttpResponse:
    import json

    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "code": code,
        "instance": request.path,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    return HttpResponse(json.dumps(body, ensure_ascii=False, default=str), status=status, content_type="application/problem+json")


def _field_list(field_errors: dict[str, list[str]]) -> list[dict[str, str]]:
    return [{"field": field, "message": message} for field, messages in field_errors.items() for message in messages]


def _loc_to_field(loc: list[Any]) -> str:
    # Ninja prefixes the location with where the value came from ("body", "query", …)
    # and the parameter name; a client wants the field as it sent it.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "cookie"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in {"payload", "data", "body", "filters", "params"}:
            parts = parts[1:]
    return ".".join(parts) or "body"


def _pydantic_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "missing":
        return _("This field is required.")
    return str(error.get("msg", _("Invalid value.")))


def install_problem_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(KliyanError)
    def kliyan_error(request: HttpRequest, exc: KliyanError) -> HttpResponse:
        return problem_response(
            request, status=exc.status, code=exc.code, title=exc.message,
            errors=_field_list(exc.field_errors), extra=exc.extra,
        )

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [{"field": _loc_to_field(e.get("loc", [])), "message": _pydantic_message(e)} for e in exc.errors]
        return problem_response(request, status=422, code="validation_failed", title=_("Some fields are not valid."), errors=errors)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        response = problem_response(request, status=401, code="unauthenticated", title=_("Log in or send a valid API token."))
        response["WWW-Authenticate"] = 'Bearer realm="kliyan"'
        return response

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem_response(request, status=403, code="forbidden", title=_("You do not have permission to do this."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem_response(request, status=404, code="not_found", title=_("Not found."))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem_response(request, status=413, code="too_large", title=_("The request is too large."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem_response(request, status=exc.status_code, code="http_error", title=str(exc))
