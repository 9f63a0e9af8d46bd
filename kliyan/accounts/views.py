"""Pages for signing in and out, changing one's password, users and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm, can
from kliyan.accounts.forms import LoginForm, TokenCreateForm, UserCreateForm, UserEditForm
from kliyan.accounts.models import ApiToken, User
from kliyan.accounts.services import token_create, token_revoke, user_create, user_update
from kliyan.core.errors import KliyanError
from kliyan.core.web import apply_errors, perm_required


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    """Answer a throttled login: too many failed attempts for this username from this address."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, so a link or an image cannot sign anyone out)."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


# --- Users ---------------------------------------------------------------------------


@perm_required(Perm.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    """List the staff and add a user."""
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(actor=request.user, **form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("User %(name)s added.") % {"name": user.get_username()})
            return redirect("accounts:user_list")
    users = User.objects.order_by("-is_active", "username")
    status = 422 if form.errors else 200
    return render(request, "accounts/user_list.html", {"users": users, "form": form}, status=status)


@perm_required(Perm.MANAGE_USERS)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a user's role, language or name, or deactivate them."""
    user = get_object_or_404(User, pk=pk)
    initial = {name: getattr(user, name) for name in ("first_name", "last_name", "email", "role", "language", "is_active")}
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_update(actor=request.user, user_id=user.pk, data=form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("User %(name)s saved.") % {"name": user.get_username()})
            return redirect("accounts:user_list")
    status = 422 if form.errors else 200
    return render(request, "accounts/user_edit.html", {"edited": user, "form": form}, status=status)


# --- API tokens ----------------------------------------------------------------------


def _visible_tokens(user: User):
    tokens = ApiToken.objects.select_related("user").order_by("revoked_at", "-created_at")
    return tokens if can(user, Perm.MANAGE_USERS) else tokens.filter(user=user)


@perm_required(Perm.USE_API_TOKENS)
def token_list(request: HttpRequest) -> HttpResponse:
    """List API tokens (one's own; admins see everyone's) and create one.

    The new token's secret is shown in the answer to the POST, once: it is not stored, so
    there is no redirect that could show it again.
    """
    form = TokenCreateForm(request.POST or None)
    raw_token = None
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created, raw_token = token_create(actor=request.user, user=request.user, **form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            form = TokenCreateForm()
    context = {
        "tokens": _visible_tokens(request.user),
        "form": form,
        "raw_token": raw_token,
        "created": created,
        "show_owner": can(request.user, Perm.MANAGE_USERS),
    }
    status = 422 if form.errors else 200
    response = render(request, "accounts/token_list.html", context, status=status)
    if raw_token:
        response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
@perm_required(Perm.USE_API_TOKENS)
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(_visible_tokens(request.user), pk=pk)
    token_revoke(actor=request.user, token_id=token.pk)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("accounts:token_list")
