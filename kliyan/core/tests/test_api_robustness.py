"""API v1 against what real clients send: every refusal is a 4xx problem naming the field, never a 500.

Found by fuzzing the OpenAPI document (schemathesis) and by hand.
"""

from __future__ import annotations

import base64
import json

import pytest

from kliyan.contacts.models import Contact, ConsentEvent
from kliyan.interactions.models import Interaction, Task

pytestmark = pytest.mark.django_db

JSON = "application/json"
TOO_BIG = 2**63  # one more than a 64-bit id column holds


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def fields_of(response, status: int = 422) -> dict[str, str]:
    return {e["field"]: e["message"] for e in problem(response, status)["errors"]}


def cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("body", ["{bad", "first_name=A", b"\xff\xfe"])
def test_a_body_that_is_not_json_is_a_400_naming_the_body(body, agent, client_as):
    response = client_as(agent).post("/api/v1/contacts", body, content_type=JSON)
    assert problem(response, 400)["code"] == "invalid_body"
    assert fields_of(response, 400) == {"body": "Send a JSON object with Content-Type: application/json."}
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "3"])
def test_json_that_is_not_an_object_is_named_body(body, agent, client_as):
    response = client_as(agent).post("/api/v1/contacts", body, content_type=JSON)
    assert fields_of(response) == {"body": "Send a JSON object."}
    assert Contact.objects.count() == 0


def test_a_missing_body_is_named_body_not_payload(agent, client_as):
    response = client_as(agent).generic("POST", "/api/v1/tasks", b"", content_type=JSON)
    assert fields_of(response) == {"body": "This field is required."}
    assert Task.objects.count() == 0


@pytest.mark.parametrize("path", ["/api/v1/contacts/abc", "/api/v1/contacts/null,null/archive", "/api/v1/nothing-here"])
def test_an_unknown_api_address_is_a_problem_404_not_a_page(path, agent, client_as):
    assert problem(client_as(agent).get(path), 404)["code"] == "not_found"
    assert problem(client_as(agent).post(path, "{}", content_type=JSON), 404)["code"] == "not_found"


@pytest.mark.parametrize("url", [
    "/api/v1/contacts?company={n}", "/api/v1/contacts?owner={n}", "/api/v1/consents?contact={n}",
    "/api/v1/interactions?contact={n}", "/api/v1/tasks?assignee={n}", "/api/v1/tasks?contact={n}",
])
def test_an_id_filter_too_big_for_the_database_is_named(url, agent, client_as):
    response = client_as(agent).get(url.format(n=TOO_BIG))
    name = url.split("?")[1].split("=")[0]
    assert fields_of(response) == {name: "Input should be less than or equal to 9223372036854775807"}


@pytest.mark.parametrize("url", ["/api/v1/contacts", "/api/v1/companies", "/api/v1/consents",
                                 "/api/v1/interactions", "/api/v1/tasks", "/api/v1/custom-fields"])
@pytest.mark.parametrize("since", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_updated_since_at_the_edge_of_the_calendar_is_named(url, since, agent, client_as):
    response = client_as(agent).get(url, {"updated_since": since})
    assert fields_of(response) == {"updated_since": "Use a date between the years 1 and 9999."}


def test_updated_since_garbage_is_named(agent, client_as):
    response = client_as(agent).get("/api/v1/contacts", {"updated_since": "yesterday"})
    assert set(fields_of(response)) == {"updated_since"}


@pytest.mark.parametrize("since", ["0.5", "1700000000", " 12 "])
def test_updated_since_as_a_bare_number_is_refused_not_read_as_1970(since, agent, client_as):
    response = client_as(agent).get("/api/v1/contacts", {"updated_since": since})
    assert fields_of(response) == {"updated_since": "Use an ISO 8601 date-time, e.g. 2026-03-14T09:30:00Z."}


def test_timeline_before_at_the_edge_of_the_calendar_is_named(agent, client_as, contact):
    response = client_as(agent).get(f"/api/v1/contacts/{contact.pk}/timeline", {"before": "0001-01-01T00:00:00+14:00"})
    assert fields_of(response) == {"before": "Use a date between the years 1 and 9999."}


@pytest.mark.parametrize(("url", "values"), [
    ("/api/v1/contacts", ["x", "y"]),
    ("/api/v1/contacts", [{"a": 1}, [1]]),
    ("/api/v1/contacts?sort=-updated", ["not a date", 1]),
    ("/api/v1/contacts", ["Ann", TOO_BIG]),
    ("/api/v1/tasks", ["2026-01-01", "x"]),
    ("/api/v1/tasks", ["2026-02-31", 1]),
    ("/api/v1/interactions", ["garbage", 1]),
    ("/api/v1/consents", ["2026-01-01T00:00:00+00:00", 10**30]),
    ("/api/v1/custom-fields", ["contact", "x", 1]),
    ("/api/v1/companies", [True, 1]),
])
def test_a_hand_made_cursor_of_the_wrong_types_is_named(url, values, agent, client_as):
    separator = "&" if "?" in url else "?"
    response = client_as(agent).get(f"{url}{separator}cursor={cursor(values)}")
    assert fields_of(response) == {"cursor": "This cursor is not valid."}


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_consent_at_the_edge_of_the_calendar_is_named_and_nothing_saved(at, agent, client_as, contact):
    response = client_as(agent).post(f"/api/v1/contacts/{contact.pk}/consents",
                                      {"channel": "email", "status": "granted", "at": at}, content_type=JSON)
    assert fields_of(response) == {"at": "Use a date between the years 1 and 9999."}
    assert ConsentEvent.objects.count() == 0


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_interaction_time_at_the_edge_of_the_calendar_is_named(value, agent, client_as, contact):
    body = {"contact": contact.pk, "channel": "sms", "question": "Price?", "occurred_at": value}
    response = client_as(agent).post("/api/v1/interactions", body, content_type=JSON)
    assert fields_of(response) == {"occurred_at": "Use a date between the years 1 and 9999."}
    assert Interaction.objects.count() == 0


def test_task_reminder_at_the_edge_of_the_calendar_is_named(agent, client_as):
    response = client_as(agent).post("/api/v1/tasks", {"title": "Call", "due_date": "2026-01-01",
                                                       "remind_at": "9999-12-31T23:59:59-14:00"}, content_type=JSON)
    assert fields_of(response) == {"remind_at": "Use a date between the years 1 and 9999."}
    assert Task.objects.count() == 0


@pytest.mark.parametrize("body", [
    {"first_name": "A\u0000B"},
    {"first_name": "A", "tags": ["v\u0000ip"]},
    {"first_name": "A", "emails": [{"email": "a\u0000@example.org"}]},
    {"first_name": "A", "custom_fields": {"k\u0000": "x"}},
])
def test_a_nul_character_is_named_and_nothing_saved(body, agent, client_as):
    response = client_as(agent).post("/api/v1/contacts", body, content_type=JSON)
    assert set(fields_of(response).values()) == {"Text may not contain the NUL character."}
    assert Contact.objects.count() == 0


def test_unicode_and_emoji_names_are_kept(agent, client_as):
    response = client_as(agent).post("/api/v1/contacts", {"first_name": "😀 Ñandú", "last_name": "李"}, content_type=JSON)
    assert response.status_code == 201
    assert response.json()["display_name"] == "😀 Ñandú 李"


def test_an_unexpected_error_is_a_problem_500(agent, client_as, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("kliyan.contacts.queries.contact_page", broken)
    response = client_as(agent).get("/api/v1/contacts")
    assert problem(response, 500)["code"] == "server_error"
    assert "boom" not in response.content.decode()


def test_a_method_an_address_does_not_take_is_a_problem_405(agent, client_as):
    response = client_as(agent).put("/api/v1/contacts", "{}", content_type=JSON)
    assert problem(response, 405)["code"] == "method_not_allowed"
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}


def test_the_openapi_document_describes_the_problem_answers(client):
    spec = client.get("/api/v1/openapi.json").json()
    create = spec["paths"]["/api/v1/contacts"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "409", "413", "422"} <= set(create)
    assert create["422"]["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert spec["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "code"]


@pytest.mark.parametrize("url", [
    "/api/v1/contacts?q=a%00b", "/api/v1/contacts?tag=%00", "/api/v1/companies?q=%00", "/api/v1/search?q=a%00b",
    "/api/v1/caller-id?phone=%00", "/api/v1/interactions?channel=%00", "/api/v1/custom-fields?target=%00",
])
def test_a_nul_character_in_a_query_is_named(url, agent, client_as):
    response = client_as(agent).get(url)
    parameter = url.split("?")[1].split("=")[0]
    assert fields_of(response) == {parameter: "Text may not contain the NUL character."}


def test_a_nul_character_in_a_page_query_is_a_bad_request(agent, client_as):
    response = client_as(agent).get("/contacts/?q=a%00b")
    assert response.status_code == 400
    assert "Text may not contain the NUL character." in response.content.decode()
