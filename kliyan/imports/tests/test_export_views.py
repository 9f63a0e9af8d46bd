"""Export pages: buttons on the contact and company lists that keep the filters; managers and admins only; audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kliyan.contacts.models import Contact
from kliyan.contacts.services import company_create, contact_archive, contact_create
from kliyan.core.models import AuditEntry, Organisation
from kliyan.core.organisation import clear_organisation_cache, get_organisation
from kliyan.imports.tests.test_exports import people

pytestmark = pytest.mark.django_db

ROLES = ["admin", "manager", "agent", "viewer"]
EXPORTERS = {"admin", "manager"}
EXPORT_PAGES = ["imports:export_contacts", "imports:export_companies"]


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_of(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("name", EXPORT_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(db: Any, name: str) -> None:
    response = Client().get(reverse(name), {"format": "csv"})

    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert not AuditEntry.objects.filter(action="export").exists()


@pytest.mark.parametrize("name", EXPORT_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_only_managers_and_admins_may_export(users: dict[str, Any], client_as: Any, role: str, name: str) -> None:
    response = client_as(users[role]).get(reverse(name), {"format": "csv"})

    assert response.status_code == (200 if role in EXPORTERS else 403)
    assert AuditEntry.objects.filter(action="export").count() == (1 if role in EXPORTERS else 0)


@pytest.mark.parametrize("role", ROLES)
def test_the_export_buttons_show_only_to_roles_that_may_export(users: dict[str, Any], client_as: Any, role: str, contact: Contact) -> None:
    company_create(actor=users["admin"], data={"name": "Moulin"})
    client = client_as(users[role])

    contacts_page = client.get(reverse("contacts:contact_list")).content.decode()
    companies_page = client.get(reverse("contacts:company_list")).content.decode()

    assert (reverse("imports:export_contacts") in contacts_page) is (role in EXPORTERS)
    assert (reverse("imports:export_companies") in companies_page) is (role in EXPORTERS)


def test_the_buttons_carry_the_list_filters(manager: Any, client_as: Any) -> None:
    people(manager, 2)
    client = client_as(manager)

    page = client.get(reverse("contacts:contact_list"), {"tag": "client", "status": "all"}, HTTP_HX_REQUEST="true").content.decode()

    url = reverse("imports:export_contacts")
    assert f'href="{url}?format=csv&amp;tag=client&amp;status=all"' in page
    assert f'href="{url}?format=xlsx&amp;tag=client&amp;status=all"' in page
    assert f'href="{url}?format=vcard&amp;tag=client&amp;status=all"' in page


def test_a_csv_export_holds_the_filtered_list_and_is_named_after_the_day(manager: Any, client_as: Any) -> None:
    tagged = people(manager, 3)
    contact_create(actor=manager, data={"first_name": "Sans étiquette"})
    contact_archive(actor=manager, contact=tagged[0])

    response = client_as(manager).get(reverse("imports:export_contacts"), {"format": "csv", "tag": "client"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(get_organisation().timezone)).isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="kliyan-contacts-{today}.csv"'
    rows = csv_of(response)
    assert [r[0] for r in rows[1:]] == [str(c.pk) for c in tagged[1:]]
    entry = AuditEntry.objects.get(action="export")
    assert (entry.via, entry.after) == ("web", {"format": "csv", "rows": 2, "filters": {"tag": "client", "status": "active", "sort": "name"}})


def test_an_excel_export_is_one_sheet_of_text_cells(manager: Any, client_as: Any) -> None:
    contact_create(actor=manager, data={"first_name": "=HYPERLINK(\"http://x\",\"y\")", "phones": [{"number": "+509 3700 1234"}]})

    response = client_as(manager).get(reverse("imports:export_contacts"), {"format": "xlsx"})

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(body(response))).active
    header, row = list(sheet.iter_rows())
    assert all(c.data_type != "f" for c in row)
    assert (row[1].value, row[4].value) == ('\'=HYPERLINK("http://x","y")', "+50937001234")


def test_a_vcard_export_of_companies(manager: Any, client_as: Any) -> None:
    company_create(actor=manager, data={"name": "Moulin Pélissier", "phones": [{"number": "+509 3700 1234", "kind": "work"}]})

    response = client_as(manager).get(reverse("imports:export_companies"), {"format": "vcard"})

    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert response["Content-Disposition"].endswith('.vcf"')
    text = body(response).decode("utf-8")
    assert "KIND:org\r\nFN:Moulin Pélissier\r\n" in text and "TEL;TYPE=work,voice;PREF=1:+50937001234\r\n" in text


def test_the_company_export_keeps_the_search(manager: Any, client_as: Any) -> None:
    company_create(actor=manager, data={"name": "Moulin Pélissier"})
    company_create(actor=manager, data={"name": "Boulangerie Arbër"})

    rows = csv_of(client_as(manager).get(reverse("imports:export_companies"), {"format": "csv", "q": "moulin"}))

    assert [r[1] for r in rows[1:]] == ["Moulin Pélissier"]


def test_an_unknown_format_goes_back_to_the_list_with_the_reason_and_exports_nothing(manager: Any, client_as: Any) -> None:
    response = client_as(manager).get(reverse("imports:export_contacts"), {"format": "pdf", "tag": "client"}, follow=True)

    assert response.redirect_chain[-1][0] == f"{reverse('contacts:contact_list')}?tag=client"
    assert "is not an export format" in response.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()


@pytest.mark.parametrize("name", EXPORT_PAGES)
def test_a_head_request_gets_no_file_and_leaves_no_audit_entry(manager: Any, client_as: Any, name: str) -> None:
    response = client_as(manager).head(reverse(name), {"format": "csv"})

    assert response.status_code == 405
    assert not AuditEntry.objects.filter(action="export").exists()


def test_5_or_50_contacts_cost_the_same_queries(manager: Any, client_as: Any) -> None:
    client = client_as(manager)
    counts = []
    for start, batch in ((0, 5), (5, 45)):
        people(manager, batch, start=start, source="walk_in")
        with CaptureQueriesContext(connection) as queries:
            rows = csv_of(client.get(reverse("imports:export_contacts"), {"format": "csv"}))
        counts.append(len(queries))
        assert len(rows) == Contact.objects.count() + 1

    assert counts[0] == counts[1] <= 14


def test_dates_in_a_streamed_file_are_in_the_organisation_time_zone(manager: Any, client_as: Any) -> None:
    Organisation.objects.update_or_create(pk=1, defaults={"timezone": "Pacific/Kiritimati"})  # UTC+14
    clear_organisation_cache()
    contact = contact_create(actor=manager, data={"first_name": "Tard"})
    Contact.objects.filter(pk=contact.pk).update(archived_at=dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC))

    rows = csv_of(client_as(manager).get(reverse("imports:export_contacts"), {"format": "csv", "status": "archived"}))

    assert rows[1][rows[0].index("Archived")] == "2026-01-02"
