"""Revoke an API token."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kliyan.accounts.services import token_revoke
from kliyan.core.errors import NotFound
from kliyan.core.management.commands._common import cli_errors


class Command(BaseCommand):
    help = "Revoke an API token by its id (see token list); requests using it are refused from now on."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("token_id", type=int, help="The token's id.")

    def handle(self, *args: Any, token_id: int, **options: Any) -> None:
        with cli_errors():
            try:
                token = token_revoke(actor=None, token_id=token_id)
            except NotFound:
                raise NotFound(_("There is no token with id %(id)s.") % {"id": token_id}) from None
        self.stdout.write(_("Token %(id)s “%(name)s” is revoked.") % {"id": token.pk, "name": token.name})
