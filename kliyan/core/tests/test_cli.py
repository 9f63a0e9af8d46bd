"""The `kliyan` command, run in-process: help, admins, tokens, checks, the worker."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone

from kliyan.accounts.models import ApiToken, Role, User
from kliyan.accounts.services import token_authenticate
from kliyan.cli import main
from kliyan.core.models import AuditEntry, ScheduledRun
from kliyan.interactions.models import Task

HELP_PATHS = [
    ["serve"], ["worker"], ["demo"], ["createadmin"], ["token"], ["token", "create"], ["token", "list"],
    ["token", "revoke"], ["check"],
]


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0

    out = capsys.readouterr().out
    for command in ("serve", "worker", "demo", "createadmin", "token", "check", "manage"):
        assert f"    {command}" in out


@pytest.mark.parametrize("path", HELP_PATHS, ids=" ".join)
def test_every_command_has_help(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*path, "--help"]) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"usage: kliyan {' '.join(path)}")
    assert "--help" in out


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2

    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


# --- createadmin ------------------------------------------------------------------------

@pytest.mark.django_db
def test_createadmin_creates_an_audited_administrator(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["createadmin", "--username", "boss", "--email", "Boss@Example.org", "--password", "plum-tree-harbour-42"])

    assert status == 0
    user = User.objects.get(username="boss")
    assert (user.role, user.is_superuser, user.is_staff, user.email) == (Role.ADMIN, True, True, "boss@example.org")
    assert user.check_password("plum-tree-harbour-42")
    assert AuditEntry.objects.filter(object_type="accounts.user", object_id=str(user.pk), via="cli").count() == 1
    assert "“boss” created" in capsys.readouterr().out


@pytest.mark.django_db
def test_createadmin_without_input_reads_the_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLIYAN_ADMIN_PASSWORD", "plum-tree-harbour-42")

    assert main(["createadmin", "--no-input"]) == 0

    assert User.objects.get(username="admin").check_password("plum-tree-harbour-42")


@pytest.mark.django_db
def test_createadmin_prompts_twice_for_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KLIYAN_ADMIN_PASSWORD", raising=False)
    answers = iter(["plum-tree-harbour-42", "plum-tree-harbour-42"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    assert main(["createadmin", "--username", "prompted"]) == 0

    assert User.objects.get(username="prompted").check_password("plum-tree-harbour-42")


@pytest.mark.django_db
def test_createadmin_refuses_mismatched_prompts(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("KLIYAN_ADMIN_PASSWORD", raising=False)
    answers = iter(["plum-tree-harbour-42", "plum-tree-harbour-43"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    assert main(["createadmin"]) == 1

    assert "do not match" in capsys.readouterr().err
    assert not User.objects.exists()


@pytest.mark.django_db
def test_createadmin_without_input_or_password_fails(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("KLIYAN_ADMIN_PASSWORD", raising=False)

    assert main(["createadmin", "--no-input"]) == 1

    assert "KLIYAN_ADMIN_PASSWORD" in capsys.readouterr().err
    assert not User.objects.exists()


@pytest.mark.django_db
def test_createadmin_rejects_a_weak_password_by_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["createadmin", "--password", "1234"]) == 1

    err = capsys.readouterr().err
    assert "kliyan createadmin: error:" in err
    assert "  password: " in err
    assert not User.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_createadmin_refuses_an_existing_username(admin: User, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["createadmin", "--username", "ADMIN", "--password", "plum-tree-harbour-42"]) == 1

    assert "username: A user with that username already exists." in capsys.readouterr().err
    assert User.objects.count() == 1


# --- tokens ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_token_create_prints_a_working_token_once(agent: User, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--user", "agent", "--name", "shop website", "--scope", "write"]) == 0

    captured = capsys.readouterr()
    raw = captured.out.strip()
    token = ApiToken.objects.get()
    assert token_authenticate(raw) == token
    assert (token.user, token.name, token.scope) == (agent, "shop website", "write")
    assert raw not in token.key_hash
    assert f"Token {token.pk}" in captured.err


@pytest.mark.django_db
def test_token_create_for_an_unknown_user_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--user", "nobody", "--name", "x"]) == 1

    assert "There is no user “nobody”." in capsys.readouterr().err
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_token_create_rejects_an_unknown_scope(agent: User, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--user", "agent", "--name", "x", "--scope", "admin"]) == 2

    assert "invalid choice: 'admin'" in capsys.readouterr().err
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_token_list_shows_tokens_without_their_secret(agent: User, viewer: User, capsys: pytest.CaptureFixture[str]) -> None:
    main(["token", "create", "--user", "agent", "--name", "shop website"])
    main(["token", "create", "--user", "viewer", "--name", "reports"])
    raw = capsys.readouterr().out.split()

    assert main(["token", "list"]) == 0
    everything = capsys.readouterr().out
    assert main(["token", "list", "--user", "viewer"]) == 0
    only_viewer = capsys.readouterr().out

    assert "shop website" in everything and "reports" in everything
    assert all(secret not in everything for secret in raw)
    assert "reports" in only_viewer and "shop website" not in only_viewer
    assert only_viewer.splitlines()[0].split() == ["ID", "User", "Name", "Scope", "Prefix", "Last", "used", "State"]


@pytest.mark.django_db
def test_token_list_when_there_are_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "list"]) == 0

    assert capsys.readouterr().out.strip() == "No tokens."


@pytest.mark.django_db
def test_token_revoke_stops_the_token(agent: User, capsys: pytest.CaptureFixture[str]) -> None:
    main(["token", "create", "--user", "agent", "--name", "shop website"])
    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get()

    assert main(["token", "revoke", str(token.pk)]) == 0

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_authenticate(raw) is None
    assert "is revoked" in capsys.readouterr().out
    assert AuditEntry.objects.filter(object_type="accounts.apitoken", action="archive", via="cli").count() == 1


@pytest.mark.django_db
def test_token_revoke_of_an_unknown_id_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "revoke", "999"]) == 1

    assert "There is no token with id 999." in capsys.readouterr().err


# --- check, manage, worker ---------------------------------------------------------------

@pytest.mark.django_db
def test_check_runs_the_system_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0

    assert "System check identified no issues" in capsys.readouterr().out


def run_kliyan(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m kliyan` in a fresh process (Django set up from scratch, as from a shell)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLIYAN_", "DJANGO_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="kliyan.config.settings", KLIYAN_DATA_DIR=str(data_dir))
    return subprocess.run([sys.executable, "-m", "kliyan", *args], env=env, capture_output=True, text=True, timeout=120)


def test_manage_passes_through_to_django(tmp_path: Path) -> None:
    result = run_kliyan("manage", "showmigrations", "core", data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "0002_scheduledrun" in result.stdout


def test_manage_reports_an_unknown_command(tmp_path: Path) -> None:
    result = run_kliyan("manage", "no_such_command", data_dir=tmp_path)

    assert result.returncode == 1
    assert "Unknown command: 'no_such_command'" in result.stderr


@pytest.mark.django_db
def test_worker_once_runs_the_schedule_and_sends_due_reminders(
    agent: User, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both runs see the same clock, so they fall in the same minute's slot.
    frozen = timezone.now()
    monkeypatch.setattr("kliyan.core.schedule.timezone", SimpleNamespace(now=lambda: frozen))
    due = Task.objects.create(
        title="Call back Ștefan", assignee=agent, due_date=timezone.localdate(),
        remind_at=timezone.now() - dt.timedelta(minutes=2),
    )

    assert main(["worker", "--once"]) == 0

    assert "enqueued queue_due_reminders" in capsys.readouterr().out
    assert ScheduledRun.objects.filter(job="queue_due_reminders").count() == 1
    assert [m.to for m in mail.outbox] == [[agent.email]]
    due.refresh_from_db()
    assert due.reminded_at is not None

    # A second worker started in the same minute finds the slot taken.
    assert main(["worker", "--once"]) == 0
    assert "enqueued nothing" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_a_worker_once_on_a_database_not_yet_migrated_says_so(tmp_path: Path) -> None:
    result = run_kliyan("worker", "--once", data_dir=tmp_path)

    assert result.returncode == 1
    assert "The database is not migrated yet" in result.stderr


def test_a_worker_started_with_the_first_serve_waits_for_its_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    from kliyan.core.management.commands import worker

    answers = iter([True, True, False])
    monkeypatch.setattr(worker, "migrations_pending", lambda: next(answers))
    said: list[str] = []

    worker.wait_for_migrations(said.append, every=0)

    assert said == ["Waiting for the database to be migrated (kliyan serve does it as it starts) …"]
    assert next(answers, "asked no more") == "asked no more"
