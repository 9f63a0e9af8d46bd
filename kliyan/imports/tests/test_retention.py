"""Uploaded files are deleted once their import has been idle KLIYAN_IMPORT_FILE_DAYS; what the import wrote stays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kliyan.contacts.models import Contact
from kliyan.core.errors import Conflict
from kliyan.core.models import AuditEntry
from kliyan.core.schedule import SCHEDULE
from kliyan.imports import services
from kliyan.imports.choices import ImportStatus
from kliyan.imports.models import Import
from kliyan.imports.retention import purge_import_files

from .conftest import run_file

pytestmark = pytest.mark.django_db

CSV = "Prénom;Nom;Courriel\nWisly;Désir;wisly@example.ht\nMirlande;Joseph;mirlande@example.ht\n"


def aged(imported: Import, days: int) -> Import:
    """Make the import look `days` old: uploaded, and finished if it ran."""
    then = timezone.now() - dt.timedelta(days=days)
    Import.objects.filter(pk=imported.pk).update(created_at=then, finished_at=then if imported.finished_at else None)
    return Import.objects.get(pk=imported.pk)


def test_the_file_of_an_import_idle_for_the_kept_days_is_deleted_and_its_records_stay(manager, settings):
    settings.IMPORT_FILE_DAYS = 30
    old = aged(run_file(manager, CSV), 31)
    recent = aged(run_file(manager, CSV.replace("example.ht", "example.fr"), name="recent.csv"), 29)
    waiting = aged(services.import_create(actor=manager, upload=SimpleUploadedFile("waiting.csv", CSV.encode()), start=False,
                                          enqueue=False), 40)
    old_name, recent_name = old.file.name, recent.file.name

    assert purge_import_files() == 2

    old, recent, waiting = (Import.objects.get(pk=i.pk) for i in (old, recent, waiting))
    assert old.file_deleted_at is not None and not old.file and not default_storage.exists(old_name)
    assert waiting.file_deleted_at is not None
    assert recent.file_deleted_at is None and default_storage.exists(recent_name)
    assert (old.status, old.created, Contact.objects.count()) == (ImportStatus.DONE, 2, 4)
    entry = AuditEntry.objects.get(object_type="imports.import", object_id=str(old.pk), action="delete")
    assert (entry.before, entry.after) == ({"file": "contacts.csv"}, {"file": None, "kept_days": 30})
    assert purge_import_files() == 0  # nothing twice


def test_a_running_import_keeps_its_file_whatever_its_age(manager, settings):
    settings.IMPORT_FILE_DAYS = 1
    imported = services.import_create(actor=manager, upload=SimpleUploadedFile("big.csv", CSV.encode()), enqueue=False)
    Import.objects.filter(pk=imported.pk).update(created_at=timezone.now() - dt.timedelta(days=5), status=ImportStatus.RUNNING)

    assert purge_import_files() == 0
    assert Import.objects.get(pk=imported.pk).file_deleted_at is None


def test_no_kept_days_keeps_every_file(manager, settings):
    settings.IMPORT_FILE_DAYS = 0
    aged(run_file(manager, CSV), 400)
    assert purge_import_files() == 0


def test_an_import_without_its_file_cannot_start_or_resume_but_can_be_undone(manager, settings):
    settings.IMPORT_FILE_DAYS = 30
    waiting = aged(services.import_create(actor=manager, upload=SimpleUploadedFile("w.csv", CSV.encode()), start=False,
                                          enqueue=False), 31)
    failed = run_file(manager, CSV.replace("example.ht", "example.mw"), name="failed.csv")
    Import.objects.filter(pk=failed.pk).update(status=ImportStatus.FAILED)
    done = run_file(manager, CSV.replace("example.ht", "example.al"), name="done.csv")
    for imported in (failed, done):
        aged(Import.objects.get(pk=imported.pk), 31)
    assert purge_import_files() == 3

    with pytest.raises(Conflict) as refused:
        services.import_start(actor=manager, import_=waiting, enqueue=False)
    assert refused.value.code == "file_deleted" and "30 days" in str(refused.value)
    failed = Import.objects.get(pk=failed.pk)
    assert not failed.is_interrupted
    with pytest.raises(Conflict):
        services.import_resume(actor=manager, import_=failed, enqueue=False)

    undoing = services.import_undo(actor=manager, import_=Import.objects.get(pk=done.pk), enqueue=False)
    undone = services.run_undo(import_id=undoing.pk, runner=undoing.runner, actor=manager)
    # Archived rather than deleted: aged back, the import finished before the contacts' last change.
    assert undone.status == ImportStatus.UNDONE and undone.undo_summary.get("archived", 0) + undone.undo_summary.get("deleted", 0) == 2
    assert not Contact.objects.filter(primary_email__endswith="example.al", archived_at__isnull=True).exists()


def test_the_page_and_the_api_say_when_the_file_was_deleted(manager, client_as, settings):
    settings.IMPORT_FILE_DAYS = 30
    waiting = aged(services.import_create(actor=manager, upload=SimpleUploadedFile("w.csv", CSV.encode()), start=False,
                                          enqueue=False), 31)
    purge_import_files()
    client = client_as(manager)

    page = client.get(f"/imports/{waiting.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "File deleted" in html and 'name="action"' not in html  # no mapping form to start from

    body = client.get(f"/api/v1/imports/{waiting.pk}").json()
    assert body["file_deleted_at"] is not None
    refused = client.post(f"/api/v1/imports/{waiting.pk}/start", {}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "file_deleted"


def test_the_schedule_deletes_files_every_night():
    assert any(job.name == "purge_import_files" and job.task_path == "kliyan.imports.tasks.purge_import_files" for job in SCHEDULE)
