"""Outbox pages: the list, one message, writing from the contact page, the timeline; by role; pinned query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kliyan.core.registry import contact_timeline
from kliyan.marketing.choices import MessageStatus, NotSentReason
from kliyan.marketing.models import Message
from kliyan.marketing.tests.outbox_fixtures import outbox_settings, person  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_settings")]
LIST = reverse("marketing:message_list")


def stored(contact, n: int = 0, **fields) -> Message:
    values = {"channel": "sms", "language": "ht", "body": f"Bonjou {n}", "send_after": timezone.now(),
              "idempotency_key": f"t:{contact.pk}:{n}", **fields}
    return Message.objects.create(contact=contact, **values)


def test_the_outbox_pages_need_messages_send(users, person, client_as, client) -> None:
    message = stored(person())
    detail = reverse("marketing:message_detail", args=[message.pk])
    expected = {"admin": 200, "manager": 200, "agent": 200, "viewer": 403}
    for role, user in users.items():
        browser = client_as(user)
        assert browser.get(LIST).status_code == expected[role], role
        assert browser.get(detail).status_code == expected[role], role
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_the_list_filters_by_status_and_channel_and_shows_why_not_sent(manager, person, client_as) -> None:
    contact = person()
    stored(contact, 1, body="Left already", status=MessageStatus.SENT)
    stored(contact, 2, body="Kept back", status=MessageStatus.NOT_SENT, reason=NotSentReason.CONSENT_WITHDRAWN,
           reason_at=dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))
    stored(contact, 3, body="A mail", channel="email", subject="Mail subject")
    page = client_as(manager).get(LIST, {"status": "not_sent"}).content.decode()
    assert "Kept back" in page and "Left already" not in page
    assert "Not sent: SMS consent withdrawn on 2026-03-02" in page
    page = client_as(manager).get(LIST, {"channel": "email"}).content.decode()
    assert "Mail subject" in page and "Kept back" not in page
    response = client_as(manager).get(LIST, {"status": "lost"})
    assert response.status_code == 422 and 'class="field__error"' in response.content.decode()


def test_the_list_pages_with_a_cursor(manager, person, client_as, settings) -> None:
    from kliyan.marketing import message_views

    contact = person()
    for n in range(3):
        stored(contact, n)
    original, message_views.PAGE_SIZE = message_views.PAGE_SIZE, 2
    try:
        first = client_as(manager).get(LIST)
        assert "Bonjou 2" in first.content.decode() and "Bonjou 0" not in first.content.decode()
        cursor = first.context["page"].next_cursor
        second = client_as(manager).get(LIST, {"cursor": cursor}).content.decode()
        assert "Bonjou 0" in second and "Bonjou 2" not in second
    finally:
        message_views.PAGE_SIZE = original


@pytest.mark.parametrize("count", [1, 15])
def test_the_list_costs_the_same_queries_however_many_messages(count, manager, agent, person, client_as,
                                                               django_assert_num_queries) -> None:
    for n in range(count):
        stored(person(f"P{n}", email_address=f"p{n}@example.org"), n, created_by=agent)
    browser = client_as(manager)
    browser.get(LIST)
    # session, user, the page of messages with their contacts and senders
    with django_assert_num_queries(3):
        assert browser.get(LIST).status_code == 200


def test_the_detail_shows_text_history_and_reason(manager, person, client_as, django_assert_num_queries) -> None:
    message = stored(person(), status=MessageStatus.FAILED, reason=NotSentReason.GAVE_UP, reason_at=timezone.now(),
                     error="451 Try again later", attempts=6, body="Your order is ready")
    browser = client_as(manager)
    browser.get(LIST)
    # session, user, the message with its contact, sender and template
    with django_assert_num_queries(3):
        page = browser.get(reverse("marketing:message_detail", args=[message.pk])).content.decode()
    assert "Your order is ready" in page and "451 Try again later" in page
    assert "Not sent: the provider refused it too many times" in page
    assert browser.get(reverse("marketing:message_detail", args=[987654])).status_code == 404


def test_an_agent_writes_to_a_contact_from_the_contact_page_as_a_reply(agent, person, client_as,
                                                                      django_capture_on_commit_callbacks) -> None:
    contact = person(consents={"sms": "withdrawn"})  # a reply needs no consent
    browser = client_as(agent)
    page = browser.get(contact.get_absolute_url()).content.decode()
    assert 'id="messages"' in page and "Write to this contact" in page
    url = reverse("marketing:message_write", args=[contact.pk])
    data = {"channel": "sms", "body": "Your parcel is at the shop.", "key": "form-1"}
    response = browser.post(url, data)
    assert response.status_code == 302 and response["Location"].endswith("#messages")
    assert browser.post(url, data).status_code == 302  # a double tap stores once
    message = Message.objects.get()
    assert (message.purpose, message.status, message.created_by, message.recipient) == (
        "transactional", MessageStatus.QUEUED, agent, "+50937001234",
    )
    page = browser.get(contact.get_absolute_url()).content.decode()
    assert "Your parcel is at the shop." in page


def test_writing_with_bad_input_shows_the_error_and_stores_nothing(agent, person, client_as) -> None:
    contact = person()
    browser = client_as(agent)
    url = reverse("marketing:message_write", args=[contact.pk])
    response = browser.post(url, {"channel": "email", "body": "Hello", "key": "k"})
    assert response.status_code == 422 and "An e-mail needs a subject." in response.content.decode()
    response = browser.post(url, {"channel": "whatsapp-business", "body": "Hello", "key": "k"})
    assert response.status_code == 422
    assert Message.objects.count() == 0


def test_viewers_neither_see_the_panel_nor_may_write(viewer, person, client_as) -> None:
    contact = person()
    stored(contact, body="Secret offer")
    browser = client_as(viewer)
    page = browser.get(contact.get_absolute_url()).content.decode()
    assert 'id="messages"' not in page and "Write to this contact" not in page
    url = reverse("marketing:message_write", args=[contact.pk])
    assert browser.post(url, {"channel": "sms", "body": "x", "key": "k"}).status_code == 403
    assert Message.objects.count() == 1


def test_outbound_messages_are_on_the_contacts_timeline(person) -> None:
    contact = person()
    stored(contact, 1, channel="email", subject="Your invoice", body="Attached.", status=MessageStatus.SENT)
    stored(contact, 2, body="Promo", status=MessageStatus.NOT_SENT, reason=NotSentReason.NO_CONSENT, reason_at=timezone.now())
    entries = [e for e in contact_timeline(contact.pk, kinds=["message"])]
    assert [e.title for e in entries] == ["SMS message", "E-mail: Your invoice"]
    assert entries[0].body.startswith("Not sent: no SMS consent") and entries[0].data["status"] == "not_sent"
    assert entries[1].url == reverse("marketing:message_detail", args=[entries[1].id])
