"""Prepare the database and static files, then run the production web server (uvicorn)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kliyan.accounts.models import User
from kliyan.contacts.models import Contact
from kliyan.core.demo import ensure_demo_admin, load_demo
from kliyan.core.management.commands.demo import print_login

ASGI_APP = "kliyan.config.asgi:application"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def browser_url(host: str, port: int) -> str:
    """Return the address to open in a browser for a server bound to `host`."""
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


class Command(BaseCommand):
    help = (
        "Apply migrations, collect static files, then serve Kliyan with uvicorn. "
        "With --demo, load demo data into an empty database first."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default: 127.0.0.1; 0.0.0.0 for every interface).")
        parser.add_argument("--port", type=int, default=8000, help="Port (default: 8000).")
        parser.add_argument("--workers", type=int, default=1, help="Web server processes (default: 1).")
        parser.add_argument("--demo", action="store_true", help="Load demo data if there are no contacts, and create a demo admin.")

    def handle(self, *args: Any, host: str, port: int, workers: int, demo: bool, **options: Any) -> None:
        self.stdout.write(_("Preparing the database in %(place)s …") % {"place": self._database_label()})
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if demo:
            self._demo()
        elif not User.objects.exists():
            self.stdout.write(_("No user yet: create an administrator with `kliyan createadmin`."))
        self.stdout.write("")
        self.stdout.write(_("Kliyan is running at %(url)s") % {"url": browser_url(host, port)})
        if host not in LOOPBACK:
            self.stdout.write(_("Other machines reach it only by names listed in KLIYAN_ALLOWED_HOSTS."))
        self.stdout.write(_("Background tasks and reminders need a worker: run `kliyan worker` in another terminal."))
        self.stdout.write(_("Press Ctrl+C to stop."))
        self.stdout.flush()
        uvicorn.run(
            ASGI_APP, host=host, port=port, workers=max(workers, 1),
            # Django does not speak the ASGI lifespan protocol.
            lifespan="off", server_header=False, log_level="info",
        )

    def _demo(self) -> None:
        if not Contact.objects.exists():
            self.stdout.write(_("Loading demo data (a few seconds) …"))
            load_demo()
        print_login(self.stdout, ensure_demo_admin())

    def _database_label(self) -> str:
        database = settings.DATABASES["default"]
        if database["ENGINE"].endswith("sqlite3"):
            return str(database["NAME"])
        return f"{database.get('NAME')} @ {database.get('HOST') or 'localhost'}"
