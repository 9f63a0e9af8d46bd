"""Per-request language, time zone and audit context."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from kliyan.core.api_errors import problem_response

from kliyan.core.audit import audit_context
from kliyan.core.organisation import get_organisation

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def choose_language(request: HttpRequest) -> str:
    """Pick the language: the switcher's cookie, the user's choice, the browser's, the organisation's."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in SUPPORTED:
        return cookie
    user = getattr(request, "user", None)
    preferred = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    if preferred in SUPPORTED:
        return preferred
    for accepted, _quality in translation.trans_real.parse_accept_lang_header(
        request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    ):
        code = accepted.split("-")[0].lower()
        if code in SUPPORTED:
            return code
    return get_organisation().language


def _nul_parameter(request: HttpRequest) -> str | None:
    """The first query parameter holding a NUL character, which PostgreSQL refuses to store or compare."""
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "")
    return None


def _refuse_nul(request: HttpRequest, parameter: str, via: str) -> HttpResponse:
    message = _("Text may not contain the NUL character.")
    if via == "api":
        return problem_response(
            request, status=422, code="validation_failed", title=_("Some fields are not valid."),
            errors=[{"field": parameter, "message": message}],
        )
    return render(request, "400.html", {"message": message}, status=400)


class RequestContextMiddleware:
    """Activate the language and the organisation's time zone; tag audit entries with the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = choose_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            timezone.activate(zoneinfo.ZoneInfo(get_organisation().timezone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        via = "api" if request.path.startswith("/api/") else "web"
        try:
            if (bad := _nul_parameter(request)) is not None:
                response = _refuse_nul(request, bad, via)
            else:
                with audit_context(via=via, ip_address=client_ip(request)):
                    response = self.get_response(request)
        finally:
            # A thread serves many requests (and tests run many in one thread): leave no
            # language or time zone behind for the next one.
            translation.deactivate()
            timezone.deactivate()
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response
