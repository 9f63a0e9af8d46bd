"""Helpers every page uses: permission checks, HTMX detection, service errors onto forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from kliyan.accounts.access import Perm, can
from kliyan.core.errors import KliyanError


def is_htmx(request: HttpRequest) -> bool:
    """Return whether the request came from HTMX (answer with a fragment, not a page)."""
    return request.headers.get("HX-Request") == "true"


def perm_required(perm: Perm) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Send anonymous users to log in; answer 403 to users whose role lacks `perm`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class PermRequiredMixin:
    """Class-based views: set `required_perm`."""

    required_perm: Perm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can(request.user, self.required_perm):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def apply_errors(form: forms.BaseForm, error: KliyanError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's field errors next to the matching form fields (others at the top)."""
    field_map = field_map or {}
    for field, messages in error.field_errors.items():
        name = field_map.get(field, field)
        if name not in form.fields:
            name = name.split(".")[0]  # "interests.2" (the third name) belongs to the interests field
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
    if not error.field_errors:
        form.add_error(None, error.message)
