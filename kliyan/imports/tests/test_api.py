"""API v1 imports: upload and run, progress, report, undo; managers and admins only; bad input changes nothing."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kliyan.accounts.services import token_create
from kliyan.contacts.models import Contact
from kliyan.imports.models import Import
from kliyan.imports.tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

CSV = b"Prenume;Nume;Telefon;E-mail\nIoana;Popescu;+40 744 123 456;ioana@example.ro\nIon;Ionescu;12;ion@\n"


def upload(client: Client, data: bytes = CSV, name: str = "oameni.csv", **fields):
    return client.post("/api/v1/imports", {"file": SimpleUploadedFile(name, data), **fields})


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_may_not_import(role, users, client_as, django_capture_on_commit_callbacks):
    client = client_as(users[role])

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client)

    assert response.status_code == 403
    assert client.get("/api/v1/imports").status_code == 403
    assert not Import.objects.exists() and not Contact.objects.exists()


def test_anonymous_callers_must_authenticate():
    assert upload(Client()).status_code == 401
    assert Client().get("/api/v1/imports").status_code == 401


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_upload_and_the_import_runs_in_the_background(role, users, client_as, django_capture_on_commit_callbacks):
    client = client_as(users[role])

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client)

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["mapping"] == {"Prenume": "first_name", "Nume": "last_name", "Telefon": "phone", "E-mail": "email"}
    assert (body["file_format"], body["delimiter"], body["encoding"]) == ("csv", ";", "utf-8")
    detail = client.get(f"/api/v1/imports/{body['id']}").json()
    assert detail["status"] == "done" and detail["percent_done"] == 100
    assert detail["counts"] == {"rows_read": 2, "created": 1, "updated": 0, "skipped": 0, "failed": 1}
    assert detail["matched_by"] == {}
    assert Contact.objects.get().primary_phone == "+40744123456"


def test_the_report_is_a_csv_of_row_column_value_and_problem(manager, client_as, django_capture_on_commit_callbacks):
    client = client_as(manager)
    with django_capture_on_commit_callbacks(execute=True):
        imported = upload(client, dry_run="true").json()

    response = client.get(imported["report_url"])

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "value", "problem"]
    assert [r[:3] for r in rows[1:]] == [["3", "Telefon", "12"], ["3", "E-mail", "ion@"]]
    assert not Contact.objects.exists()  # a dry run writes nothing


def test_a_dry_run_then_a_real_start(manager, client_as, django_capture_on_commit_callbacks):
    client = client_as(manager)
    with django_capture_on_commit_callbacks(execute=True):
        checked = upload(client, dry_run="true").json()
    assert client.get(f"/api/v1/imports/{checked['id']}").json()["status"] == "checked"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/{checked['id']}/start", {"dry_run": False}, content_type="application/json")

    assert response.status_code == 202
    assert client.get(f"/api/v1/imports/{checked['id']}").json()["counts"]["created"] == 1


def test_a_mapping_sent_as_json_overrides_the_guess(manager, client_as, django_capture_on_commit_callbacks):
    client = client_as(manager)

    with django_capture_on_commit_callbacks(execute=True):
        body = upload(client, mapping='{"Telefon": ""}').json()

    assert body["mapping"]["Telefon"] == ""
    assert not Contact.objects.get().phonenumbers.exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"mapping": '{"Nope": "email"}'}, "mapping.Nope"),
    ({"mapping": '{"Telefon": "shoe_size"}'}, "mapping.Telefon"),
    ({"mapping": "not json"}, "mapping"),
    ({"on_duplicate": "merge"}, "on_duplicate"),
    ({"target": "invoices"}, "target"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(manager, client_as, fields, field):
    response = upload(client_as(manager), **fields)

    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Import.objects.exists()


def test_an_unreadable_workbook_is_refused(manager, client_as):
    response = upload(client_as(manager), b"PK\x03\x04garbage", "broken.xlsx")

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"file"}


def test_undo_through_the_api(manager, client_as, django_capture_on_commit_callbacks):
    client = client_as(manager)
    with django_capture_on_commit_callbacks(execute=True):
        imported = upload(client).json()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/{imported['id']}/undo")

    assert response.status_code == 202
    assert client.get(f"/api/v1/imports/{imported['id']}").json()["status"] == "undone"
    assert not Contact.objects.exists()
    assert client.post(f"/api/v1/imports/{imported['id']}/undo").status_code == 409


def test_a_vcard_uploaded_with_a_token_and_an_idempotency_key_is_imported_once(manager, django_capture_on_commit_callbacks):
    _token, secret = token_create(actor=manager, user=manager, name="phone sync", scope="write")
    client = Client(headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "iphone-1"})
    data = (FIXTURES / "iphone_export.vcf").read_bytes()

    with django_capture_on_commit_callbacks(execute=True):
        first = upload(client, data, "contacts.vcf")
        second = upload(client, data, "contacts.vcf")

    assert first.status_code == second.status_code == 202
    assert second["Idempotent-Replayed"] == "true"
    assert Import.objects.count() == 1
    # The third card has a birthday without a year: reported, not imported.
    assert Contact.objects.count() == 2


def test_a_missing_import_is_404(manager, client_as):
    assert client_as(manager).get("/api/v1/imports/999").status_code == 404


def test_the_api_says_why_rows_were_taken_for_existing_people(manager, agent, client_as, django_capture_on_commit_callbacks):
    from kliyan.contacts.services import contact_create

    contact_create(actor=agent, data={"first_name": "Ioana", "phones": [{"number": "+40 744 123 456"}]})
    client = client_as(manager)
    with django_capture_on_commit_callbacks(execute=True):
        imported = upload(client, on_duplicate="update").json()

    detail = client.get(f"/api/v1/imports/{imported['id']}").json()
    assert (detail["counts"]["updated"], detail["matched_by"]) == (1, {"phone": 1})
