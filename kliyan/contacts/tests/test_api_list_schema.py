"""The contact list is sent without ninja's second validation pass, so check it against its schema here."""

from __future__ import annotations

import pytest

from kliyan.contacts.schemas import ContactOut, ContactPage
from kliyan.contacts.services import company_create, contact_create

pytestmark = pytest.mark.django_db


def test_list_items_match_the_documented_schema_and_the_detail_endpoint(agent, manager, client_as) -> None:
    company = company_create(actor=agent, data={"name": "Boulangerie Saint-Marc"})
    referrer = contact_create(actor=agent, data={"first_name": "Mirlande", "last_name": "Joseph"})
    contact_create(actor=agent, data={
        "first_name": "Ștefan", "last_name": "Popescu", "company": company.pk, "owner": agent.pk,
        "birthday": "1988-04-02", "referred_by": referrer.pk, "tags": ["vip"], "interests": ["shoes"],
        "emails": [{"email": "Stefan@Example.org", "is_primary": True}],
        "phones": [{"number": "+40 722 123 456", "kind": "mobile"}],
        "addresses": [{"city": "Cluj-Napoca", "country": "RO"}],
    })
    client = client_as(agent)

    response = client.get("/api/v1/contacts", {"limit": 10})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    page = ContactPage.model_validate(response.json())
    assert [c.display_name for c in page.items] == ["Mirlande Joseph", "Ștefan Popescu"]
    listed = response.json()["items"][1]
    detail = client.get(f"/api/v1/contacts/{listed['id']}").json()
    assert listed == detail
    assert ContactOut.model_validate(detail).company.name == "Boulangerie Saint-Marc"
