"""`kliyan mail-in`: one e-mail on standard input, as a mail server's pipe delivers it, with sysexits statuses."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from kliyan.cli import main
from kliyan.core.models import AuditEntry
from kliyan.service.models import Ticket, TicketMessage


def feed(monkeypatch: pytest.MonkeyPatch, raw: bytes) -> None:
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(raw)))


def test_mail_in_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mail-in", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: kliyan mail-in") and "--user" in out


@pytest.mark.django_db
def test_a_message_on_standard_input_becomes_a_ticket(monkeypatch, eml, agent, capsys) -> None:
    feed(monkeypatch, eml("plain_utf8.eml"))
    assert main(["mail-in", "--user", "agent"]) == 0
    ticket = Ticket.objects.get()
    assert capsys.readouterr().out.strip() == f"created {ticket.reference}"
    entry = AuditEntry.objects.filter(object_type="service.ticket").get()
    assert (entry.via, entry.actor) == ("cli", agent)


@pytest.mark.django_db
def test_the_same_message_piped_twice_is_stored_once_and_both_succeed(monkeypatch, eml, capsys) -> None:
    feed(monkeypatch, eml("plain_utf8.eml"))
    assert main(["mail-in"]) == 0
    feed(monkeypatch, eml("duplicate.eml"))
    assert main(["mail-in"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("duplicate T-")
    assert TicketMessage.objects.count() == 1


@pytest.mark.django_db
def test_input_that_is_not_mail_exits_65_with_a_message_and_writes_nothing(monkeypatch, capsys) -> None:
    feed(monkeypatch, b"hello, this is not an e-mail\n")
    assert main(["mail-in"]) == 65
    err = capsys.readouterr().err
    assert err.startswith("kliyan mail-in: error:") and "sender" in err
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_an_unknown_user_is_an_error(monkeypatch, eml, capsys) -> None:
    feed(monkeypatch, eml("plain_utf8.eml"))
    assert main(["mail-in", "--user", "nobody"]) == 1
    assert "nobody" in capsys.readouterr().err
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_database_failure_exits_75_so_the_mail_server_retries(monkeypatch, eml, capsys) -> None:
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("kliyan.service.inbox.mail_receive", down)
    feed(monkeypatch, eml("plain_utf8.eml"))
    assert main(["mail-in"]) == 75
    assert "database" in capsys.readouterr().err


def test_the_real_command_in_a_pipe_refuses_garbage_with_65(tmp_path: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kliyan.config.settings_test", "KLIYAN_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "kliyan", "mail-in"], input=b"\x00\x01\x02 binary junk", capture_output=True,
        env=env, timeout=120, check=False, cwd=Path(__file__).resolve().parents[3],
    )
    assert done.returncode == 65, done.stderr
    assert b"kliyan mail-in: error: This is not an e-mail message" in done.stderr
