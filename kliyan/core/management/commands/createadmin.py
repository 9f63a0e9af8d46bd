"""Create an administrator account."""

from __future__ import annotations

import getpass
import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kliyan.accounts.models import Role
from kliyan.accounts.services import user_create
from kliyan.core.management.commands._common import cli_errors

PASSWORD_ENV = "KLIYAN_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = "Create an administrator (asks for the password unless --password or --no-input is given)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default="admin", help="Login name (default: admin).")
        parser.add_argument("--email", default="", help="E-mail address, for reminders.")
        parser.add_argument("--password", default=None, help="Password (visible in the shell history; prefer the prompt).")
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive",
            help=f"Do not prompt; read the password from --password or ${PASSWORD_ENV}.",
        )

    def handle(self, *args: Any, username: str, email: str, password: str | None, interactive: bool, **options: Any) -> None:
        password = password or os.environ.get(PASSWORD_ENV) or ""
        if not password:
            if not interactive:
                raise CommandError(_("No password: give --password or set %(env)s.") % {"env": PASSWORD_ENV})
            password = self._prompt_password()
        with cli_errors():
            user = user_create(actor=None, username=username, email=email, password=password, role=Role.ADMIN)
        self.stdout.write(_("Administrator “%(username)s” created.") % {"username": user.username})

    def _prompt_password(self) -> str:
        first = getpass.getpass(_("Password: "))
        second = getpass.getpass(_("Password (again): "))
        if first != second:
            raise CommandError(_("The two passwords do not match."))
        return first
