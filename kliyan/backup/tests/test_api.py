"""API v1 backups: start (202), follow, list, download; admins only; a second start while one runs is 409."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client
from django.utils import timezone

from kliyan.accounts.services import token_create
from kliyan.backup.choices import BackupStatus
from kliyan.backup.models import Backup
from kliyan.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["manager", "agent", "viewer"])
def test_only_admins_may_use_the_backups_api(role, users, client_as, django_capture_on_commit_callbacks) -> None:
    done = Backup.objects.create(file_name="kliyan-backup-old.zip", status=BackupStatus.DONE)
    client = client_as(users[role])

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/api/v1/backups").status_code == 403
    assert client.get("/api/v1/backups").status_code == 403
    assert client.get(f"/api/v1/backups/{done.pk}").status_code == 403
    assert client.get(f"/api/v1/backups/{done.pk}/download").status_code == 403
    assert Backup.objects.count() == 1 and not AuditEntry.objects.filter(object_type="backup.backup").exists()


def test_anonymous_callers_must_authenticate(db) -> None:
    assert Client().post("/api/v1/backups").status_code == 401
    assert Client().get("/api/v1/backups").status_code == 401


def test_an_admin_starts_a_backup_follows_it_and_downloads_it_with_a_token(admin, django_capture_on_commit_callbacks) -> None:
    _token, raw = token_create(actor=admin, user=admin, name="backups", scope="write")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/backups")

    assert response.status_code == 202, response.content
    started = response.json()
    assert started["status"] == "queued" and started["file_name"].endswith(".zip") and started["download_url"] is None
    detail = api.get(f"/api/v1/backups/{started['id']}").json()
    assert detail["status"] == "done" and detail["percent_done"] == 100 and detail["rows_done"] == detail["rows_total"] > 0
    assert detail["created_by"] == "admin" and detail["tables_total"] > 70 and detail["size"] > 0
    listing = api.get("/api/v1/backups").json()
    assert [item["id"] for item in listing["items"]] == [started["id"]] and listing["next_cursor"] is None
    download = api.get(detail["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).testzip() is None
    assert list(AuditEntry.objects.filter(object_type="backup.backup").order_by("pk").values_list("action", "via")) == [
        ("create", "api"), ("export", "api")]


def test_a_read_token_cannot_start_a_backup(admin) -> None:
    _token, raw = token_create(actor=admin, user=admin, name="read", scope="read")

    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post("/api/v1/backups")

    assert response.status_code == 403 and not Backup.objects.exists()


def test_a_second_backup_while_one_runs_is_a_conflict(admin, client_as) -> None:
    Backup.objects.create(file_name="kliyan-backup-now.zip", status=BackupStatus.RUNNING, heartbeat_at=timezone.now())

    response = client_as(admin).post("/api/v1/backups")

    assert response.status_code == 409 and response.json()["code"] == "backup_running"
    assert Backup.objects.count() == 1


def test_unknown_and_unfinished_backups_answer_404(admin, client_as) -> None:
    running = Backup.objects.create(file_name="kliyan-backup-now.zip", status=BackupStatus.RUNNING)
    client = client_as(admin)

    assert client.get("/api/v1/backups/999999").status_code == 404
    assert client.get(f"/api/v1/backups/{running.pk}/download").json()["code"] == "not_finished"
