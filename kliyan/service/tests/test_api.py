"""API v1 of the service desk: roles, filters, paging, bad input named, idempotent POSTs, files, e-mail in."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kliyan.accounts.services import token_create
from kliyan.accounts.teams import team_create
from kliyan.core.models import AuditEntry
from kliyan.service import categories, services
from kliyan.service.models import Ticket, TicketAttachment, TicketCategory, TicketMessage
from kliyan.service.schemas import TicketPage

pytestmark = pytest.mark.django_db

JSON = "application/json"


def errors_of(response) -> set[str]:
    assert response["Content-Type"] == "application/problem+json", response.content
    return {e["field"] for e in response.json()["errors"]}


def bearer(user, scope: str = "write") -> Client:
    _token, raw = token_create(actor=user, user=user, name="mail", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_reading_needs_tickets_view_and_writing_tickets_work(users, client_as, contact, ticket, client) -> None:
    for role, user in users.items():
        api = client_as(user)
        assert api.get("/api/v1/tickets").status_code == 200, role
        assert api.get(f"/api/v1/tickets/{ticket.pk}").status_code == 200, role
        created = api.post("/api/v1/tickets", {"contact": contact.pk, "subject": f"by {role}"}, content_type=JSON)
        assert created.status_code == (403 if role == "viewer" else 201), role
    assert client.get("/api/v1/tickets").status_code == 401
    assert client.post("/api/v1/tickets", {"contact": contact.pk, "subject": "x"}, content_type=JSON).status_code == 401
    assert not Ticket.objects.filter(subject="by viewer").exists()


def test_create_read_and_patch_a_ticket(agent, manager, contact, client_as) -> None:
    category = categories.category_create(actor=manager, data={"name": "Factură"})
    team = team_create(actor=manager, data={"name": "Billing"})
    api = client_as(agent)
    created = api.post("/api/v1/tickets", {
        "contact": contact.pk, "subject": "Factură greșită", "kind": "complaint", "priority": "high", "channel": "phone",
        "category": category.pk, "description": "Suma e greșită.",
    }, content_type=JSON)
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["reference"], body["category"]["name"]) == ("new", f"T-{body['id']:06d}", "Factură")
    assert body["allowed_statuses"] == ["open", "waiting", "resolved", "closed"]
    assert [m["kind"] for m in body["messages"]] == ["customer"] and [e["kind"] for e in body["history"]] == ["created"]
    patched = api.patch(f"/api/v1/tickets/{body['id']}", {"status": "waiting", "assignee": agent.pk, "team": team.pk},
                        content_type=JSON).json()
    assert (patched["status"], patched["assignee"]["username"], patched["team"]["name"]) == ("waiting", "agent", "Billing")
    assert patched["waiting_since"] is not None
    unassigned = api.patch(f"/api/v1/tickets/{body['id']}", {"assignee": None}, content_type=JSON).json()
    assert unassigned["assignee"] is None and unassigned["team"]["name"] == "Billing"


def test_bad_input_names_each_field_and_writes_nothing(agent, contact, ticket, client_as) -> None:
    api = client_as(agent)
    response = api.post("/api/v1/tickets", {"contact": contact.pk, "subject": "", "priority": "asap", "kind": "x",
                                            "team": 0, "mood": 1}, content_type=JSON)
    assert response.status_code == 422 and errors_of(response) == {"team", "mood"}  # the schema's checks come first
    response = api.post("/api/v1/tickets", {"contact": contact.pk, "subject": "", "priority": "asap", "kind": "x"},
                        content_type=JSON)
    assert errors_of(response) == {"subject", "priority", "kind"}
    response = api.patch(f"/api/v1/tickets/{ticket.pk}", {"status": "reopened", "category": 999999}, content_type=JSON)
    assert errors_of(response) == {"category"}
    response = api.patch(f"/api/v1/tickets/{ticket.pk}", {"status": "reopened"}, content_type=JSON)
    assert errors_of(response) == {"status"}
    assert Ticket.objects.count() == 1 and Ticket.objects.get().status == "new"


def test_unknown_tickets_are_404_problems(agent, client_as) -> None:
    api = client_as(agent)
    for response in (api.get("/api/v1/tickets/999999"), api.patch("/api/v1/tickets/999999", {}, content_type=JSON),
                     api.post("/api/v1/tickets/999999/reply", {"body": "x"}, content_type=JSON),
                     api.get("/api/v1/tickets/99999999999999999999")):
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_list_filters_and_pages(agent, manager, contact, client_as) -> None:
    team = team_create(actor=manager, data={"name": "Desk"})
    mine = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Mine", "assignee": agent.pk})
    teams = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Team", "team": team.pk})
    done = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Done"})
    services.ticket_change_status(actor=agent, ticket=done, status="resolved")
    api = client_as(agent)

    def ids(**params) -> list[int]:
        response = api.get("/api/v1/tickets", params)
        assert response.status_code == 200, response.content
        TicketPage.model_validate(response.json())
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [teams.pk, mine.pk]
    assert ids(status="all") == [done.pk, teams.pk, mine.pk]
    assert ids(status="resolved") == [done.pk]
    assert ids(assignee="me") == [mine.pk]
    assert ids(assignee=str(agent.pk)) == [mine.pk]
    assert ids(team=team.pk) == [teams.pk]
    assert ids(unassigned="true") == [teams.pk]
    assert ids(contact=contact.pk, status="all") == [done.pk, teams.pk, mine.pk]
    first = api.get("/api/v1/tickets", {"status": "all", "limit": 2}).json()
    second = api.get("/api/v1/tickets", {"status": "all", "limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [done.pk, teams.pk, mine.pk]
    assert second["next_cursor"] is None
    since = api.get("/api/v1/tickets", {"status": "all", "updated_since": "2999-01-01T00:00:00Z"}).json()
    assert since["items"] == []


def test_bad_list_parameters_are_named(agent, client_as) -> None:
    api = client_as(agent)
    for params, field in (({"status": "lost"}, "status"), ({"assignee": "you"}, "assignee"), ({"priority": "p0"}, "priority"),
                          ({"cursor": "x"}, "cursor"), ({"team": "99999999999999999999"}, "team"), ({"limit": 0}, "limit")):
        assert errors_of(api.get("/api/v1/tickets", params)) == {field}


@pytest.mark.parametrize("count", [2, 10])
def test_the_list_costs_the_same_queries_for_any_page(count, agent, contact, client_as, django_assert_num_queries) -> None:
    for n in range(count):
        services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": f"T{n}", "assignee": agent.pk})
    api = client_as(agent)
    with django_assert_num_queries(3):  # session, user, the page with its relations
        assert len(api.get("/api/v1/tickets").json()["items"]) == count


def test_detail_query_count_does_not_grow_with_messages(agent, ticket, client_as, django_assert_num_queries) -> None:
    for n in range(6):
        services.ticket_add_note(actor=agent, ticket=ticket, body=f"n{n}")
    api = client_as(agent)
    # session, user, ticket, messages, their files, loose files, history
    with django_assert_num_queries(7):
        assert len(api.get(f"/api/v1/tickets/{ticket.pk}").json()["messages"]) == 7


def test_reply_and_note_with_an_uploaded_file(agent, ticket, client_as, mailoutbox, django_capture_on_commit_callbacks) -> None:
    api = client_as(agent)
    upload = api.post(f"/api/v1/tickets/{ticket.pk}/attachments",
                      {"file": SimpleUploadedFile("factura.pdf", b"%PDF-1.4 x", content_type="application/pdf")})
    assert upload.status_code == 201
    file = upload.json()
    assert (file["name"], file["size"], file["message_id"]) == ("factura.pdf", 10, None)
    assert len(file["sha256"]) == 64
    detail = api.get(f"/api/v1/tickets/{ticket.pk}").json()
    assert [a["id"] for a in detail["attachments"]] == [file["id"]]
    with django_capture_on_commit_callbacks(execute=True):
        reply = api.post(f"/api/v1/tickets/{ticket.pk}/reply", {"body": "Factura corectă.", "attachments": [file["id"]],
                                                               "status": "resolved"}, content_type=JSON)
    assert reply.status_code == 201
    assert (reply.json()["kind"], reply.json()["internal"], [a["id"] for a in reply.json()["attachments"]]) == (
        "reply", False, [file["id"]])
    assert mailoutbox[0].attachments[0][0] == "factura.pdf"
    again = api.post(f"/api/v1/tickets/{ticket.pk}/notes", {"body": "x", "attachments": [file["id"]]}, content_type=JSON)
    assert errors_of(again) == {"attachments"}  # already sent with the reply
    note = api.post(f"/api/v1/tickets/{ticket.pk}/notes", {"body": "Called the courier."}, content_type=JSON)
    assert note.status_code == 201 and note.json()["internal"] is True
    content = api.get(file["url"])
    assert content.status_code == 200 and b"".join(content.streaming_content) == b"%PDF-1.4 x"
    assert Ticket.objects.get().status == "resolved"


def test_an_upload_needs_a_file_and_respects_the_limit(agent, viewer, ticket, client_as, settings) -> None:
    api = client_as(agent)
    assert errors_of(api.post(f"/api/v1/tickets/{ticket.pk}/attachments", {})) == {"file"}
    settings.KLIYAN_ATTACHMENT_MAX_BYTES = 3
    big = api.post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": SimpleUploadedFile("a.txt", b"too big")})
    assert big.status_code == 422 and errors_of(big) == {"file"}
    denied = client_as(viewer).post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": SimpleUploadedFile("a.txt", b"x")})
    assert denied.status_code == 403
    assert not TicketAttachment.objects.exists()


def test_a_retried_post_with_the_same_idempotency_key_writes_once(agent, contact, ticket, client_as) -> None:
    api = client_as(agent)
    body = {"contact": contact.pk, "subject": "Once"}
    first = api.post("/api/v1/tickets", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/tickets", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.filter(subject="Once").count() == 1
    for _ in range(2):
        api.post(f"/api/v1/tickets/{ticket.pk}/notes", {"body": "once"}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-2")
    assert TicketMessage.objects.filter(kind="note").count() == 1
    upload = {"file": SimpleUploadedFile("a.txt", b"abc")}
    one = api.post(f"/api/v1/tickets/{ticket.pk}/attachments", upload, HTTP_IDEMPOTENCY_KEY="k-3")
    upload = {"file": SimpleUploadedFile("a.txt", b"abc")}
    two = api.post(f"/api/v1/tickets/{ticket.pk}/attachments", upload, HTTP_IDEMPOTENCY_KEY="k-3")
    assert one.status_code == two.status_code == 201 and two["Idempotent-Replayed"] == "true"
    assert TicketAttachment.objects.count() == 1


def test_categories_and_teams_are_managed_by_managers(users, client_as) -> None:
    for role, user in users.items():
        api = client_as(user)
        assert api.get("/api/v1/ticket-categories").status_code == 200
        assert api.get("/api/v1/teams").status_code == 200
        made = api.post("/api/v1/ticket-categories", {"name": f"C-{role}"}, content_type=JSON)
        assert made.status_code == (201 if role in {"admin", "manager"} else 403), role
        team = api.post("/api/v1/teams", {"name": f"T-{role}", "members": [user.pk]}, content_type=JSON)
        assert team.status_code == (201 if role in {"admin", "manager"} else 403), role
    assert set(TicketCategory.objects.values_list("name", flat=True)) == {"C-admin", "C-manager"}


def test_category_and_team_changes_are_named_when_bad(manager, client_as) -> None:
    api = client_as(manager)
    top = api.post("/api/v1/ticket-categories", {"name": "Livrare"}, content_type=JSON).json()
    child = api.post("/api/v1/ticket-categories", {"name": "Late", "parent": top["id"]}, content_type=JSON).json()
    assert child["path"] == "Livrare › Late"
    assert errors_of(api.patch(f"/api/v1/ticket-categories/{top['id']}", {"parent": child["id"]}, content_type=JSON)) == {"parent"}
    assert errors_of(api.post("/api/v1/teams", {"name": "", "members": [999999]}, content_type=JSON)) == {"name", "members"}
    team = api.post("/api/v1/teams", {"name": "Desk"}, content_type=JSON).json()
    changed = api.patch(f"/api/v1/teams/{team['id']}", {"manager": manager.pk, "active": False}, content_type=JSON).json()
    assert (changed["manager"]["username"], changed["active"]) == ("manager", False)
    assert AuditEntry.objects.filter(object_type="accounts.team").count() == 2


# --- E-mail in ------------------------------------------------------------------------------


def test_mail_in_takes_a_raw_message_with_a_write_token(agent, eml) -> None:
    api = bearer(agent)
    created = api.post("/api/v1/service/mail", eml("plain_utf8.eml"), content_type="message/rfc822")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["outcome"] == "created" and body["reference"] == f"T-{body['ticket']:06d}"
    added = api.post("/api/v1/service/mail", eml("reply_in_reply_to.eml"), content_type="message/rfc822")
    assert (added.status_code, added.json()["outcome"], added.json()["ticket"]) == (201, "added", body["ticket"])
    again = api.post("/api/v1/service/mail", eml("duplicate.eml"), content_type="message/rfc822")
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    assert TicketMessage.objects.count() == 2
    assert AuditEntry.objects.filter(object_type="service.ticket").first().via == "api"


def test_mail_in_refuses_what_it_cannot_use(agent, viewer, eml, client_as, settings) -> None:
    assert bearer(agent, "read").post("/api/v1/service/mail", eml("plain_utf8.eml"), content_type="message/rfc822").status_code == 403
    assert bearer(viewer).post("/api/v1/service/mail", eml("plain_utf8.eml"), content_type="message/rfc822").status_code == 403
    assert Client().post("/api/v1/service/mail", eml("plain_utf8.eml"), content_type="message/rfc822").status_code == 401
    # A logged-in browser session is not enough: the endpoint is for mail servers with a token.
    assert client_as(agent).post("/api/v1/service/mail", eml("plain_utf8.eml"), content_type="message/rfc822").status_code == 401
    api = bearer(agent)
    wrong_type = api.post("/api/v1/service/mail", eml("plain_utf8.eml"), content_type="text/plain")
    assert wrong_type.status_code == 415 and errors_of(wrong_type) == {"Content-Type"}
    garbage = api.post("/api/v1/service/mail", b"\x00\x01 not mail", content_type="message/rfc822")
    assert garbage.status_code == 422 and garbage.json()["code"] == "unparseable_mail"
    settings.KLIYAN_MAIL_MAX_BYTES = 100
    too_big = api.post("/api/v1/service/mail", eml("plain_utf8.eml"), content_type="message/rfc822")
    assert too_big.status_code == 413
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("headers", [{}, {"HTTP_IDEMPOTENCY_KEY": "m-1"}])
def test_mail_in_takes_a_message_larger_than_the_json_limit(agent, eml, settings, headers) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    raw = eml("multipart_attachment.eml")
    assert len(raw) > 200
    response = bearer(agent).post("/api/v1/service/mail", raw, content_type="message/rfc822", **headers)
    assert response.status_code == 201
    assert TicketAttachment.objects.count() == 2


def test_the_openapi_document_lists_the_service_desk(client) -> None:
    paths = set(client.get("/api/v1/openapi.json").json()["paths"])
    assert {"/api/v1/tickets", "/api/v1/tickets/{ticket_id}", "/api/v1/tickets/{ticket_id}/reply",
            "/api/v1/tickets/{ticket_id}/notes", "/api/v1/tickets/{ticket_id}/attachments", "/api/v1/ticket-categories",
            "/api/v1/teams", "/api/v1/service/mail"} <= paths
