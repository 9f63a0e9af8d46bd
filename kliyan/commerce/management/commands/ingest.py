"""Take in NDJSON records (products, stock, orders, …) from a file or standard input."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kliyan.commerce.services import INGEST_KINDS, ndjson_ingest
from kliyan.core.management.commands._common import cli_errors, find_user


class Command(BaseCommand):
    help = "Create or update records sent by another system, one JSON object a line (NDJSON)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=INGEST_KINDS, help="What the file holds.")
        parser.add_argument("file", help="The NDJSON file, or - for standard input.")
        parser.add_argument("--source", default="", help="Source system for lines that name none.")
        parser.add_argument("--user", default=None, help="Username recorded in the audit log as having sent the data.")

    def handle(self, *args: Any, kind: str, file: str, source: str, user: str | None, **options: Any) -> None:
        with cli_errors():
            actor = find_user(user) if user else None
            if file == "-":
                summary = ndjson_ingest(actor=actor, kind=kind, lines=sys.stdin.buffer, default_source=source)
            else:
                try:
                    with open(file, "rb") as lines:
                        summary = ndjson_ingest(actor=actor, kind=kind, lines=lines, default_source=source)
                except OSError as error:
                    raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": error.strerror}) from error
        for failure in summary.errors:
            for error in failure["errors"]:
                self.stderr.write(_("line %(line)d (%(id)s): %(field)s: %(message)s") % {
                    "line": failure["line"], "id": failure["external_id"] or "-",
                    "field": error["field"] or "-", "message": error["message"],
                })
        self.stdout.write(
            _("%(received)d received: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
              "%(stale)d stale, %(failed)d failed.") % summary.as_dict()
        )
        if summary.failed:
            raise CommandError(_("%(failed)d of %(received)d lines failed.") % summary.as_dict(), returncode=1)
