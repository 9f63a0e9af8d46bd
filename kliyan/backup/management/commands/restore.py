"""Restore a backup into an empty database (docs/backup.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.utils.translation import gettext as _

from kliyan.backup.management.commands._progress import TableLines
from kliyan.backup.restore import restore_backup
from kliyan.core.audit import audit_context
from kliyan.core.errors import KliyanError


class Command(BaseCommand):
    help = "Restore a backup into an empty database."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="The backup file (.zip) written by `kliyan backup` or the Backups page.")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            with audit_context(via="cli"):
                summary = restore_backup(file, on_progress=TableLines(self.stderr), on_stage=self.stderr.write)
        except KliyanError as error:
            lines = [error.message]
            if error.extra.get("database") == "empty":
                lines.append(_("Nothing was restored: the database has its tables but no records, so the restore can "
                               "be run again once the cause is fixed."))
            raise CommandError("\n".join(lines)) from error
        except DatabaseError as error:
            raise CommandError(_("The database cannot be used: %(error)s") % {"error": error}) from error
        manifest = summary.manifest
        self.stdout.write(_("Restored %(rows)d records in %(tables)d tables and %(files)d files into the %(vendor)s "
                            "database, from a backup made on %(created_at)s by Kliyan %(version)s.") % {
            "rows": summary.rows, "tables": summary.tables, "files": summary.files, "vendor": connection.vendor,
            "created_at": manifest.get("created_at", "?"), "version": manifest.get("kliyan_version", "?"),
        })
