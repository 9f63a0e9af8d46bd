"""Write a backup of the whole database and the stored files to one file (docs/backup.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kliyan.backup import services
from kliyan.backup.management.commands._progress import TableLines
from kliyan.core.management.commands._common import cli_errors


class Command(BaseCommand):
    help = "Write a backup of the whole database and the stored files to one file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="The file to write (it must not exist yet).")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        path = Path(file).expanduser()
        if path.exists():
            raise CommandError(_("%(file)s exists already; choose another name.") % {"file": path})
        if not path.parent.is_dir():
            raise CommandError(_("There is no directory %(directory)s.") % {"directory": path.parent})
        with cli_errors():
            try:
                manifest = services.backup_write_file(actor=None, path=path, on_progress=TableLines(self.stderr))
            except OSError as error:
                raise CommandError(_("Cannot write %(file)s: %(error)s") % {"file": path, "error": error.strerror}) from error
        media = manifest["media"]
        self.stdout.write(_("Backup written to %(file)s: %(rows)d records in %(tables)d tables, %(files)d files "
                            "(%(size).1f MB).") % {
            "file": path, "rows": sum(t["rows"] for t in manifest["tables"]), "tables": len(manifest["tables"]),
            "files": media["files"], "size": path.stat().st_size / 1_000_000,
        })
