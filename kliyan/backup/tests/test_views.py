"""The Backups page: admins only; start a backup, follow it, download the file; every start and download audited."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kliyan.backup.choices import BackupStatus
from kliyan.backup.models import Backup
from kliyan.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def start(client: Client, capture) -> object:
    with capture(execute=True):
        return client.post(reverse("backup:start"))


@pytest.mark.parametrize("role", ["manager", "agent", "viewer"])
def test_only_admins_see_the_page_start_a_backup_or_download_one(role, users, client_as, django_capture_on_commit_callbacks) -> None:
    done = Backup.objects.create(file_name="kliyan-backup-old.zip", status=BackupStatus.DONE)
    client = client_as(users[role])

    assert client.get(reverse("backup:list")).status_code == 403
    assert start(client, django_capture_on_commit_callbacks).status_code == 403
    assert client.get(reverse("backup:download", args=[done.pk])).status_code == 403
    assert Backup.objects.count() == 1 and not AuditEntry.objects.filter(object_type="backup.backup").exists()


def test_anonymous_visitors_are_sent_to_log_in(db) -> None:
    response = Client().get(reverse("backup:list"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_admin_starts_a_backup_and_downloads_the_file(admin, client_as, django_capture_on_commit_callbacks) -> None:
    client = client_as(admin)

    response = start(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response["Location"] == reverse("backup:list")
    backup = Backup.objects.get()
    assert backup.status == BackupStatus.DONE and backup.size > 0 and backup.rows_done == backup.rows_total > 0
    page = client.get(reverse("backup:list"))
    html = page.content.decode()
    assert page.status_code == 200 and backup.file_name in html and reverse("backup:download", args=[backup.pk]) in html
    assert "kliyan restore" in html  # how to restore, since the page does not
    download = client.get(reverse("backup:download", args=[backup.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert backup.file_name in download["Content-Disposition"] and "no-store" in download["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        assert json.loads(archive.read("manifest.json"))["format"] == "kliyan-backup"
    actions = list(AuditEntry.objects.filter(object_type="backup.backup").order_by("pk").values_list("action", "actor", "via"))
    assert actions == [("create", admin.pk, "web"), ("export", admin.pk, "web")]


def test_a_running_backup_shows_its_progress_and_the_list_follows_it(admin, client_as) -> None:
    Backup.objects.create(file_name="kliyan-backup-now.zip", status=BackupStatus.RUNNING, rows_total=200, rows_done=50,
                          heartbeat_at=timezone.now())
    client = client_as(admin)

    page = client.get(reverse("backup:list")).content.decode()
    fragment = client.get(reverse("backup:list"), HTTP_HX_REQUEST="true").content.decode()

    assert 'value="25"' in page and "50 of 200 records (25 %)" in page and 'hx-trigger="every 2s"' in page
    assert fragment.startswith('<section class="card card--flush" id="backup-list"') and "<html" not in fragment


def test_a_backup_whose_worker_died_is_shown_as_stopped_and_not_polled(admin, client_as) -> None:
    Backup.objects.create(file_name="kliyan-backup-dead.zip", status=BackupStatus.RUNNING,
                          heartbeat_at=timezone.now() - dt.timedelta(hours=1))

    html = client_as(admin).get(reverse("backup:list")).content.decode()

    assert "Stopped before the end" in html and "hx-trigger" not in html


def test_a_second_backup_is_refused_while_one_runs(admin, client_as, django_capture_on_commit_callbacks) -> None:
    Backup.objects.create(file_name="kliyan-backup-now.zip", status=BackupStatus.RUNNING, heartbeat_at=timezone.now())
    client = client_as(admin)

    response = start(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302 and Backup.objects.count() == 1
    assert "already running" in client.get(reverse("backup:list")).content.decode()


def test_an_unfinished_backup_has_nothing_to_download(admin, client_as) -> None:
    running = Backup.objects.create(file_name="kliyan-backup-now.zip", status=BackupStatus.RUNNING)

    response = client_as(admin).get(reverse("backup:download", args=[running.pk]))

    assert response.status_code == 404 and not AuditEntry.objects.filter(action="export").exists()


def test_the_list_takes_the_same_number_of_queries_for_many_backups(admin, client_as, django_assert_max_num_queries) -> None:
    client = client_as(admin)
    for n in range(30):
        Backup.objects.create(file_name=f"kliyan-backup-{n}.zip", status=BackupStatus.DONE, size=1000 + n, created_by=admin)

    client.get(reverse("backup:list"))  # the organisation's settings are made on the first page

    with django_assert_max_num_queries(4):  # session, user, organisation, backups (their users joined)
        response = client.get(reverse("backup:list"))

    assert response.status_code == 200 and "kliyan-backup-29.zip" in response.content.decode()
