"""Restoring: a round trip gives back every record and file; anything wrong is refused and changes nothing.

These restore in this process into the test database, emptied after the backup was made
(see conftest.make_backup), so they run on whichever database the suite runs on.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from kliyan.backup.errors import BackupDamaged, BackupRefused
from kliyan.backup.restore import busy_tables, restore_backup
from kliyan.backup.tests.conftest import member_lines, rewrite
from kliyan.backup.tests.data import fill_every_app
from kliyan.backup.writer import write_backup
from kliyan.commerce.models import ProductCategory
from kliyan.contacts.models import Contact
from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry
from kliyan.service.models import TicketAttachment

pytestmark = pytest.mark.django_db


def unchanged() -> tuple[int, int, list[str]]:
    """What a refused restore must leave as it was."""
    return ContentType.objects.count(), Permission.objects.count(), busy_tables()


def test_a_round_trip_gives_back_every_record_and_file(make_backup, tmp_path: Path, django_capture_on_commit_callbacks) -> None:
    first, _facts = make_backup(lambda: fill_every_app(django_capture_on_commit_callbacks))
    assert busy_tables() == []

    summary = restore_backup(first)

    second = tmp_path / "second.zip"
    write_backup(second)
    before = {t["model"]: t for t in json.loads(zipfile.ZipFile(first).read("manifest.json"))["tables"]}
    after = {t["model"]: t for t in json.loads(zipfile.ZipFile(second).read("manifest.json"))["tables"]}
    assert before.keys() == after.keys()
    changed = {label for label in before
               if (before[label]["rows"], before[label]["sha256"]) != (after[label]["rows"], after[label]["sha256"])}
    assert changed == {"core.auditentry"}
    old, new = member_lines(first, "tables/core_auditentry.ndjson"), member_lines(second, "tables/core_auditentry.ndjson")
    assert new[:-1] == old and json.loads(new[-1])["action"] == "restore"
    assert summary.rows == sum(t["rows"] for t in before.values())
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        names = [n for n in a.namelist() if n.startswith("media/")]
        assert names and all(a.read(n) == b.read(n) for n in names)
    assert summary.files == len(names)


def test_keys_that_point_forward_are_set_once_their_rows_are_loaded(make_backup) -> None:
    path, facts = make_backup()

    restore_backup(path)

    first = Contact.objects.get(pk=facts["first"].pk)
    assert first.referred_by_id == facts["second"].pk > first.pk
    child = ProductCategory.objects.get(external_id="child")
    assert child.parent.external_id == "parent" and child.parent_id > child.pk


def test_new_records_after_a_restore_get_new_ids(make_backup) -> None:
    path, facts = make_backup()

    restore_backup(path)

    created = contact_create(actor=None, data={"first_name": "Arbër", "last_name": "Hoxha"})
    assert created.pk > facts["second"].pk
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry.object_type == "contacts.contact" and AuditEntry.objects.filter(action="restore").count() == 1


def test_the_attachment_is_back_with_its_bytes(make_backup) -> None:
    path, _facts = make_backup()

    restore_backup(path)

    attachment = TicketAttachment.objects.get()
    assert str(settings.MEDIA_ROOT).endswith("restored-media")
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"%PDF\x00\xff"


def test_a_database_with_records_is_refused_and_nothing_changes(make_backup) -> None:
    path, _facts = make_backup()
    contact_create(actor=None, data={"first_name": "Already", "last_name": "Here"})
    before = unchanged()

    with pytest.raises(BackupRefused) as refused:
        restore_backup(path)

    assert refused.value.code == "not_empty" and "contacts_contact" in refused.value.message
    assert unchanged() == before and Contact.objects.count() == 1


def test_a_file_cut_short_is_refused_before_anything_changes(make_backup, tmp_path: Path) -> None:
    path, _facts = make_backup()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    before = unchanged()

    with pytest.raises(BackupDamaged) as damaged:
        restore_backup(cut)

    assert damaged.value.code == "not_a_backup" and "cut short" in damaged.value.message
    assert unchanged() == before


def test_a_changed_record_is_found_by_its_checksum_and_nothing_is_restored(make_backup, tmp_path: Path) -> None:
    path, _facts = make_backup()
    member = "tables/contacts_contact.ndjson"
    changed = zipfile.ZipFile(path).read(member).replace("Ștefan".encode(), b"Stefan")
    before = unchanged()

    with pytest.raises(BackupDamaged) as damaged:
        restore_backup(rewrite(path, tmp_path / "changed.zip", replace={member: changed}))

    assert "contacts_contact" in damaged.value.message and damaged.value.extra == {"database": "empty"}
    assert unchanged() == before and not Contact.objects.exists()
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*.*"))


def test_a_damaged_byte_in_the_compressed_data_is_found_and_nothing_is_restored(make_backup, tmp_path: Path) -> None:
    path, _facts = make_backup()
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("tables/core_auditentry.ndjson")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    damaged_file = tmp_path / "damaged.zip"
    damaged_file.write_bytes(bytes(data))
    before = unchanged()

    with pytest.raises(BackupDamaged) as damaged:
        restore_backup(damaged_file)

    assert damaged.value.code == "damaged"
    assert unchanged() == before and not Contact.objects.exists()


def test_a_backup_of_a_newer_schema_is_refused_with_its_version(make_backup, tmp_path: Path) -> None:
    path, _facts = make_backup()

    def newer(manifest: dict) -> None:
        manifest["kliyan_version"] = "9.1.0"
        manifest["migrations"]["contacts"].append("0099_loyalty_cards")

    before = unchanged()
    with pytest.raises(BackupRefused) as refused:
        restore_backup(rewrite(path, tmp_path / "newer.zip", manifest=newer))

    assert refused.value.code == "newer_schema"
    assert "9.1.0" in refused.value.message and "contacts.0099_loyalty_cards" in refused.value.message
    assert unchanged() == before


@pytest.mark.parametrize(("change", "code"), [
    (lambda m: m.update(format_version=2), "newer_format"),
    (lambda m: m.update(format="something-else"), "not_a_backup"),
    (lambda m: m["migrations"].update(loyalty=["0001_initial"]), "unknown_apps"),
    (lambda m: m.pop("tables"), "damaged"),
])
def test_a_manifest_this_version_cannot_read_is_refused(make_backup, tmp_path: Path, change, code) -> None:
    path, _facts = make_backup()
    before = unchanged()

    with pytest.raises((BackupRefused, BackupDamaged)) as refused:
        restore_backup(rewrite(path, tmp_path / "other.zip", manifest=change))

    assert refused.value.code == code
    assert unchanged() == before


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "contacts.csv"
    other.write_text("name\nIoana\n", encoding="utf-8")

    with pytest.raises(BackupDamaged) as damaged:
        restore_backup(other)

    assert damaged.value.code == "not_a_backup"
    assert connection.vendor  # the database was never touched
