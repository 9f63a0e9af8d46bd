"""The service desk's reports page and API show the CSAT figures of the period's tickets."""

from __future__ import annotations

import pytest

from kliyan.feedback import outbox

pytestmark = pytest.mark.django_db


def test_the_service_reports_show_csat_of_the_periods_tickets(manager, client, ticket, invitation, client_as) -> None:
    client.post(outbox.survey_path(invitation), {"score": "4", "comment": "ok"})
    api = client_as(manager).get("/api/v1/service/reports")
    assert api.status_code == 200, api.content
    assert api.json()["csat"] == {
        "invited": 1, "answered": 1, "response_rate": 100.0, "average": 4.0, "satisfied": 1, "satisfied_percent": 100.0,
    }
    page = client_as(manager).get("/service/reports/").content.decode()
    assert 'id="csat"' in page and "/feedback/?kind=csat" in page


def test_without_surveys_the_section_says_so(manager, ticket, client_as) -> None:
    assert client_as(manager).get("/api/v1/service/reports").json()["csat"]["invited"] == 0
