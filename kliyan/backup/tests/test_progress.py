"""A backup in the background: one snapshot of the database, its progress visible to everyone meanwhile.

These tests commit (transaction=True), as a worker does: the run reads on its own
connection while the progress goes out on another, and a third one looks.
"""

from __future__ import annotations

import zipfile
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from kliyan.backup import services, writer
from kliyan.backup.choices import BackupStatus
from kliyan.backup.models import Backup
from kliyan.contacts.models import Tag


def other_connection_query(sql: str, params: list[Any]) -> Any:
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_by_others_while_the_backup_reads_one_moment(admin, monkeypatch) -> None:
    Tag.objects.bulk_create([Tag(name=f"tag {n}") for n in range(9)])
    monkeypatch.setattr(services, "PROGRESS_EVERY_SECONDS", 0)
    monkeypatch.setattr(writer, "CHUNK_ROWS", 2)
    backup = services.backup_start(actor=admin, enqueue=False)
    # SQLite's in-memory test database shares one page cache between connections, with table
    # locks instead of snapshots; a database file (WAL) and PostgreSQL give each reader its moment.
    snapshots = not (connection.vendor == "sqlite" and connection.is_in_memory_db())
    seen: list[tuple[int, int, str]] = []
    report = services._ProgressWriter.__call__

    def watch(self: Any, progress: Any, **options: Any) -> None:
        report(self, progress, **options)
        if not seen and snapshots:  # someone adds a tag once the backup has begun: it is not in this backup
            other_connection_query("INSERT INTO contacts_tag (name) VALUES (%s)", ["added meanwhile"])
        seen.extend(other_connection_query(
            "SELECT rows_done, rows_total, current_table FROM backup_backup WHERE id = %s", [backup.pk]))

    monkeypatch.setattr(services._ProgressWriter, "__call__", watch)

    finished = services.run_backup(backup_id=backup.pk)

    assert finished.status == BackupStatus.DONE, finished.error
    done = [row[0] for row in seen]
    assert done == sorted(done) and 0 < done[len(done) // 2] < finished.rows_total
    assert ("contacts.tag" in {row[2] for row in seen}) and all(row[1] == finished.rows_total for row in seen[1:])
    with zipfile.ZipFile(services.backup_path(finished)) as archive:
        tags = archive.read("tables/contacts_tag.ndjson").decode()
    assert tags.count("\n") == 9 and "added meanwhile" not in tags
    assert Tag.objects.count() == (10 if snapshots else 9)


@pytest.mark.django_db(transaction=True)
def test_a_failed_backup_says_why_and_leaves_no_partial_file(admin, monkeypatch) -> None:
    backup = services.backup_start(actor=admin, enqueue=False)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services, "write_backup", broken)

    finished = services.run_backup(backup_id=backup.pk)

    assert finished.status == BackupStatus.FAILED and "No space left" in finished.error
    assert list(services.backup_dir().iterdir()) == []
    assert services.run_backup(backup_id=backup.pk).status == BackupStatus.FAILED  # a repeated task does nothing
    assert Backup.objects.count() == 1
