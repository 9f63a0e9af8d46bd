"""API v1 exports: GET /contacts/export and /companies/export with the list filters; managers and admins only; 422 names the field."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from kliyan.accounts.services import token_create
from kliyan.contacts.models import Contact
from kliyan.contacts.services import company_create, contact_archive, contact_create
from kliyan.core.models import AuditEntry
from kliyan.imports import vcard as vcard_reader
from kliyan.imports.tests.test_exports import people

pytestmark = pytest.mark.django_db

ROLES = ["admin", "manager", "agent", "viewer"]
EXPORTERS = {"admin", "manager"}
ENDPOINTS = ["/api/v1/contacts/export", "/api/v1/companies/export"]


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_of(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_callers_must_authenticate(db: Any, url: str) -> None:
    assert Client().get(url).status_code == 401


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_only_managers_and_admins_may_export(users: dict[str, Any], client_as: Any, role: str, url: str) -> None:
    response = client_as(users[role]).get(url, {"format": "csv"})

    assert response.status_code == (200 if role in EXPORTERS else 403)
    assert AuditEntry.objects.filter(action="export").count() == (1 if role in EXPORTERS else 0)


def test_a_read_token_of_a_manager_may_export(manager: Any, contact: Any) -> None:
    _token, secret = token_create(actor=manager, user=manager, name="sync", scope="read")

    response = Client().get("/api/v1/contacts/export", {"format": "csv"}, HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert [r[1] for r in csv_of(response)[1:]] == ["Ștefan"]
    assert AuditEntry.objects.get(action="export").via == "api"


@pytest.mark.parametrize("url", ENDPOINTS)
def test_an_unknown_format_is_a_422_naming_the_field_and_nothing_is_audited(manager: Any, client_as: Any, url: str) -> None:
    response = client_as(manager).get(url, {"format": "pdf"})

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["format"]
    assert not AuditEntry.objects.filter(action="export").exists()


def test_a_bad_status_or_sort_is_a_422_naming_the_field(manager: Any, client_as: Any) -> None:
    client = client_as(manager)

    assert [e["field"] for e in client.get("/api/v1/contacts/export", {"status": "gone"}).json()["errors"]] == ["status"]
    assert [e["field"] for e in client.get("/api/v1/contacts/export", {"sort": "age"}).json()["errors"]] == ["sort"]
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_contact_list_filters_apply(manager: Any, client_as: Any) -> None:
    tagged = people(manager, 3)
    contact_create(actor=manager, data={"first_name": "Zoé", "language": "fr"})
    contact_archive(actor=manager, contact=tagged[2])
    client = client_as(manager)

    assert [r[0] for r in csv_of(client.get("/api/v1/contacts/export", {"tag": "client"}))[1:]] == [str(c.pk) for c in tagged[:2]]
    assert [r[1] for r in csv_of(client.get("/api/v1/contacts/export", {"language": "fr"}))[1:]] == ["Zoé"]
    everyone = csv_of(client.get("/api/v1/contacts/export", {"tag": "client", "status": "all", "sort": "-name"}))
    assert [r[0] for r in everyone[1:]] == [str(c.pk) for c in reversed(tagged)]
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert entry.after == {"format": "csv", "rows": 3, "filters": {"tag": "client", "status": "all", "sort": "-name"}}


def test_xlsx_and_vcard_answer_files(manager: Any, client_as: Any, contact: Any) -> None:
    client = client_as(manager)

    xlsx = client.get("/api/v1/contacts/export", {"format": "xlsx"})
    cards = client.get("/api/v1/contacts/export", {"format": "vcard"})

    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(body(xlsx))).active
    assert [c.value for c in next(sheet.iter_rows())][:3] == ["Kliyan ID", "First name", "Last name"]
    assert cards.status_code == 200 and cards["Content-Type"] == "text/vcard; charset=utf-8"
    read = [vcard_reader.card_row(c) for c in vcard_reader.read_cards(io.StringIO(body(cards).decode(), newline=""))]
    assert [(r["First name"], r["Last name"], r["Mobile"]) for r in read] == [("Ștefan", "Popescu", "+40721234567")]


def test_the_company_export_takes_the_company_list_filters(manager: Any, client_as: Any) -> None:
    company_create(actor=manager, data={"name": "Moulin Pélissier"})
    company_create(actor=manager, data={"name": "Boulangerie Arbër"})

    rows = csv_of(client_as(manager).get("/api/v1/companies/export", {"q": "arbër"}))

    assert [r[1] for r in rows[1:]] == ["Boulangerie Arbër"]


def test_5_or_50_contacts_cost_the_same_queries(manager: Any, client_as: Any) -> None:
    client = client_as(manager)
    counts = []
    for start, batch in ((0, 5), (5, 45)):
        people(manager, batch, start=start, source="walk_in")
        with CaptureQueriesContext(connection) as queries:
            rows = csv_of(client.get("/api/v1/contacts/export", {}))
        counts.append(len(queries))
        assert len(rows) == Contact.objects.count() + 1

    assert counts[0] == counts[1] <= 14


def test_the_endpoints_are_in_the_openapi_schema(client_as: Any, manager: Any) -> None:
    paths = client_as(manager).get("/api/v1/openapi.json").json()["paths"]

    parameters = {p["name"] for p in paths["/api/v1/contacts/export"]["get"]["parameters"]}
    assert {"format", "q", "tag", "company", "owner", "status", "language", "sort", "updated_since"} <= parameters
    assert "/api/v1/companies/export" in paths
