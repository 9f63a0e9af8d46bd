"""API v1 of the outbox: write to a contact, list, read; by role; bad input named; a retried request stores once."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kliyan.accounts.services import token_create
from kliyan.marketing.message_schemas import MessageOut, MessagePage
from kliyan.marketing.models import Message
from kliyan.marketing.tests.outbox_fixtures import outbox_settings, person  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_settings")]

MESSAGES = "/api/v1/messages"
JSON = "application/json"


def bearer(user) -> Client:
    _token, raw = token_create(actor=user, user=user, name="test", scope="write")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client: Client, data: dict, key: str = "") -> object:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(MESSAGES, data=json.dumps(data), content_type=JSON, **headers)


def fields_of(response) -> set[str]:
    assert response["Content-Type"] == "application/problem+json", response.content
    return {e["field"] for e in response.json()["errors"]}


def reply(contact, **extra) -> dict:
    return {"contact_id": contact.pk, "channel": "sms", "body": "Your order is ready.", **extra}


def test_writing_needs_messages_send_and_marketing_needs_marketing_manage(users, person) -> None:
    contact = person(consents={"sms": "granted"})
    expected = {"admin": (201, 201), "manager": (201, 201), "agent": (201, 403), "viewer": (403, 403)}
    for role, user in users.items():
        client = bearer(user)
        answer = post(client, reply(contact))
        marketing = post(client, reply(contact, purpose="marketing"))
        assert (answer.status_code, marketing.status_code) == expected[role], role
    assert Message.objects.filter(purpose="transactional").count() == 3
    assert Message.objects.filter(purpose="marketing").count() == 2


def test_a_reply_is_stored_queued_and_described(agent, person) -> None:
    contact = person(consents={})
    response = post(bearer(agent), reply(contact))
    assert response.status_code == 201
    body = MessageOut.model_validate(response.json())
    assert (body.status, body.recipient, body.purpose, body.created_by.username) == ("queued", "+50937001234", "transactional", "agent")
    assert body.not_sent is None


def test_a_refused_marketing_message_is_stored_not_sent_with_its_sentence(manager, person) -> None:
    contact = person(consents={"sms": "withdrawn"})
    response = post(bearer(manager), reply(contact, purpose="marketing"))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["reason"]) == ("not_sent", "withdrawn")
    assert body["not_sent"].startswith("Not sent: SMS consent withdrawn on ")


def test_the_same_idempotency_key_stores_one_message_even_after_the_replay_record_is_gone(agent, person) -> None:
    from kliyan.core.models import IdempotencyRecord

    contact = person()
    client = bearer(agent)
    first = post(client, reply(contact), key="order-42-ready")
    again = post(client, reply(contact), key="order-42-ready")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    IdempotencyRecord.objects.all().delete()
    late = post(client, reply(contact), key="order-42-ready")
    assert late.status_code == 200 and late.json()["id"] == first.json()["id"]
    assert Message.objects.get().idempotency_key == f"api:{agent.pk}:order-42-ready"


def test_bad_input_is_named_and_stores_nothing(agent, person) -> None:
    contact = person()
    client = bearer(agent)
    assert fields_of(post(client, reply(contact, channel="fax"))) == {"channel"}
    assert fields_of(post(client, reply(contact, body=""))) == {"body"}
    assert fields_of(post(client, {"contact_id": 999999, "channel": "sms", "body": "x"})) == {"contact_id"}
    assert fields_of(post(client, reply(contact, body="", template_id=999999))) == {"template_id"}
    assert fields_of(post(client, reply(contact, channel="email", body="Hi"))) == {"subject"}
    assert "colour" in str(post(client, reply(contact, colour="red")).content)
    assert Message.objects.count() == 0


def test_the_list_filters_and_pages(manager, person) -> None:
    contact = person(consents={"sms": "granted"})
    client = bearer(manager)
    for n in range(3):
        post(client, reply(contact, body=f"Reply {n}"))
    post(client, reply(contact, channel="email", subject="Hi", body="Mail"))
    page = client.get(MESSAGES, {"channel": "sms", "limit": 2}).json()
    MessagePage.model_validate(page)
    assert [m["body"] for m in page["items"]] == ["Reply 2", "Reply 1"]
    rest = client.get(MESSAGES, {"channel": "sms", "limit": 2, "cursor": page["next_cursor"]}).json()
    assert [m["body"] for m in rest["items"]] == ["Reply 0"] and rest["next_cursor"] is None
    assert fields_of(client.get(MESSAGES, {"status": "lost"})) == {"status"}
    assert len(client.get(MESSAGES, {"contact": contact.pk}).json()["items"]) == 4


def test_list_and_detail_by_role(users, manager, person) -> None:
    contact = person()
    message_id = post(bearer(manager), reply(contact)).json()["id"]
    for role, user in users.items():
        client = bearer(user)
        allowed = role != "viewer"
        assert client.get(MESSAGES).status_code == (200 if allowed else 403), role
        assert client.get(f"{MESSAGES}/{message_id}").status_code == (200 if allowed else 403), role
    assert bearer(manager).get(f"{MESSAGES}/987654").status_code == 404


@pytest.mark.parametrize("count", [1, 12])
def test_the_list_costs_the_same_queries_however_many_messages(count, manager, person, django_assert_num_queries) -> None:
    contact = person()
    for n in range(count):
        Message.objects.create(contact=contact, channel="sms", language="ht", body=f"m{n}", send_after=contact.created_at,
                               idempotency_key=f"t:{n}", created_by=manager)
    client = bearer(manager)
    client.get(MESSAGES)  # the token's first use is noted once
    # the token with its user, the page
    with django_assert_num_queries(2):
        assert len(client.get(MESSAGES).json()["items"]) == count
