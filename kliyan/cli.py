"""The `kliyan` command: parse the arguments, then call a Django management command.

The parser lives here, not in Django, so `kliyan --help` and `kliyan <command> --help`
answer without a database or settings; each command's work lives in its management
command (kliyan/core/management/commands/), which `kliyan manage` also reaches.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

SETTINGS_MODULE = "kliyan.config.settings"


def _version() -> str:
    try:
        return version("kliyan")
    except PackageNotFoundError:
        return "unknown"


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return number


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return number


def _add_serve(commands: Any) -> None:
    serve = commands.add_parser(
        "serve", help="apply migrations and run the web server",
        description="Apply database migrations, collect static files, then run the production web server "
        "(uvicorn). Background tasks need `kliyan worker` next to it.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s; 0.0.0.0 for all)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument("--workers", type=_positive_int, default=1, help="web server processes (default: %(default)s)")
    serve.add_argument(
        "--demo", action="store_true",
        help="load demo data if the database has no contacts, create a demo admin and print its password",
    )


def _add_worker(commands: Any) -> None:
    worker = commands.add_parser(
        "worker", help="run background tasks and the periodic schedule",
        description="Run background tasks (reminder e-mails, …) and the periodic schedule declared in "
        "kliyan/core/schedule.py. Several workers may run at once; each scheduled run happens once.",
    )
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between looks for new tasks (default: %(default)s)")
    worker.add_argument("--tick", type=float, default=10.0, help="seconds between schedule checks (default: %(default)s)")
    worker.add_argument("--once", action="store_true", help="check the schedule once, run the waiting tasks, then exit")


def _add_demo(commands: Any) -> None:
    demo = commands.add_parser(
        "demo", help="load realistic demo data",
        description="Load demo people and companies from Haiti, Malawi, Albania, Romania and France, with "
        "interactions on every channel, tasks and birthdays. Does nothing if the demo is loaded already.",
    )
    demo.add_argument("--people", type=_count, default=200, help="how many people (default: %(default)s)")
    demo.add_argument("--companies", type=_count, default=40, help="how many companies (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=None, help="random seed; the same seed gives the same demo")


def _add_createadmin(commands: Any) -> None:
    admin = commands.add_parser(
        "createadmin", help="create an administrator",
        description="Create an administrator. Asks for the password unless --password is given; with "
        "--no-input the password comes from --password or the KLIYAN_ADMIN_PASSWORD environment variable.",
    )
    admin.add_argument("--username", default="admin", help="login name (default: %(default)s)")
    admin.add_argument("--email", default="", help="e-mail address (for reminders)")
    admin.add_argument("--password", default=None, help="password (visible in shell history; prefer the prompt)")
    admin.add_argument("--no-input", action="store_true", help="never prompt")


def _add_token(commands: Any) -> None:
    token = commands.add_parser(
        "token", help="create, list or revoke API tokens",
        description="Manage Bearer tokens for the API (/api/v1/). Tokens are stored hashed.",
    )
    actions = token.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", help="create a token and print it once",
        description="Create a token for a user. The token is printed once on standard output; it cannot be shown again.",
    )
    create.add_argument("--user", required=True, help="username the token acts as")
    create.add_argument("--name", required=True, help='what the token is for ("shop website")')
    create.add_argument("--scope", choices=("read", "write"), default="read", help="read (default) or write")
    listing = actions.add_parser("list", help="list tokens", description="List tokens: id, user, name, scope, prefix, last use, state.")
    listing.add_argument("--user", default=None, help="only this user's tokens")
    revoke = actions.add_parser("revoke", help="revoke a token", description="Revoke a token by its id (see `kliyan token list`).")
    revoke.add_argument("id", type=int, help="the token's id")


def _add_check(commands: Any) -> None:
    check = commands.add_parser(
        "check", help="run Django's system checks",
        description="Check the configuration. With --deploy, also check the settings for running in production "
        "(set KLIYAN_HTTPS=1 and KLIYAN_ALLOWED_HOSTS first).",
    )
    check.add_argument("--deploy", action="store_true", help="also run the production checks")
    check.add_argument(
        "--fail-level", choices=("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"), default="ERROR",
        help="exit non-zero from this level on (default: %(default)s)",
    )


def _add_ingest(commands: Any) -> None:
    ingest = commands.add_parser(
        "ingest", help="take in products, stock, orders, invoices or payments from a file",
        description="Create or update records sent by another system, one JSON object a line (NDJSON), the same "
        "way as POST /api/v1/ingest/KIND/bulk. Prints a summary and each failed line; exits non-zero if any line failed.",
    )
    ingest.add_argument(
        "kind", choices=("categories", "products", "stock", "orders", "invoices", "payments"), help="what the file holds",
    )
    ingest.add_argument("file", help="the NDJSON file, or - for standard input")
    ingest.add_argument("--source", default="", help="source system for lines that name none")
    ingest.add_argument("--user", default=None, help="username the audit log records as having sent the data")


def _add_import(commands: Any) -> None:
    imp = commands.add_parser(
        "import", help="import people, companies, products or orders from a CSV, XLSX or vCard file",
        description="Import people (or companies, products, orders) from a CSV (any delimiter and encoding), XLSX or vCard file. Columns "
        "are mapped from their names in any of the six languages; --mapping overrides the guess. Progress goes to "
        "standard error. Rows with a problem are reported, never half-imported; exits non-zero if any row failed. "
        "If the process is stopped, `kliyan import --resume ID` goes on after the last committed row.",
    )
    imp.add_argument("file", nargs="?", default=None, help="the file to import")
    imp.add_argument("--target", choices=("contacts", "companies", "products", "orders"), default="contacts",
                     help="what the file holds; orders: a row per order line (default: %(default)s)")
    imp.add_argument("--mapping", default=None, help='JSON object column → field, e.g. \'{"Tel": "phone", "Notes": ""}\'')
    imp.add_argument("--dry-run", action="store_true", help="check and count the whole file, write nothing")
    imp.add_argument(
        "--on-duplicate", choices=("skip", "update", "create"), default="skip",
        help="when a row has the e-mail, phone or a similar name at the same company of an existing record, or the code or "
        "number of an existing product or order (default: %(default)s)",
    )
    imp.add_argument("--resume", type=int, default=None, metavar="ID", help="resume the interrupted import with this id")
    imp.add_argument("--user", default=None, help="username the audit log records as having imported")
    imp.add_argument("--batch-size", type=_positive_int, default=5_000, help="rows per committed batch (default: %(default)s)")
    imp.add_argument("--report", default=None, metavar="PATH", help="write the validation report (CSV) to this file")
    imp.add_argument("--source", default=None, help="products and orders: the source system they are filed under (default: import)")


def _add_mail_in(commands: Any) -> None:
    mail_in = commands.add_parser(
        "mail-in", help="take in one e-mail from standard input (for a mail server's pipe)",
        description="Read one raw e-mail (RFC 5322) from standard input and file it in the service desk: a new ticket, "
        "or the customer's reply to one (threaded by In-Reply-To/References or the [T-000123] tag). The same "
        "Message-ID twice is stored once. Exit status: 0 filed (or a duplicate), 65 not an e-mail (the mail server "
        "bounces it), 75 a temporary failure such as the database being down (the mail server tries again). "
        "See docs/service-desk.md for the Postfix line.",
    )
    mail_in.add_argument("--user", default=None, help="username the audit log records as having taken the mail in")


def _add_backup(commands: Any) -> None:
    backup = commands.add_parser(
        "backup", help="write a backup of the whole database and the stored files to one file",
        description="Write every record of the database and every stored file (attachments, imported files) to one "
        "file (ZIP), read from one consistent moment while Kliyan keeps running. Progress goes to standard error. "
        "See docs/backup.md.",
    )
    backup.add_argument("file", help="the file to write; it must not exist yet")


def _add_restore(commands: Any) -> None:
    restore = commands.add_parser(
        "restore", help="restore a backup into an empty database",
        description="Restore a backup written by `kliyan backup` or the Backups page into an empty database (SQLite or "
        "PostgreSQL: set DATABASE_URL first), migrating it as needed. A database that holds records is refused. If "
        "anything goes wrong, nothing is restored and the restore can be run again. See docs/backup.md.",
    )
    restore.add_argument("file", help="the backup file (.zip)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kliyan",
        description="Kliyan, the customer database. Data lives in KLIYAN_DATA_DIR; DATABASE_URL selects PostgreSQL.",
        epilog="Run `kliyan COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"kliyan {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (_add_serve, _add_worker, _add_demo, _add_createadmin, _add_token, _add_check, _add_ingest, _add_import,
                _add_mail_in, _add_backup, _add_restore):
        add(commands)
    commands.add_parser(
        "manage", help="run any Django management command (kliyan manage help)", add_help=False,
        description="Run a Django management command, e.g. `kliyan manage changepassword admin`.",
    )
    return parser


def _serve(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    return "serve", {"host": args.host, "port": args.port, "workers": args.workers, "demo": args.demo}


def _worker(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    return "worker", {"interval": args.interval, "tick_seconds": args.tick, "once": args.once}


def _demo(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    options: dict[str, Any] = {"people": args.people, "companies": args.companies}
    if args.seed is not None:
        options["seed"] = args.seed
    return "demo", options


def _createadmin(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    return "createadmin", {
        "username": args.username, "email": args.email, "password": args.password, "interactive": not args.no_input,
    }


def _token(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    if args.token_action == "create":
        return "token_create", {"user": args.user, "name": args.name, "scope": args.scope}
    if args.token_action == "list":
        return "token_list", {"user": args.user}
    return "token_revoke", {"args": [str(args.id)]}


def _check(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    return "check", {"deploy": args.deploy, "fail_level": args.fail_level}


def _ingest(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    return "ingest", {"args": [args.kind, args.file], "source": args.source, "user": args.user}


def _import(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    return "importfile", {
        "args": [args.file] if args.file else [], "target": args.target, "mapping": args.mapping, "dry_run": args.dry_run,
        "on_duplicate": args.on_duplicate, "resume": args.resume, "user": args.user, "batch_size": args.batch_size,
        "report": args.report, "source": args.source,
    }


def _mail_in(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    return "mail_in", {"user": args.user}


COMMANDS: dict[str, Callable[[argparse.Namespace], tuple[str, dict[str, Any]]]] = {
    "serve": _serve, "worker": _worker, "demo": _demo, "createadmin": _createadmin, "token": _token, "check": _check,
    "ingest": _ingest, "import": _import, "mail-in": _mail_in,
    "backup": lambda args: ("backup", {"args": [args.file]}), "restore": lambda args: ("restore", {"args": [args.file]}),
}


def _manage(argv: Sequence[str]) -> int:
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["kliyan manage", *argv])
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `kliyan` command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    if argv[:1] == ["manage"]:
        return _manage(argv[1:])
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else 2
    import django
    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.base import CommandError

    if not apps.ready:  # in-process callers (tests) have set Django up already
        django.setup()
    name, options = COMMANDS[args.command](args)
    positional = options.pop("args", [])
    try:
        call_command(name, *positional, **options)
    except CommandError as error:
        print(f"kliyan {args.command}: error: {error}", file=sys.stderr)
        return error.returncode if error.returncode else 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
