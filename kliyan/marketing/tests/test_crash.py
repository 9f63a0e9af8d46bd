"""A worker killed with SIGKILL in the middle of a 10,000-recipient campaign, then started again:
every recipient has exactly one Message row, sent, and received exactly one distinct Message-ID.

This runs the real thing: `kliyan manage migrate` and `kliyan worker` in their own processes
against a file SQLite database in a temporary data directory (the test database of pytest
lives in memory, where another process cannot see it), and a real SMTP server (aiosmtpd) in
this process counting what arrives. The one message that may arrive twice is the one whose
"sent" the kill cut off (docs/decisions/0011): its copy carries the same Message-ID.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from kliyan.marketing.tests.outbox_fixtures import Inbox, start_smtp

RECIPIENTS = 10_000
KILL_AFTER = RECIPIENTS // 2
# Claims of the killed worker lapse after this many seconds (120 in production).
CLAIM_SECONDS = 2
DEADLINE_SECONDS = 90

SETUP = f"""
from django.core.management import call_command
from django.utils import timezone
from kliyan.contacts.models import Consent, Contact
from kliyan.marketing.outbox import queue_many

call_command("migrate", verbosity=0)
now = timezone.now()
Contact.objects.bulk_create(
    [Contact(first_name=f"P{{n}}", display_name=f"P{{n}}", primary_email=f"p{{n}}@example.org") for n in range({RECIPIENTS})],
    batch_size=1000,
)
ids = list(Contact.objects.values_list("pk", flat=True))
Consent.objects.bulk_create([Consent(contact_id=pk, channel="email", status="granted", updated_at=now) for pk in ids],
                            batch_size=1000)
stored = queue_many(contact_ids=ids, channel="email", purpose="marketing", subject="Spring sale",
                    body="20 % off everything this week.", key_for=lambda pk: f"campaign:1:{{pk}}")
assert stored == {RECIPIENTS}, stored
"""
ENQUEUE = "from kliyan.marketing.tasks import deliver_messages; deliver_messages.enqueue()"
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


class CountingInbox(Inbox):
    """Keeps only (recipient, Message-ID) of each e-mail: parsing 10,000 whole messages would slow the server."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        found = _MESSAGE_ID.search(envelope.content)
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received.append((recipient, found.group(1).decode() if found else ""))
        return "250 Message accepted for delivery"

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802 - aiosmtpd's hook
                          responses: list[str]) -> list[str]:
        # Offer PIPELINING, as Postfix does: the sender then writes each message's envelope behind
        # the previous message's text, the way whose guarantee is the subtler one to keep.
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    def count(self) -> int:
        with self.lock:
            return len(self.received)


def _env(data_dir: Path, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLIYAN_", "DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="kliyan.config.settings", KLIYAN_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1",
        KLIYAN_EMAIL_HOST="127.0.0.1", KLIYAN_EMAIL_PORT=str(smtp_port), KLIYAN_FROM_EMAIL="Shop <hello@shop.example>",
        KLIYAN_PUBLIC_URL="https://crm.shop.example", KLIYAN_QUIET_HOURS="", KLIYAN_OUTBOX_CLAIM_SECONDS=str(CLAIM_SECONDS),
        KLIYAN_LOG_LEVEL="WARNING",
    )
    return env


def _kliyan(*args: str, env: dict[str, str], log: Path) -> None:
    with log.open("ab") as out:
        done = subprocess.run([sys.executable, "-m", "kliyan", *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                              timeout=120, check=False)
    assert done.returncode == 0, log.read_text(errors="replace")


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "kliyan", "worker", "--interval", "0.2"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)


def _statuses(database: Path) -> dict[str, int]:
    with sqlite3.connect(database, timeout=20) as db:
        return dict(db.execute("SELECT status, COUNT(*) FROM marketing_message GROUP BY status").fetchall())


def test_a_worker_killed_mid_campaign_leaves_every_recipient_exactly_one_message(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="mail.log")  # aiosmtpd logs every session at INFO
    inbox = CountingInbox()
    controller = start_smtp(inbox)
    env, log, database = _env(tmp_path, controller.bound_port), tmp_path / "kliyan.log", tmp_path / "kliyan.sqlite3"
    worker: subprocess.Popen[bytes] | None = None
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        # Migrates, stores the campaign and enqueues its delivery.
        _kliyan("manage", "shell", "-c", SETUP, env=env, log=log)

        worker = _start_worker(env, log)
        while inbox.count() < KILL_AFTER:
            assert worker.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, f"only {inbox.count()} e-mails in time:\n{log.read_text(errors='replace')}"
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        at_kill = inbox.count()
        assert at_kill < RECIPIENTS, "the worker finished before it could be killed"

        # The next sweep (here enqueued rather than waited for at the next minute) after the claims lapse.
        time.sleep(CLAIM_SECONDS + 0.5)
        _kliyan("manage", "shell", "-c", ENQUEUE, env=env, log=log)
        worker = _start_worker(env, log)
        while _statuses(database).get("sent", 0) < RECIPIENTS:
            assert worker.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, f"{_statuses(database)} in time:\n{log.read_text(errors='replace')}"
            time.sleep(0.2)
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGINT)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        controller.stop()

    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT contact_id, recipient, status, provider_id FROM marketing_message").fetchall()
    assert len(rows) == RECIPIENTS
    assert len({contact_id for contact_id, *_ in rows}) == RECIPIENTS
    assert {status for _c, _r, status, _p in rows} == {"sent"}
    ids_by_recipient: dict[str, set[str]] = defaultdict(set)
    copies: dict[str, int] = defaultdict(int)
    for recipient, message_id in inbox.received:
        ids_by_recipient[recipient].add(message_id)
        copies[recipient] += 1
    assert len(ids_by_recipient) == RECIPIENTS
    assert all(len(ids) == 1 for ids in ids_by_recipient.values())
    assert {recipient: next(iter(ids)) for recipient, ids in ids_by_recipient.items()} == {
        recipient: provider_id for _c, recipient, _s, provider_id in rows
    }
    # Only the message in flight when the worker died can have been received twice.
    assert sum(n - 1 for n in copies.values()) <= 1, {r: n for r, n in copies.items() if n > 1}
    assert KILL_AFTER <= at_kill
