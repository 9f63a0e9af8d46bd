"""Import pages: upload, mapping with preview, dry run, progress, report, undo; managers and admins only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kliyan.contacts.models import Contact
from kliyan.core.models import Organisation
from kliyan.imports.choices import ImportStatus
from kliyan.imports.models import Import
from kliyan.imports.tests.conftest import run_file

pytestmark = pytest.mark.django_db

CSV = "Non;Siyati;Telefòn;Imel\nJean-Baptiste;Pélissier;3712 3456;JB@Example.HT\nMarie;Joseph;12;marie@\n".encode()


def upload(client: Client, data: bytes = CSV, name: str = "kliyan.csv", target: str = "contacts"):
    return client.post(reverse("imports:new"), {"file": SimpleUploadedFile(name, data), "target": target})


@pytest.fixture
def uploaded(manager, client_as) -> Import:
    upload(client_as(manager))
    return Import.objects.get()


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_are_refused_every_page(role, users, client_as, uploaded):
    client = client_as(users[role])
    pages = ["imports:list", "imports:new"]
    for name in pages:
        assert client.get(reverse(name)).status_code == 403
    for name in ("imports:detail", "imports:progress", "imports:report", "imports:undo"):
        assert client.get(reverse(name, args=[uploaded.pk])).status_code == 403
    assert upload(client).status_code == 403
    assert client.post(reverse("imports:detail", args=[uploaded.pk]), {"action": "start"}).status_code == 403
    assert Import.objects.count() == 1 and not Contact.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(uploaded):
    response = Client().get(reverse("imports:detail", args=[uploaded.pk]))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_upload_shows_the_guessed_mapping_and_a_preview_as_stored(manager, client_as):
    client = client_as(manager)

    response = upload(client)

    imported = Import.objects.get()
    assert response.status_code == 302 and response["Location"] == imported.get_absolute_url()
    page = client.get(imported.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert '<option value="first_name" selected>' in html and '<option value="last_name" selected>' in html
    assert "+50937123456" in html and "jb@example.ht" in html  # normalised as it will be stored
    assert "not imported" in html  # the second row's bad phone and e-mail
    assert not Contact.objects.exists()


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_choosing_the_mapping_and_importing(role, users, client_as, django_capture_on_commit_callbacks):
    client = client_as(users[role])
    upload(client)
    imported = Import.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(imported.get_absolute_url(), {
            "column_0": "first_name", "column_1": "last_name", "column_2": "", "column_3": "email",
            "on_duplicate": "skip", "action": "start",
        })

    assert response.status_code == 302
    imported.refresh_from_db()
    assert (imported.status, imported.created, imported.failed) == (ImportStatus.DONE, 1, 1)
    assert not Contact.objects.get().phonenumbers.exists()
    page = client.get(imported.get_absolute_url()).content.decode()
    assert "Undo the import" in page and reverse("imports:report", args=[imported.pk]) in page


def test_a_mapping_error_is_shown_next_to_the_column_and_nothing_starts(manager, client_as):
    client = client_as(manager)
    upload(client)
    imported = Import.objects.get()

    response = client.post(imported.get_absolute_url(), {
        "column_0": "first_name", "column_1": "first_name", "column_2": "", "column_3": "", "on_duplicate": "skip", "action": "start",
    })

    assert response.status_code == 422
    assert "already goes to this field" in response.content.decode()
    imported.refresh_from_db()
    assert imported.status == ImportStatus.UPLOADED and imported.mapping["Siyati"] == "last_name"


def test_a_dry_run_from_the_page_counts_and_writes_nothing(manager, client_as, django_capture_on_commit_callbacks):
    client = client_as(manager)
    upload(client)
    imported = Import.objects.get()
    data = {"column_0": "first_name", "column_1": "last_name", "column_2": "phone", "column_3": "email", "on_duplicate": "skip"}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(imported.get_absolute_url(), {**data, "action": "check"})

    imported.refresh_from_db()
    assert (imported.status, imported.created, imported.failed) == (ImportStatus.CHECKED, 1, 1)
    page = client.get(imported.get_absolute_url()).content.decode()
    assert "Would create" in page and "Download the report" in page
    assert not Contact.objects.exists()


def test_the_progress_card_polls_while_running_and_reloads_the_page_when_done(manager, client_as):
    imported = run_file(manager, CSV)
    client = client_as(manager)
    Import.objects.filter(pk=imported.pk).update(status=ImportStatus.RUNNING, rows_read=1, rows_estimate=2, runner="x")
    from django.utils import timezone
    Import.objects.filter(pk=imported.pk).update(heartbeat_at=timezone.now())

    running = client.get(reverse("imports:progress", args=[imported.pk]), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in running.content.decode() and "HX-Refresh" not in running
    assert 'value="50"' in running.content.decode()

    Import.objects.filter(pk=imported.pk).update(status=ImportStatus.DONE)
    done = client.get(reverse("imports:progress", args=[imported.pk]), headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true" and "hx-trigger" not in done.content.decode()


def test_an_interrupted_import_offers_to_resume(manager, client_as, django_capture_on_commit_callbacks):
    imported = run_file(manager, CSV)
    Import.objects.filter(pk=imported.pk).update(status=ImportStatus.FAILED, last_row=2, error="killed")
    client = client_as(manager)
    assert "Resume" in client.get(imported.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:resume", args=[imported.pk]))

    assert response.status_code == 302
    assert Import.objects.get(pk=imported.pk).status == ImportStatus.DONE


def test_undo_from_the_page(manager, client_as, django_capture_on_commit_callbacks):
    imported = run_file(manager, CSV)
    client = client_as(manager)
    assert "Undo the import of contacts.csv" in client.get(reverse("imports:undo", args=[imported.pk])).content.decode().replace("\n", " ")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:undo", args=[imported.pk]))

    assert Import.objects.get(pk=imported.pk).status == ImportStatus.UNDONE
    assert not Contact.objects.exists()


def test_the_report_downloads_as_csv(manager, client_as):
    imported = run_file(manager, CSV)

    response = client_as(manager).get(reverse("imports:report", args=[imported.pk]))

    assert response["Content-Disposition"] == f'attachment; filename="import-{imported.pk}-report.csv"'
    assert "Telefòn" in b"".join(response.streaming_content).decode("utf-8-sig")


def test_a_bad_upload_is_refused_with_the_reason_next_to_the_file(manager, client_as):
    response = upload(client_as(manager), b"", "empty.csv")

    assert response.status_code == 422 and not Import.objects.exists()


def test_the_list_page_costs_the_same_queries_for_one_import_or_many(manager, client_as, django_assert_num_queries):
    client = client_as(manager)
    Organisation.objects.get_or_create(pk=1)
    run_file(manager, CSV)
    client.get(reverse("imports:list"))
    with django_assert_num_queries(3) as one:
        client.get(reverse("imports:list"))
    for _n in range(4):
        run_file(manager, CSV)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("imports:list"))
    assert response.content.decode().count("contacts.csv") == 5


def test_the_detail_page_query_count_is_pinned(manager, client_as, django_assert_num_queries):
    client = client_as(manager)
    upload(client)
    imported = Import.objects.get()
    client.get(imported.get_absolute_url())

    # Session, user, import, custom fields (the selects, the preview's labels), problems.
    with django_assert_num_queries(6):
        response = client.get(imported.get_absolute_url())
    assert response.status_code == 200

    done = run_file(manager, CSV)
    with django_assert_num_queries(4):
        client.get(done.get_absolute_url())


def test_the_page_says_why_rows_were_taken_for_existing_people(manager, agent, client_as):
    from kliyan.contacts.services import contact_create

    contact_create(actor=agent, data={"first_name": "Jean-Baptiste", "emails": [{"email": "jb@example.ht"}]})
    done = run_file(manager, CSV)

    html = client_as(manager).get(done.get_absolute_url()).content.decode()

    assert done.skipped == 1
    assert "Rows taken for existing records" in html and "Same e-mail address" in html
