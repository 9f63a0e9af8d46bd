"""What a backup file holds: the manifest, one member per table in loading order, portable values, the files."""

from __future__ import annotations

import base64
import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from kliyan.backup.format import FORMAT_NAME, FORMAT_VERSION
from kliyan.backup.schema import SKIPPED_MODELS
from kliyan.backup.tests.conftest import BINARY, member_lines
from kliyan.backup.writer import write_backup

pytestmark = pytest.mark.django_db


def rows(path: Path, table: str) -> list[dict]:
    return [json.loads(line) for line in member_lines(path, f"tables/{table}.ndjson")]


def test_the_manifest_names_the_format_the_migrations_and_every_table_with_its_count(make_backup) -> None:
    path, facts = make_backup()
    manifest = facts["manifest"]

    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read("manifest.json")) == manifest
        assert archive.testzip() is None
    assert (manifest["format"], manifest["format_version"]) == (FORMAT_NAME, FORMAT_VERSION)
    assert manifest["database"]["vendor"] == connection.vendor
    assert dt.datetime.fromisoformat(manifest["created_at"]).utcoffset() is not None
    applied = {f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()}
    assert {f"{app}.{name}" for app, names in manifest["migrations"].items() for name in names} <= applied
    assert "0001_initial" in manifest["migrations"]["backup"]
    tables = {t["model"]: t for t in manifest["tables"]}
    assert tables["contacts.contact"]["rows"] == 2 and len(tables["contacts.contact"]["sha256"]) == 64
    assert tables["accounts.user_groups"]["rows"] == 0  # the many-to-many tables are there too
    assert not set(tables) & SKIPPED_MODELS
    assert manifest["skipped"] == sorted(SKIPPED_MODELS)


def test_every_table_comes_after_the_tables_it_points_to(make_backup) -> None:
    _path, facts = make_backup()
    order = [t["model"] for t in facts["manifest"]["tables"]]

    for child, parent in [("contacts.contact", "accounts.user"), ("contacts.contact", "contacts.company"),
                          ("commerce.orderline", "commerce.order"), ("auth.permission", "contenttypes.contenttype"),
                          ("service.ticketattachment", "service.ticketmessage"), ("accounts.user_groups", "auth.group")]:
        assert order.index(parent) < order.index(child), (child, parent)


def test_values_are_written_in_types_every_database_reads_the_same_way(make_backup) -> None:
    path, facts = make_backup()

    contacts = {r["id"]: r for r in rows(path, "contacts_contact")}
    first = contacts[facts["first"].pk]
    assert first["first_name"] == "Ștefan" and first["birthday"] == "1985-03-14"
    assert first["referred_by_id"] == facts["second"].pk
    assert dt.datetime.fromisoformat(first["created_at"]).utcoffset() == dt.timedelta(0)
    (policy,) = rows(path, "service_slapolicy")
    assert policy["resolution_within"] == "P1DT03H00M00.000007S" and isinstance(policy["calendar"], dict)
    (answer,) = rows(path, "core_idempotencyrecord")
    assert base64.b64decode(answer["response_body"]) == BINARY
    audit = [r for r in rows(path, "core_auditentry") if r["ip_address"]]
    assert audit and audit[0]["ip_address"] == "2001:db8::1"
    (attachment,) = rows(path, "service_ticketattachment")
    assert attachment["size"] == 6 and attachment["file"].startswith("service/attachments/")


def test_decimals_are_written_as_text_with_their_places(make_backup) -> None:
    from decimal import Decimal

    from kliyan.commerce.models import Product

    def fill() -> dict:
        Product.objects.create(sku="S-1", name="Sandale", price=Decimal("1234567.80"), currency="HTG", source="t", external_id="1")
        return {}

    path, _facts = make_backup(fill)

    (product,) = rows(path, "commerce_product")
    assert product["price"] == "1234567.8000" and product["stock_on_hand"] == "0.000"


def test_stored_files_are_in_the_backup_with_their_checksums(make_backup) -> None:
    path, facts = make_backup()

    media = facts["manifest"]["media"]
    (entry,) = [json.loads(line) for line in member_lines(path, "media.ndjson")]
    with zipfile.ZipFile(path) as archive:
        assert archive.read("media/" + entry["name"]) == b"%PDF\x00\xff"
    assert (media["files"], media["bytes"]) == (1, 6) and entry["size"] == 6
    assert entry["name"] == facts["attachment"]


def test_the_backup_directory_is_left_out_even_among_the_stored_files(tmp_path: Path, settings) -> None:
    media = Path(settings.MEDIA_ROOT)
    settings.KLIYAN_BACKUP_DIR = media / "backups"
    (media / "backups").mkdir(parents=True)
    (media / "backups" / "older.zip").write_bytes(b"an older backup")
    (media / "kept.txt").write_bytes(b"kept")

    manifest = write_backup(tmp_path / "b.zip", exclude=Path(settings.KLIYAN_BACKUP_DIR))

    names = [json.loads(line)["name"] for line in member_lines(tmp_path / "b.zip", "media.ndjson")]
    assert names == ["kept.txt"] and manifest["media"]["files"] == 1


def test_a_backup_holds_what_the_database_held_when_it_began(make_backup, settings) -> None:
    """Counting and writing see one moment: every table's count is its number of lines."""
    path, facts = make_backup()

    for table in facts["manifest"]["tables"]:
        assert len(member_lines(path, table["member"])) == table["rows"], table["model"]
    assert settings.MEDIA_ROOT  # the media directory fixture is in place
