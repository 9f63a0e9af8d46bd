"""Progress of a backup or a restore on standard error: one line per table, and every so often for big ones."""

from __future__ import annotations

import time
from typing import Any

from django.utils.translation import gettext as _

from kliyan.backup.progress import Progress

EVERY_SECONDS = 5.0


class TableLines:
    def __init__(self, stderr: Any) -> None:
        self.stderr = stderr
        self.last = time.monotonic()

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if progress.stage == "table_done":
            self.stderr.write(_("%(table)s: %(rows)d records (%(done)d of %(total)d tables, %(percent)d %%)") % {
                "table": progress.table, "rows": progress.table_rows, "done": progress.tables_done,
                "total": progress.tables_total, "percent": progress.percent,
            })
            self.last = now
        elif now - self.last >= EVERY_SECONDS:
            if progress.stage == "media":
                self.stderr.write(_("files: %(files)d") % {"files": progress.files_done})
            else:
                self.stderr.write(_("%(table)s: %(rows)d of %(total)d records…") % {
                    "table": progress.table, "rows": progress.table_rows, "total": progress.table_rows_total,
                })
            self.last = now
