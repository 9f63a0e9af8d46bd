"""`kliyan backup` and `kliyan restore`: progress on standard error, plain errors and exit codes, a real process."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest

from kliyan.backup.tests.conftest import kliyan, manifest_of, member_lines, rewrite
from kliyan.cli import main
from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_both_commands_have_help(command, capsys) -> None:
    assert main([command, "--help"]) == 0

    assert capsys.readouterr().out.startswith(f"usage: kliyan {command}")


@pytest.mark.django_db
def test_kliyan_backup_writes_the_file_shows_each_table_and_audits_the_export(tmp_path: Path, capsys) -> None:
    contact_create(actor=None, data={"first_name": "Ioana", "last_name": "Popescu"})
    path = tmp_path / "kliyan.zip"

    assert main(["backup", str(path)]) == 0

    captured = capsys.readouterr()
    assert "contacts.contact: 1 records" in captured.err and "Backup written to" in captured.out
    assert zipfile.ZipFile(path).testzip() is None and not (tmp_path / "kliyan.zip.partial").exists()
    entry = AuditEntry.objects.get(action="export")
    assert (entry.object_type, entry.object_label, entry.via) == ("backup.file", "kliyan.zip", "cli")


@pytest.mark.django_db
def test_kliyan_backup_never_overwrites_a_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "kliyan.zip"
    path.write_bytes(b"precious")

    assert main(["backup", str(path)]) == 1

    assert "exists already" in capsys.readouterr().err and path.read_bytes() == b"precious"


@pytest.mark.django_db
def test_kliyan_restore_into_a_database_with_records_says_why_and_exits_non_zero(make_backup, capsys) -> None:
    path, _facts = make_backup()
    contact_create(actor=None, data={"first_name": "Already", "last_name": "Here"})

    assert main(["restore", str(path)]) == 1

    err = capsys.readouterr().err
    assert "kliyan restore: error: The database is not empty" in err and "Nothing was restored" not in err


@pytest.mark.django_db
def test_kliyan_restore_of_a_damaged_file_says_nothing_was_restored(make_backup, tmp_path: Path, capsys) -> None:
    path, _facts = make_backup()
    member = "tables/contacts_contact.ndjson"
    damaged = rewrite(path, tmp_path / "damaged.zip", replace={member: zipfile.ZipFile(path).read(member)[:-40]})

    assert main(["restore", str(damaged)]) == 1

    err = capsys.readouterr().err
    assert "The backup file is damaged (contacts.contact" in err and "Nothing was restored" in err


@pytest.mark.django_db
def test_an_older_backup_restored_by_a_real_process_into_a_new_sqlite_file_is_migrated_on(make_backup, tmp_path: Path) -> None:
    """A backup made before the backup app existed: restored at its own schema, then migrated forward."""
    source, facts = make_backup()
    older = rewrite(source, tmp_path / "older.zip", manifest=lambda m: m["migrations"].pop("backup"))
    target = tmp_path / "target"

    restored = kliyan("restore", str(older), data_dir=target)

    assert restored.returncode == 0, restored.stderr
    assert "Bringing the database up to this version" in restored.stderr
    database = sqlite3.connect(target / "kliyan.sqlite3")
    with database:
        assert database.execute("SELECT COUNT(*) FROM backup_backup").fetchone() == (0,)  # made after the load
        # The search index was rebuilt from the restored contacts.
        found = database.execute("SELECT rowid FROM contacts_contact_fts WHERE contacts_contact_fts MATCH 'stefan'").fetchall()
        assert found == [(facts["first"].pk,)]
    database.close()
    again = tmp_path / "again.zip"
    assert kliyan("backup", str(again), data_dir=target).returncode == 0
    before = {t["model"]: (t["rows"], t["sha256"]) for t in manifest_of(source)["tables"]}
    after = {t["model"]: (t["rows"], t["sha256"]) for t in manifest_of(again)["tables"]}
    assert {label for label in before if before[label] != after[label]} == {"core.auditentry"}
    assert member_lines(again, "tables/core_auditentry.ndjson")[:-1] == member_lines(source, "tables/core_auditentry.ndjson")
    assert (target / "media" / facts["attachment"]).read_bytes() == b"%PDF\x00\xff"
