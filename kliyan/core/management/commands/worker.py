"""Run background tasks and the periodic schedule (kliyan.core.schedule)."""

from __future__ import annotations

import logging
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend

from kliyan.core import schedule

logger = logging.getLogger("kliyan.worker")


def run_schedule(stop: threading.Event, every: float) -> None:
    """Tick the schedule until `stop` is set; a failing tick is logged, never fatal."""
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                schedule.tick()
            except Exception:
                logger.exception("The schedule tick failed; trying again in %s s.", every)
            stop.wait(every)
    finally:
        connections.close_all()


def migrations_pending() -> bool:
    """Return whether the database lacks some of the code's migrations (or is still being migrated)."""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def wait_for_migrations(say: Any, every: float = 2.0) -> None:
    """Wait until `kliyan serve` (or `kliyan manage migrate`) has migrated the database.

    A worker started at the same moment as the first `kliyan serve` (a service manager starts
    both) would otherwise query tables that do not exist yet and stop.
    """
    said = False
    while migrations_pending():
        if not said:
            say(_("Waiting for the database to be migrated (kliyan serve does it as it starts) …"))
            said = True
        connections.close_all()
        time.sleep(every)


class Command(BaseCommand):
    help = "Run background tasks (e-mails, reminders) and the periodic schedule. Run one or more next to `kliyan serve`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between looks for new tasks (default: 1).")
        parser.add_argument("--tick", dest="tick_seconds", type=float, default=10.0, help="Seconds between schedule checks (default: 10).")
        parser.add_argument(
            "--once", action="store_true",
            help="Check the schedule once, run every task that is waiting, then exit (for cron or tests).",
        )

    def handle(self, *args: Any, interval: float, tick_seconds: float, once: bool, verbosity: int = 1, **options: Any) -> None:
        uses_database_queue = isinstance(task_backends["default"], DatabaseBackend)
        if once:
            if migrations_pending():
                raise CommandError(_("The database is not migrated yet: start kliyan serve, or run kliyan manage migrate."))
            enqueued = schedule.tick()
            self.stdout.write(f"Schedule: enqueued {', '.join(enqueued) or 'nothing'}.")
            if uses_database_queue:
                call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=verbosity)
            return
        wait_for_migrations(self.stdout.write)
        stop = threading.Event()
        if not uses_database_queue:
            # Another backend (e.g. immediate) runs tasks itself; only the schedule is ours.
            run_schedule(stop, tick_seconds)
            return
        scheduler = threading.Thread(target=run_schedule, args=(stop, tick_seconds), name="kliyan-schedule", daemon=True)
        scheduler.start()
        try:
            call_command("db_worker", interval=interval, reload=False, verbosity=verbosity)
        finally:
            stop.set()
