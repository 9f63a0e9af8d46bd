"""Render every API error as RFC 9457 problem details ("application/problem+json")."""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kliyan.core.errors import KliyanError

PROBLEM_TYPE = "https://kliyan.org/problems/"
logger = logging.getLogger("django.request")


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
        if parts and parts[0] in {"payload", "data", "body", "filters", "params"}:
            parts = parts[1:]
    return ".".join(parts) or "body"


def _pydantic_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "missing":
        return _("This field is required.")
    if kind in {"model_attributes_type", "dict_type", "model_type"}:
        return _("Send a JSON object.")
    return str(error.get("msg", _("Invalid value.")))


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names each bad field.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "code"],
}
# Every operation may answer these; documenting them lets generated clients type the errors.
PROBLEM_STATUSES = {
    "400": "The body is not JSON.",
    "401": "No valid token or session.",
    "403": "Not allowed for this user or token.",
    "404": "No such object.",
    "409": "Conflicts with the current state (a duplicate, a request still running).",
    "413": "The request is too large.",
    "422": "Some fields are not valid; each is named.",
}


class ProblemAPI(NinjaAPI):
    """A NinjaAPI whose every error, including 405, is problem details, and whose schema says so."""

    def _get_urls(self) -> list[Any]:
        return [_problem_on_405(pattern) if isinstance(pattern, URLPattern) else pattern for pattern in super()._get_urls()]

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["components"].setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in PROBLEM_STATUSES.items():
                    responses.setdefault(status, {"description": description, "content": problem})
        return schema


def _problem_on_405(pattern: URLPattern) -> URLPattern:
    view = pattern.callback

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        problem = problem_response(request, status=405, code="method_not_allowed", title=_("This method is not allowed here."))
        problem["Allow"] = response.get("Allow", "")
        return problem

    return URLPattern(pattern.pattern, wrapper, pattern.default_args, pattern.name)


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
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # Ninja could not decode the body: not JSON, not UTF-8, or a form post.
            return problem_response(
                request, status=400, code="invalid_body", title=_("The request body is not valid JSON."),
                errors=[{"field": "body", "message": _("Send a JSON object with Content-Type: application/json.")}],
            )
        return problem_response(request, status=exc.status_code, code="http_error", title=str(exc))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug: log it like Django would, but answer a client in the API's own format.
        logger.error("Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500, "request": request})
        return problem_response(request, status=500, code="server_error", title=_("Something went wrong; the error has been logged."))
