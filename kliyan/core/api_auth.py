"""Who is calling the API: a Bearer token, or a logged-in browser session with its CSRF token.

Both answer with the staff user; every endpoint then asks `accounts.access.require` for
the permission it needs. A token's scope narrows its owner's role: a read token may only
read, whatever its owner may do.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from kliyan.accounts.access import Perm, require
from kliyan.accounts.models import TokenScope
from kliyan.accounts.services import token_authenticate
from kliyan.core.errors import AccessDenied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(AccessDenied):
    code = "csrf_failed"


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer kly_…`: an API token, stored hashed, with a read or write scope."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = token_authenticate(token.strip())
        if api_token is None:
            return None
        if api_token.scope != TokenScope.WRITE and request.method not in SAFE_METHODS:
            raise AccessDenied(_("This token can only read."), code="read_only_token")
        request.api_token = api_token  # type: ignore[attr-defined]
        request.user = api_token.user
        return api_token.user


class SessionCsrfAuth(APIKeyCookie):
    """The browser's Django session; unsafe methods must carry the CSRF token.

    Unlike ninja's SessionAuth, an anonymous request is not CSRF-checked, so it gets
    401 (log in) rather than 403 (CSRF).
    """

    param_name = "sessionid"

    def __init__(self) -> None:
        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed(_("The CSRF token is missing or wrong; reload the page and try again."))
        return user


def api_auth() -> list[Any]:
    """Return the authentication every endpoint accepts, tried in this order."""
    return [BearerTokenAuth(), SessionCsrfAuth()]


def actor(request: HttpRequest, perm: Perm) -> Any:
    """Return the authenticated user after checking that they have `perm` (403 otherwise)."""
    user = request.auth  # type: ignore[attr-defined]
    require(user, perm)
    return user


def via_session(request: HttpRequest) -> bool:
    return getattr(request, "api_token", None) is None
