"""Import people or companies from a CSV, XLSX or vCard file, printing progress to standard error.

`kliyan import FILE` runs the import in this process, a batch at a time; if the process
is stopped, `kliyan import --resume ID` goes on after the last committed row.
"""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kliyan.core.management.commands._common import cli_errors, find_user
from kliyan.imports import queries, services
from kliyan.imports.choices import ImportStatus, ImportTarget, OnDuplicate
from kliyan.imports.models import Import

SHOWN_PROBLEMS = 20


class Command(BaseCommand):
    help = "Import people, companies, products or orders from a CSV, XLSX or vCard file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", default=None, help="The file to import.")
        parser.add_argument("--target", choices=ImportTarget.values, default=ImportTarget.CONTACTS)
        parser.add_argument("--mapping", default=None, help='JSON object: column → field, e.g. {"Tel": "phone"}.')
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--on-duplicate", choices=OnDuplicate.values, default=OnDuplicate.SKIP)
        parser.add_argument("--resume", type=int, default=None, help="Resume the interrupted import with this id.")
        parser.add_argument("--user", default=None)
        parser.add_argument("--batch-size", type=int, default=services.BATCH_SIZE)
        parser.add_argument("--report", default=None, help="Write the validation report (CSV) to this file.")
        parser.add_argument("--source", default=None, help="Products and orders: the source system they are filed under.")

    def handle(self, *args: Any, file: str | None, target: str, mapping: str | None, dry_run: bool, on_duplicate: str,
               resume: int | None, user: str | None, batch_size: int, report: str | None, source: str | None = None,
               **options: Any) -> None:
        with cli_errors():
            actor = find_user(user) if user else None
            if resume is not None:
                imported = services.import_resume(actor=actor, import_=services.get_import(resume), enqueue=False)
                self.stderr.write(_("Resuming import %(id)d after row %(row)d.") % {"id": imported.pk, "row": imported.last_row})
            else:
                imported = self._start(file, target=target, mapping=mapping, dry_run=dry_run, on_duplicate=on_duplicate, actor=actor,
                                       source=source)
            if imported.status == ImportStatus.UNDOING:
                imported = services.run_undo(import_id=imported.pk, runner=imported.runner, actor=actor)
            else:
                imported = services.run_import(
                    import_id=imported.pk, runner=imported.runner, batch_size=max(1, batch_size), on_progress=self._progress,
                )
        self._finish(imported, report)

    def _start(self, file: str | None, *, target: str, mapping: str | None, dry_run: bool, on_duplicate: str, actor: Any,
               source: str | None) -> Import:
        if not file:
            raise CommandError(_("Give the file to import, or --resume ID."))
        wanted = None
        if mapping:
            try:
                wanted = json.loads(mapping)
            except ValueError as error:
                raise CommandError(_("--mapping is not valid JSON: %(error)s") % {"error": error}) from error
        try:
            handle = open(file, "rb")  # noqa: SIM115 - closed below, after the upload is stored
        except OSError as error:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": error.strerror}) from error
        with handle:
            imported = services.import_create(
                actor=actor, upload=File(handle, name=os.path.basename(file)), target=target, name=os.path.basename(file),
                mapping=wanted, on_duplicate=on_duplicate, dry_run=dry_run, enqueue=False, source=source,
            )
        columns = ", ".join(f"{h} → {imported.mapping[h]}" for h in imported.headers if imported.mapping.get(h))
        self.stderr.write(_("Import %(id)d: %(name)s (%(format)s). Columns: %(columns)s") % {
            "id": imported.pk, "name": imported.original_name, "format": imported.get_file_format_display(), "columns": columns,
        })
        return imported

    def _progress(self, imported: Import) -> None:
        self.stderr.write(_("row %(row)d: %(read)d read, %(created)d created, %(updated)d updated, %(skipped)d skipped, "
                            "%(failed)d failed (%(percent)d %%)") % {
            "row": imported.last_row, "read": imported.rows_read, "created": imported.created, "updated": imported.updated,
            "skipped": imported.skipped, "failed": imported.failed, "percent": imported.percent_done,
        })

    def _finish(self, imported: Import, report: str | None) -> None:
        for problem in queries.first_problems(imported, SHOWN_PROBLEMS):
            self.stderr.write(_("row %(row)d, %(column)s: %(message)s") % {
                "row": problem.row, "column": problem.column or "-", "message": problem.message,
            })
        if imported.failed > SHOWN_PROBLEMS:
            self.stderr.write(_("… see the whole report with --report FILE."))
        if report:
            with open(report, "w", encoding="utf-8", newline="") as out:
                out.writelines(queries.report_lines(imported))
        if imported.status == ImportStatus.FAILED:
            raise CommandError(imported.error or _("The import failed."))
        if imported.status == ImportStatus.UNDONE:
            self.stdout.write(_("Import %(id)d undone: %(summary)s") % {"id": imported.pk, "summary": imported.undo_summary})
            return
        template = (
            _("Import %(id)d checked (nothing written): %(read)d rows, would create %(created)d, would update %(updated)d, "
              "would skip %(skipped)d, %(failed)d with errors.")
            if imported.dry_run else
            _("Import %(id)d done: %(read)d rows, %(created)d created, %(updated)d updated, %(skipped)d skipped, %(failed)d failed.")
        )
        self.stdout.write(template % {
            "id": imported.pk, "read": imported.rows_read, "created": imported.created, "updated": imported.updated,
            "skipped": imported.skipped, "failed": imported.failed,
        })
        for label, count in imported.match_counts:
            self.stderr.write(_("Taken for an existing record (%(reason)s): %(count)d rows.") % {"reason": label, "count": count})
        if imported.failed:
            raise CommandError(_("%(failed)d of %(read)d rows were not imported.") % {"failed": imported.failed, "read": imported.rows_read}, returncode=1)
