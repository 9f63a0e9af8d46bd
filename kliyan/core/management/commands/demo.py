"""Load the demo data (people, companies, interactions, tasks, birthdays)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kliyan.core.demo import DEFAULT_SEED, DemoAlreadyLoaded, DemoLogin, ensure_demo_admin, load_demo
from kliyan.core.management.commands._common import cli_errors


def positive(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Load realistic demo data: people and companies from Haiti, Malawi, Albania, Romania and France, "
        "with interactions on every channel, tasks and birthdays. Does nothing if the demo is loaded already."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--people", type=positive, default=200, help="How many people (default: 200).")
        parser.add_argument("--companies", type=positive, default=40, help="How many companies (default: 40).")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed; one seed gives one demo.")

    def handle(self, *args: Any, people: int, companies: int, seed: int, **options: Any) -> None:
        with cli_errors():
            try:
                summary = load_demo(people=people, companies=companies, seed=seed)
            except DemoAlreadyLoaded:
                self.stdout.write(_("The demo data is already loaded; nothing to do."))
                return
        self.stdout.write(
            _("Loaded %(people)s people, %(companies)s companies, %(interactions)s interactions, %(tasks)s tasks and %(orders)s orders.")
            % {"people": summary.people, "companies": summary.companies, "interactions": summary.interactions, "tasks": summary.tasks,
               "orders": summary.orders}
        )
        print_login(self.stdout, ensure_demo_admin())


def print_login(out: Any, login: DemoLogin) -> None:
    """Tell the reader how to sign in as the demo administrator."""
    if login.password:
        out.write(_("Log in as “%(user)s” with the password “%(password)s”.") % {"user": login.username, "password": login.password})
    else:
        out.write(_("Log in as “%(user)s” (set a new password with: kliyan manage changepassword %(user)s).") % {"user": login.username})
