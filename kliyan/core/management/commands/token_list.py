"""List API tokens (never their secret)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kliyan.accounts.models import ApiToken
from kliyan.core.management.commands._common import cli_errors, find_user


class Command(BaseCommand):
    help = "List API tokens: id, user, name, scope, prefix, last use, state."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", default=None, help="Only this user's tokens.")

    def handle(self, *args: Any, user: str | None, **options: Any) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("id")
        if user:
            with cli_errors():
                tokens = tokens.filter(user=find_user(user))
        rows = [
            (
                str(t.pk), t.user.username, t.name, t.scope, f"{t.prefix}…",
                t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "-",
                _("active") if t.is_active else _("revoked"),
            )
            for t in tokens
        ]
        if not rows:
            self.stdout.write(_("No tokens."))
            return
        header = (_("ID"), _("User"), _("Name"), _("Scope"), _("Prefix"), _("Last used"), _("State"))
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
