"""Helpers shared by Kliyan's management commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from kliyan.accounts.models import User
from kliyan.core.audit import audit_context
from kliyan.core.errors import KliyanError, NotFound


def describe(error: KliyanError) -> str:
    """Return a service error as one line per bad field, for a terminal."""
    lines = [error.message]
    for field, messages in error.field_errors.items():
        lines.extend(f"  {field}: {message}" for message in messages)
    return "\n".join(lines)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Audit writes as coming from the CLI, and turn service errors into CommandError."""
    try:
        with audit_context(via="cli"):
            yield
    except KliyanError as error:
        raise CommandError(describe(error)) from error


def find_user(username: str) -> User:
    """Return the user with this username (case-insensitive) or raise NotFound."""
    user = User.objects.filter(username__iexact=username.strip()).first()
    if user is None:
        raise NotFound(_("There is no user “%(username)s”.") % {"username": username})
    return user
