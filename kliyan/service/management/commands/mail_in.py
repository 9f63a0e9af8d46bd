"""Take in one raw e-mail from standard input (a mail server's pipe) and file it in the service desk.

Exit status follows sysexits.h, which mail servers understand: 65 (EX_DATAERR) when the input
is not an e-mail we can file, so the server bounces it instead of retrying for days; 75
(EX_TEMPFAIL) when the failure may pass (the database is down), so the server tries again.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from kliyan.core.management.commands._common import cli_errors, describe, find_user
from kliyan.service import mail_in

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one raw e-mail from standard input and file it as a ticket or a reply to one."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", default=None, help="Username recorded in the audit log as having taken the mail in.")

    def handle(self, *args: Any, user: str | None = None, **options: Any) -> None:
        limit = mail_in.max_bytes()
        raw = sys.stdin.buffer.read(limit + 1)
        if len(raw) > limit:
            raise CommandError(_("The message is larger than %(limit)d bytes.") % {"limit": limit}, returncode=EX_DATAERR)
        try:
            with cli_errors():
                actor = find_user(user) if user else None
                try:
                    receipt = mail_in.receive(raw, actor=actor)
                except mail_in.UnparseableMail as error:
                    raise CommandError(describe(error), returncode=EX_DATAERR) from error
        except DatabaseError as error:
            raise CommandError(_("The database is not available: %(error)s") % {"error": error}, returncode=EX_TEMPFAIL) from error
        ticket = receipt.ticket
        self.stdout.write(f"{receipt.outcome} {ticket.reference if ticket else '-'}")
