"""A run stopped mid-file leaves whole batches only and resumes after the last committed row."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from kliyan.contacts.models import Contact
from kliyan.imports import services
from kliyan.imports.choices import ImportStatus
from kliyan.imports.models import Import, ImportedRecord
from kliyan.imports.writers import write_batch

pytestmark = pytest.mark.django_db

ROWS = 25
CONTENT = "Name,Email\n" + "".join(f"Person {n},p{n}@example.org\n" for n in range(ROWS)) + "Bad,bad@\n"


class Stop(Exception):
    pass


def start(actor) -> Import:
    return services.import_create(actor=actor, upload=ContentFile(CONTENT.encode(), name="people.csv"), name="people.csv", enqueue=False)


def test_a_run_that_dies_after_two_batches_resumes_and_imports_each_row_once(manager, monkeypatch):
    monkeypatch.setattr(services, "SHARED_COMMIT_BATCHES", 1)  # each batch commits alone
    imported = start(manager)
    batches = []

    def die_after_two(progress: Import) -> None:
        batches.append(progress.last_row)
        if len(batches) == 2:
            raise Stop

    with pytest.raises(Stop):
        services.run_import(import_id=imported.pk, runner=imported.runner, batch_size=10, on_progress=die_after_two)
    stopped = Import.objects.get(pk=imported.pk)
    assert (stopped.status, stopped.last_row, stopped.created, Contact.objects.count()) == (ImportStatus.RUNNING, 21, 20, 20)

    resumed = services.import_resume(actor=manager, import_=stopped, enqueue=False)
    done = services.run_import(import_id=resumed.pk, runner=resumed.runner, batch_size=10)

    assert (done.status, done.rows_read, done.created, done.failed) == (ImportStatus.DONE, ROWS + 1, ROWS, 1)
    assert Contact.objects.count() == ROWS
    assert ImportedRecord.objects.filter(import_run=done).count() == ROWS
    assert sorted(Contact.objects.values_list("primary_email", flat=True)) == sorted(f"p{n}@example.org" for n in range(ROWS))


def test_batches_that_share_a_commit_are_kept_or_lost_together(manager, monkeypatch):
    """On SQLite two batches of ten share a commit: a run dying in the second keeps neither."""
    monkeypatch.setattr(services, "SHARED_COMMIT_BATCHES", 2)
    written = []

    def die_in_the_second(records, context):
        written.append(len(records))
        if len(written) == 2:
            raise Stop
        return write_batch(records, context)

    monkeypatch.setattr(services, "write_batch", die_in_the_second)
    imported = start(manager)

    with pytest.raises(Stop):
        services.run_import(import_id=imported.pk, runner=imported.runner, batch_size=10)
    stopped = Import.objects.get(pk=imported.pk)
    kept = 0 if connection.vendor == "sqlite" else 10  # elsewhere each batch commits alone
    assert (stopped.last_row, stopped.created, Contact.objects.count()) == (kept + 1 if kept else 0, kept, kept)

    monkeypatch.setattr(services, "write_batch", write_batch)
    resumed = services.import_resume(actor=manager, import_=stopped, enqueue=False)
    done = services.run_import(import_id=resumed.pk, runner=resumed.runner, batch_size=10)

    assert (done.status, done.created, done.failed, Contact.objects.count()) == (ImportStatus.DONE, ROWS, 1, ROWS)
    assert ImportedRecord.objects.filter(import_run=done).count() == ROWS


def test_a_runner_that_lost_the_import_to_a_resume_writes_nothing(manager):
    imported = start(manager)
    services.import_resume(actor=manager, import_=imported, enqueue=False)

    stale = services.run_import(import_id=imported.pk, runner=imported.runner, batch_size=10)

    assert stale.created == 0 and not Contact.objects.exists()


def test_a_finished_import_cannot_be_resumed(manager):
    imported = start(manager)
    services.run_import(import_id=imported.pk, runner=imported.runner)

    with pytest.raises(services.Conflict):
        services.import_resume(actor=manager, import_=Import.objects.get(pk=imported.pk), enqueue=False)


def test_a_run_left_without_heartbeat_shows_as_interrupted(manager):
    import datetime as dt

    from django.utils import timezone

    imported = start(manager)
    Import.objects.filter(pk=imported.pk).update(status=ImportStatus.RUNNING, heartbeat_at=timezone.now() - dt.timedelta(minutes=10))

    assert Import.objects.get(pk=imported.pk).is_interrupted
    Import.objects.filter(pk=imported.pk).update(heartbeat_at=timezone.now())
    assert not Import.objects.get(pk=imported.pk).is_interrupted
