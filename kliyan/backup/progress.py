"""How far a backup or a restore has come, for the command line's messages and the page's progress bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Progress:
    tables_total: int = 0
    tables_done: int = 0
    rows_total: int = 0
    rows_done: int = 0
    table: str = ""
    table_rows: int = 0
    table_rows_total: int = 0
    # "table" while rows are written or loaded, "table_done" once a table is complete, "media" for the files.
    stage: str = "table"
    files_done: int = 0

    @property
    def percent(self) -> int:
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


ProgressCallback = Callable[[Progress], None]


def ignore(progress: Progress) -> None:
    """Report nowhere."""
