"""Company pages: list, detail with its people, create and edit, role by role."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kliyan.contacts.models import Company
from kliyan.contacts.services import company_create, contact_create
from kliyan.core.models import AuditEntry
from kliyan.core.organisation import get_organisation

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def company_post(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for prefix in ("emails", "phones", "addresses"):
        rows = fields.pop(prefix, [])
        body[f"{prefix}-TOTAL_FORMS"] = str(len(rows) + 1)
        body[f"{prefix}-INITIAL_FORMS"] = "0"
        for n, row in enumerate(rows):
            for key, value in row.items():
                body[f"{prefix}-{n}-{key}"] = value
    return {**body, **fields}


@pytest.fixture
def company(agent) -> Company:
    return company_create(actor=agent, data={"name": "Kafe Lakay", "industry": "Coffee"})


PAGES = ["contacts:company_list", "contacts:company_detail", "contacts:company_create", "contacts:company_edit"]
ALLOWED = {
    "contacts:company_list": {"admin", "manager", "agent", "viewer"},
    "contacts:company_detail": {"admin", "manager", "agent", "viewer"},
    "contacts:company_create": {"admin", "manager", "agent"},
    "contacts:company_edit": {"admin", "manager", "agent"},
}


def _url(name: str, company: Company) -> str:
    return reverse(name, args=[company.pk]) if name.endswith(("detail", "edit")) else reverse(name)


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_log_in(company, name: str) -> None:
    response = Client().get(_url(name, company))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", ["admin", "manager", "agent", "viewer"])
def test_page_is_shown_only_to_roles_with_the_permission(users, company, client_as, name: str, role: str) -> None:
    response = client_as(users[role]).get(_url(name, company))
    assert response.status_code == (200 if role in ALLOWED[name] else 403)


def test_viewer_cannot_create_or_edit_and_nothing_changes(viewer, company, client_as) -> None:
    client = client_as(viewer)
    audit_before = AuditEntry.objects.count()
    assert client.post(reverse("contacts:company_create"), company_post(name="Nope")).status_code == 403
    assert client.post(reverse("contacts:company_edit", args=[company.pk]), company_post(name="Nope")).status_code == 403
    company.refresh_from_db()
    assert company.name == "Kafe Lakay"
    assert Company.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before


def test_list_searches_and_answers_htmx_with_the_fragment(agent, company, client_as) -> None:
    company_create(actor=agent, data={"name": "Boulangerie Céline"})
    client = client_as(agent)
    page = client.get(reverse("contacts:company_list"), {"q": "celine"})
    assert [c.name for c in page.context["page"].items] == ["Boulangerie Céline"]
    fragment = client.get(reverse("contacts:company_list"), {"q": "kafe"}, **HTMX).content.decode()
    assert "Kafe Lakay" in fragment
    assert "<html" not in fragment


def test_list_query_count_does_not_grow_with_rows(agent, manager, client_as, django_assert_max_num_queries) -> None:
    client = client_as(agent)
    client.get(reverse("contacts:company_list"))  # the organisation is read once, then cached
    with django_assert_max_num_queries(4) as few:
        client.get(reverse("contacts:company_list"))
    for n in range(12):
        company_create(actor=agent, data={"name": f"Company {n}", "owner_id": manager.pk})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("contacts:company_list"))
    assert len(response.context["page"].items) == 12


def test_detail_lists_the_people_of_the_company(agent, company, client_as, django_assert_max_num_queries) -> None:
    for name in ("Marie", "Jean"):
        contact_create(actor=agent, data={"first_name": name, "company_id": company.pk, "emails": [{"email": f"{name}@kafe.ht"}]})
    contact_create(actor=agent, data={"first_name": "Elsewhere"})
    client = client_as(agent)
    get_organisation()  # created and cached once per test run, not per page
    with django_assert_max_num_queries(9):
        response = client.get(company.get_absolute_url())
    assert [p.display_name for p in response.context["people"]] == ["Jean", "Marie"]
    assert "jean@kafe.ht" in response.content.decode()


def test_detail_writes_the_address_like_the_contact_page_with_the_country_name(agent, client_as) -> None:
    company = company_create(actor=agent, data={"name": "Makiti", "addresses": [
        {"street": "12 Rue Capois", "postal_code": "HT6110", "city": "Port-au-Prince", "country": "HT"},
    ]})
    html = client_as(agent).get(company.get_absolute_url()).content.decode()
    assert "<address>12 Rue Capois<br>HT6110 Port-au-Prince<br>Haiti</address>" in html


def test_agent_creates_a_company_with_a_phone_and_website(agent, client_as) -> None:
    response = client_as(agent).post(reverse("contacts:company_create"), company_post(
        name="Makiti", website="makiti.mw", tags="wholesale", phones=[{"number": "+265 991 23 45 67"}],
    ))
    company = Company.objects.get()
    assert response.status_code == 302
    assert response.url == company.get_absolute_url()
    assert company.website == "https://makiti.mw"
    assert company.primary_phone == "+265991234567"
    assert list(company.tags.values_list("name", flat=True)) == ["wholesale"]


def test_bad_website_or_phone_is_shown_next_to_the_field_and_nothing_is_saved(agent, client_as) -> None:
    response = client_as(agent).post(reverse("contacts:company_create"), company_post(
        name="Makiti", website="not a site", phones=[{"number": "12ab"}],
    ))
    assert response.status_code == 422
    assert "website" in response.context["form"].errors
    assert response.context["children"]["phones"].forms[0].errors["number"] == ["“12ab” is not a valid phone number."]
    assert Company.objects.count() == 0


def test_edit_renames_the_company(agent, company, client_as) -> None:
    client = client_as(agent)
    url = reverse("contacts:company_edit", args=[company.pk])
    assert client.get(url).context["form"].initial["name"] == "Kafe Lakay"
    response = client.post(url, company_post(name="Kafe Lakay SA", industry="Coffee"))
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.name == "Kafe Lakay SA"


def test_manager_archives_and_restores_a_company_but_an_agent_cannot(manager, agent, company, client_as) -> None:
    archive_url = reverse("contacts:company_archive", args=[company.pk])
    assert client_as(agent).post(archive_url).status_code == 403
    company.refresh_from_db()
    assert company.archived_at is None
    client = client_as(manager)
    assert archive_url in client.get(company.get_absolute_url()).content.decode()
    assert client.post(archive_url).status_code == 302
    company.refresh_from_db()
    assert company.archived_at is not None
    client.post(reverse("contacts:company_restore", args=[company.pk]))
    company.refresh_from_db()
    assert company.archived_at is None
