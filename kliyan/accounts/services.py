"""Writes for users and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.accounts.models import ApiToken, Role, TokenScope, User
from kliyan.core.audit import record, snapshot
from kliyan.core.choices import Language
from kliyan.core.errors import FieldErrors, NotFound
from kliyan.core.models import AuditAction
from kliyan.core.prepared import model_columns, run_prepared_models

TOKEN_PREFIX = "kly_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    email: str = "",
    role: str = Role.AGENT,
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    check_password: bool = True,
) -> User:
    """Create a staff user; the password must pass the configured validators."""
    errors = FieldErrors()
    username = username.strip()
    if not username:
        errors.add("username", _("This field is required."))
    elif User.objects.filter(username__iexact=username).exists():
        errors.add("username", _("A user with that username already exists."))
    if role not in Role.values:
        errors.add("role", _("Unknown role."))
    if check_password:
        try:
            validate_password(password, User(username=username, email=email))
        except DjangoValidationError as exc:
            for message in exc.messages:
                errors.add("password", message)
    errors.raise_if_any()
    user = User(
        username=username, email=email.strip().lower(), role=role,
        first_name=first_name, last_name=last_name, language=language,
        is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN,
    )
    user.set_password(password)
    user.save()
    record(actor=actor, action=AuditAction.CREATE, instance=user, after={"username": user.username, "role": role})
    return user


@transaction.atomic
def token_create(*, actor: User, user: User, name: str, scope: str = TokenScope.READ) -> tuple[ApiToken, str]:
    """Create an API token for `user`; return it with the raw secret, which is never stored."""
    errors = FieldErrors()
    if not name.strip():
        errors.add("name", _("This field is required."))
    if scope not in TokenScope.values:
        errors.add("scope", _("Choose read or write."))
    errors.raise_if_any()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip(), scope=scope, prefix=raw[: len(TOKEN_PREFIX) + 6], key_hash=hash_token(raw)
    )
    record(actor=actor, action=AuditAction.CREATE, instance=token, after={"user": user.pk, "name": token.name, "scope": scope})
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User | None, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(actor=actor, action=AuditAction.ARCHIVE, instance=token)
    return token


def _active_token(key_hash: str):  # type: ignore[no-untyped-def]
    return (
        ApiToken.objects.filter(key_hash=key_hash, revoked_at__isnull=True)
        .order_by()
        .values_list(*model_columns(ApiToken), *model_columns(User, "user__"))[:1]
    )


def token_authenticate(raw: str) -> ApiToken | None:
    """Return the active token matching `raw`, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    # Every API request asks this; compiled once per connection (core.prepared).
    rows = run_prepared_models("accounts.active_token", _active_token, (ApiToken, User), key_hash=hash_token(raw))
    if not rows:
        return None
    token, user = rows[0]
    if not user.is_active:
        return None
    token.user = user
    now = timezone.now()
    # Writing on every request would serialise API reads on SQLite; a minute is precise enough.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


USER_FIELDS = ("first_name", "last_name", "email", "role", "language", "is_active")


@transaction.atomic
def user_update(*, actor: User, user_id: int, data: dict[str, object]) -> User:
    """Change a user's name, e-mail, role, language or active flag; audited.

    The last active admin can be neither demoted nor deactivated, so the installation
    always keeps someone who can manage it.
    """
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    values = {name: data[name] for name in USER_FIELDS if name in data}
    errors = FieldErrors()
    if "role" in values and values["role"] not in Role.values:
        errors.add("role", _("Unknown role."))
    if "language" in values and values["language"] not in {"", *Language.values}:
        errors.add("language", _("Choose a language from the list."))
    if "email" in values:
        values["email"] = str(values["email"]).strip().lower()
    if "is_active" in values:
        values["is_active"] = bool(values["is_active"])
    stays_admin = values.get("role", user.role) == Role.ADMIN and values.get("is_active", user.is_active)
    if user.role == Role.ADMIN and user.is_active and not stays_admin and _is_last_admin(user):
        errors.add("role" if "role" in values and values["role"] != Role.ADMIN else "is_active",
                   _("This is the last active admin; make someone else an admin first."))
    errors.raise_if_any()
    before = snapshot(user, USER_FIELDS)
    for name, value in values.items():
        setattr(user, name, value)
    user.is_staff = user.is_superuser = user.role == Role.ADMIN
    after = snapshot(user, USER_FIELDS)
    changed = [name for name in USER_FIELDS if before[name] != after[name]]
    if not changed:
        return user
    user.save()
    record(
        actor=actor, action=AuditAction.UPDATE, instance=user,
        before={name: before[name] for name in changed}, after={name: after[name] for name in changed},
    )
    return user


def _is_last_admin(user: User) -> bool:
    return not User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk).exists()
