"""The path from SQLite to PostgreSQL: back up a full database, restore it with `kliyan restore` into a new
PostgreSQL database, and find every record of every table and every stored file there, unchanged.

The source is the test database (SQLite unless the suite runs on PostgreSQL); the target is
read back with psycopg, not through Kliyan, so the comparison does not share the backup's code.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings

from kliyan.backup.schema import SKIPPED_MODELS
from kliyan.backup.tests.conftest import kliyan
from kliyan.backup.tests.data import ALLOWED_EMPTY, ATTACHMENT, fill_every_app
from kliyan.cli import main
from kliyan.contacts.models import Contact

pytestmark = pytest.mark.django_db
CREATE_CONTACT = (
    "from kliyan.contacts.services import contact_create;"
    "print(contact_create(actor=None, data={'first_name': 'Arbër', 'last_name': 'Hoxha'}).pk)"
)


def normal(value: Any) -> Any:
    """Return a value as both sides can be compared: bytes, UTC date-times, addresses as text."""
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    return value


def tables() -> list[Any]:
    return [m for m in apps.get_models(include_auto_created=True)
            if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in SKIPPED_MODELS]


def source_rows(model: Any) -> list[tuple]:
    fields = model._meta.concrete_fields
    rows = model._base_manager.order_by("pk").values_list(*[f.attname for f in fields])
    return [tuple(normal(v) for v in row) for row in rows]


def target_rows(connection: Any, model: Any) -> list[tuple]:
    columns = ", ".join(f'"{f.column}"' for f in model._meta.concrete_fields)
    cursor = connection.execute(f'SELECT {columns} FROM "{model._meta.db_table}" ORDER BY "{model._meta.pk.column}"')
    return [tuple(normal(v) for v in row) for row in cursor.fetchall()]


def test_a_backup_of_every_app_restored_into_postgresql_holds_every_record_and_file(
    tmp_path: Path, postgres_database: str, django_capture_on_commit_callbacks, capsys,
) -> None:
    import psycopg

    fill_every_app(django_capture_on_commit_callbacks)
    empty = sorted(m._meta.label_lower for m in tables() if not m._base_manager.exists())
    assert set(empty) <= set(ALLOWED_EMPTY), f"fill these tables in backup/tests/data.py: {set(empty) - set(ALLOWED_EMPTY)}"
    stored = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    assert any(p.read_bytes() == ATTACHMENT for p in stored) and any(p.suffix == ".csv" for p in stored)

    backup = tmp_path / "kliyan.zip"
    assert main(["backup", str(backup)]) == 0
    assert "Backup written to" in capsys.readouterr().out
    target = tmp_path / "target"
    restored = kliyan("restore", str(backup), data_dir=target, database_url=postgres_database)
    assert restored.returncode == 0, restored.stderr
    assert "service.ticket:" in restored.stderr and "Restored" in restored.stdout

    with psycopg.connect(postgres_database) as pg:
        for model in tables():
            expected, found = source_rows(model), target_rows(pg, model)
            if model._meta.label_lower == "core.auditentry":
                # The backup's own entry comes after its snapshot; the restore writes one after the restored ones.
                action = [f.attname for f in model._meta.concrete_fields].index("action")
                assert (expected[-1][action], found[-1][action]) == ("export", "restore")
                expected, found = expected[:-1], found[:-1]
            assert found == expected, model._meta.label
        # Every sequence goes on after the restored ids: new records get fresh ones.
        for model in tables():
            pk = model._meta.pk
            if pk.get_internal_type() not in ("AutoField", "BigAutoField"):
                continue
            (sequence,) = pg.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, pk.column]).fetchone()
            (last, called) = pg.execute(f"SELECT last_value, is_called FROM {sequence}").fetchone()
            top = model._base_manager.order_by("-pk").values_list("pk", flat=True).first()
            if top is not None:
                assert called and last >= top, model._meta.label
    for path in stored:
        copy = target / "media" / path.relative_to(settings.MEDIA_ROOT)
        assert copy.read_bytes() == path.read_bytes(), path

    created = kliyan("manage", "shell", "-c", CREATE_CONTACT, data_dir=target, database_url=postgres_database)
    assert created.returncode == 0, created.stderr
    assert int(created.stdout.split()[-1]) > Contact.objects.order_by("-pk").values_list("pk", flat=True).first()
