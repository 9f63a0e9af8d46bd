"""Create an API token and print it once."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kliyan.accounts.models import TokenScope
from kliyan.accounts.services import token_create
from kliyan.core.management.commands._common import cli_errors, find_user


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", required=True, help="Username the token acts as.")
        parser.add_argument("--name", required=True, help="What the token is for (\"shop website\").")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ, help="read (default) or write.")

    def handle(self, *args: Any, user: str, name: str, scope: str, **options: Any) -> None:
        with cli_errors():
            owner = find_user(user)
            token, raw = token_create(actor=None, user=owner, name=name, scope=scope)
        self.stderr.write(
            _("Token %(id)s “%(name)s” for %(user)s (%(scope)s). Copy it now; it is not shown again:")
            % {"id": token.pk, "name": token.name, "user": owner.username, "scope": token.scope}
        )
        # The raw token alone on stdout, so scripts can capture it.
        self.stdout.write(raw)
