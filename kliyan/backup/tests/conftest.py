"""Helpers for the backup tests: a media and a backup directory per test, real `kliyan` processes, PostgreSQL."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BINARY = b"\x00\x01\xfe\xff not text"


@pytest.fixture(autouse=True)
def _directories(settings: Any, tmp_path: Path) -> None:
    # Each test keeps its stored files and its backups in its own directories.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KLIYAN_BACKUP_DIR = tmp_path / "backups"


def kliyan(*args: str, data_dir: Path, database_url: str = "", timeout: float = 900) -> subprocess.CompletedProcess:
    """Run `kliyan ARGS` in a new process, on its own data directory (and PostgreSQL database if given)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLIYAN_", "DJANGO_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="kliyan.config.settings", KLIYAN_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "kliyan", *args], env=env, capture_output=True, text=True, timeout=timeout)


def manifest_of(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def member_lines(path: Path, member: str) -> list[bytes]:
    with zipfile.ZipFile(path) as archive:
        return archive.read(member).splitlines()


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database for a restore; drop it afterwards. Skip if PostgreSQL is not there."""
    psycopg = pytest.importorskip("psycopg")
    name = f"kliyan_restore_test_{secrets.token_hex(4)}"
    try:
        server = psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 as user postgres ({error}); the restore into "
                    "PostgreSQL cannot be tried here.")
    with server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def small_data() -> dict[str, Any]:
    """A few records across apps, with a forward-pointing key, an attachment and the edge values of each type."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from kliyan.accounts.models import Role, User
    from kliyan.commerce.models import ProductCategory
    from kliyan.contacts.models import Contact
    from kliyan.contacts.services import contact_create
    from kliyan.core.audit import audit_context
    from kliyan.core.models import IdempotencyRecord
    from kliyan.service.models import SLAPolicy
    from kliyan.service.services import ticket_create

    admin = User.objects.create_user(username="root", password="correct horse battery", role=Role.ADMIN)
    with audit_context(via="web", ip_address="2001:db8::1"):
        first = contact_create(actor=admin, data={"first_name": "Ștefan", "last_name": "Popescu", "birthday": "1985-03-14"})
    second = contact_create(actor=admin, data={"first_name": "Marie-Claude", "last_name": "Joseph 🌺"})
    Contact.objects.filter(pk=first.pk).update(referred_by=second)
    child = ProductCategory.objects.create(name="Sandales", source="test", external_id="child")
    parent = ProductCategory.objects.create(name="Chaussures", source="test", external_id="parent")
    ProductCategory.objects.filter(pk=child.pk).update(parent=parent)
    SLAPolicy.objects.create(name="Urgent", priority="urgent", first_response_within=dt.timedelta(minutes=30),
                             resolution_within=dt.timedelta(days=1, hours=3, microseconds=7))
    IdempotencyRecord.objects.create(principal="user:1", key="k-1", method="POST", path="/api/v1/contacts",
                                     request_hash="0" * 64, status_code=201, response_body=BINARY, content_type="text/plain")
    ticket = ticket_create(actor=admin, contact=first, data={"subject": "Factură", "description": "Vezi atașamentul."},
                           files=[SimpleUploadedFile("factura.pdf", b"%PDF\x00\xff", content_type="application/pdf")])
    return {"admin": admin, "first": first, "second": second, "ticket": ticket,
            "attachment": ticket.attachments.get().file.name}


@pytest.fixture
def make_backup(tmp_path: Path, settings: Any) -> Any:
    """Return a function that fills the database, writes a backup and takes the records away again.

    The test database is then empty, as a new database is, for an in-process restore; the
    stored files stay in the first media directory and restores write to a second one.
    """
    from django.db import transaction

    from kliyan.backup.writer import write_backup

    def make(fill: Any = small_data, name: str = "backup.zip") -> tuple[Path, dict[str, Any]]:
        path = tmp_path / name
        with transaction.atomic():
            facts = fill()
            manifest = write_backup(path)
            transaction.set_rollback(True)
        settings.MEDIA_ROOT = tmp_path / "restored-media"
        return path, {**facts, "manifest": manifest}

    return make


def rewrite(source: Path, target: Path, *, replace: dict[str, bytes] | None = None,
            manifest: Any = None) -> Path:
    """Copy a backup with some members replaced, or its manifest changed by `manifest(dict)`."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if replace and info.filename in replace:
                data = replace[info.filename]
            if info.filename == "manifest.json" and manifest is not None:
                content = json.loads(data)
                manifest(content)
                data = json.dumps(content).encode()
            new.writestr(info.filename, data)
    return target
