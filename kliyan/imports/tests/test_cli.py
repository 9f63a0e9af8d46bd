"""`kliyan import`: in process for its options, and in a real process killed with SIGKILL mid-file, then resumed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kliyan.cli import main
from kliyan.contacts.models import Contact
from kliyan.imports.models import Import
from kliyan.imports.tests.conftest import FIXTURES

CSV = "Emri;Mbiemri;Telefoni;Email\nArbër;Gjergji;+355 69 123 4567;arber@example.al\nBlerina;Hoxha;+355 1;blerina@\n"


@pytest.fixture
def people(tmp_path: Path) -> Path:
    path = tmp_path / "njerez.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_import_has_help(capsys):
    assert main(["import", "--help"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("usage: kliyan import") and "--on-duplicate" in out and "--resume" in out


@pytest.mark.django_db
def test_import_prints_progress_to_stderr_and_exits_non_zero_when_rows_failed(people, tmp_path, manager, capsys):
    report = tmp_path / "report.csv"

    status = main(["import", str(people), "--user", "manager", "--report", str(report)])

    captured = capsys.readouterr()
    assert status == 1
    assert "1 created" in captured.err and "row 3, Telefoni" in captured.err
    assert "2 rows, 1 created, 0 updated, 0 skipped, 1 failed" in captured.out
    assert Contact.objects.get().primary_phone == "+355691234567"
    assert "blerina@" in report.read_text(encoding="utf-8-sig")
    assert Import.objects.get().created_by == manager


@pytest.mark.django_db
def test_a_dry_run_writes_nothing(people, capsys):
    main(["import", str(people), "--dry-run"])

    assert "would create 1" in capsys.readouterr().out
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_mapping_given_as_json_overrides_the_guess(people, capsys):
    assert main(["import", str(people), "--mapping", '{"Telefoni": "", "Email": ""}']) == 0

    assert Contact.objects.count() == 2
    assert not Contact.objects.filter(phonenumbers__isnull=False).exists()


@pytest.mark.django_db
def test_a_bad_mapping_is_an_error_naming_the_column(people, capsys):
    assert main(["import", str(people), "--mapping", '{"Telefoni": "fax_machine"}']) == 1

    assert "mapping.Telefoni" in capsys.readouterr().err
    assert not Import.objects.exists()


@pytest.mark.django_db
def test_an_iphone_vcard_from_the_command_line(capsys):
    assert main(["import", str(FIXTURES / "iphone_export.vcf")]) == 1  # one card has a birthday without a year

    assert sorted(Contact.objects.values_list("display_name", flat=True)) == ["Ioana Maria Ștefănescu", "Marie-Claude Joseph"]


# --- A real process, killed ------------------------------------------------------------

ROWS = 20_000


def kliyan(*args: str, data_dir: Path, **popen: object) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLIYAN_", "DJANGO_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="kliyan.config.settings", KLIYAN_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "kliyan", *args], env=env, **popen)


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute(sql).fetchall()


def test_an_import_killed_with_sigkill_resumes_and_imports_every_row_exactly_once(tmp_path: Path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    migrate = kliyan("manage", "migrate", "--no-input", data_dir=data_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert migrate.wait(timeout=600) == 0, migrate.stdout.read()
    source = tmp_path / "big.csv"
    with source.open("w", encoding="utf-8") as out:
        out.write("First name,Last name,Email,Phone\n")
        for n in range(ROWS):
            out.write(f"Ana{n},Popescu,person{n}@example.ro,+40 744 {n // 1000:03d} {n % 1000:03d}\n")
    db = data_dir / "kliyan.sqlite3"
    log = (tmp_path / "run.log").open("wb")

    running = kliyan("import", str(source), "--batch-size", "100", data_dir=data_dir, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    committed = 0
    while time.monotonic() < deadline and running.poll() is None:
        rows = query(db, "SELECT last_row FROM imports_import") if db.exists() else []
        committed = rows[0][0] if rows else 0
        if committed >= 1000:
            break
        time.sleep(0.02)
    assert running.poll() is None, "the import ended before it could be killed"
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=30)

    (import_id, status, last_row, created), = query(db, "SELECT id, status, last_row, created FROM imports_import")
    assert status == "running" and 1000 <= last_row < ROWS + 1
    # Whole batches only: exactly the rows up to last_row are stored.
    assert query(db, "SELECT COUNT(*) FROM contacts_contact")[0][0] == created == last_row - 1
    assert created % 100 == 0

    resumed = kliyan("import", "--resume", str(import_id), data_dir=data_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err.decode()
    assert f"Resuming import {import_id} after row {last_row}" in err.decode()

    assert query(db, "SELECT status, rows_read, created, failed FROM imports_import") == [("done", ROWS, ROWS, 0)]
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT primary_email) FROM contacts_contact") == [(ROWS, ROWS)]
    assert query(db, "SELECT COUNT(*) FROM contacts_emailaddress") == [(ROWS,)]
    assert query(db, "SELECT COUNT(*) FROM imports_importedrecord") == [(ROWS,)]
    assert query(db, "SELECT COUNT(*) FROM core_auditentry WHERE object_type = 'contacts.contact'") == [(ROWS,)]
