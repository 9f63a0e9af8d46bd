"""The outbox against a real SMTP server: stored once, sent once, retried with back-off, rules checked at both ends."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote, urlparse

import pytest
from django.utils import timezone

from kliyan.contacts.models import ConsentEvent
from kliyan.contacts.services import consent_set
from kliyan.core.models import AuditEntry
from kliyan.core.errors import ValidationFailed
from kliyan.marketing import outbox, policy
from kliyan.marketing.choices import MessageStatus, NotSentReason, Purpose
from kliyan.marketing.models import Message, MessageTemplate, TemplateText
from kliyan.marketing.tasks import deliver_messages
from kliyan.marketing.tests.outbox_fixtures import outbox_settings, person, smtp  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_settings")]


def queue(contact, *, key: str = "t:1", purpose: str = Purpose.MARKETING, channel: str = "email", actor=None, **fields):
    fields.setdefault("subject", "Bonjou")
    fields.setdefault("body", "Nouvo pwodui yo rive!")
    return outbox.queue_message(actor=actor, contact=contact, channel=channel, purpose=purpose, idempotency_key=key, **fields)


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(send_after=timezone.now() - dt.timedelta(seconds=1))


def test_a_queued_marketing_email_leaves_at_once_with_its_fixed_message_id_and_unsubscribe_headers(
    smtp, person, agent, django_capture_on_commit_callbacks,
) -> None:
    contact = person(consents={"email": "granted"})
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(contact, actor=agent)
    assert smtp.count() == 1
    recipients, mail = smtp.messages[0]
    message.refresh_from_db()
    assert recipients == ["rose@example.ht"]
    assert (message.status, message.attempts, message.claimed_until) == (MessageStatus.SENT, 1, None)
    assert mail["Message-ID"] == outbox.message_id_header(message) == message.provider_id
    assert mail["Message-ID"].endswith("@shop.example>")
    assert mail["Subject"] == "Bonjou" and mail.get_content().strip() == "Nouvo pwodui yo rive!"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (part.strip(" <>") for part in mail["List-Unsubscribe"].split(","))
    assert https.startswith("https://crm.shop.example/m/u/")
    assert mailto.startswith("mailto:hello@shop.example?subject=unsubscribe")
    assert AuditEntry.objects.filter(object_type="marketing.message", object_id=str(message.pk), action="create").count() == 1


def test_the_one_click_post_of_the_list_unsubscribe_link_withdraws_email_consent(smtp, person, client) -> None:
    contact = person(consents={"email": "granted"})
    message = queue(contact)
    deliver_messages.enqueue()
    link = smtp.messages[0][1]["List-Unsubscribe"].split(",")[0].strip(" <>")
    path = urlparse(link).path

    # A mail scanner opening the link changes nothing; the page offers a button.
    page = client.get(path)
    assert page.status_code == 200 and b'method="post"' in page.content
    assert not ConsentEvent.objects.filter(contact=contact, method="unsubscribe").exists()

    # RFC 8058: a POST with List-Unsubscribe=One-Click, no cookie, no CSRF token.
    response = client.post(path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert client.post(path).status_code == 200  # twice is once
    events = list(ConsentEvent.objects.filter(contact=contact, channel="email", method="unsubscribe"))
    assert len(events) == 1 and events[0].status == "withdrawn" and events[0].note == f"message {message.pk}"
    assert contact.consents.get(channel="email").status == "withdrawn"
    # The next marketing e-mail is kept, not sent, and says why.
    later = queue(contact, key="t:2")
    assert (later.status, later.reason) == (MessageStatus.NOT_SENT, NotSentReason.CONSENT_WITHDRAWN)


def test_an_email_to_the_list_unsubscribe_mailto_withdraws_email_consent_and_opens_no_ticket(smtp, person) -> None:
    from email.message import EmailMessage

    from kliyan.service import mail_in
    from kliyan.service.models import Ticket

    contact = person(consents={"email": "granted"})
    queue(contact)
    deliver_messages.enqueue()
    mailto = smtp.messages[0][1]["List-Unsubscribe"].split(",")[1].strip(" <>")
    address, query = mailto.removeprefix("mailto:").split("?subject=")

    def mail_from_the_customer(subject: str, message_id: str) -> bytes:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = "rose@example.ht", address, subject, message_id
        mail.set_content("")  # mail programs send the mailto's subject and an empty body
        return mail.as_bytes()

    forged = mail_in.receive(mail_from_the_customer(unquote(query)[:-3] + "abc", "<u0@example.ht>"))
    assert forged.outcome == "created"  # not a token we signed: an ordinary mail to the service desk
    assert contact.consents.get(channel="email").status == "granted"

    receipt = mail_in.receive(mail_from_the_customer(unquote(query), "<u1@example.ht>"))
    assert (receipt.outcome, receipt.ticket) == ("unsubscribed", None)
    assert contact.consents.get(channel="email").status == "withdrawn"
    assert ConsentEvent.objects.get(contact=contact, method="unsubscribe").status == "withdrawn"
    assert Ticket.objects.count() == 1  # only the forged one's


def test_a_forged_or_altered_unsubscribe_token_is_a_404_and_changes_nothing(person, client) -> None:
    from kliyan.marketing.unsubscribe import token_for

    contact = person(consents={"email": "granted"})
    token = token_for(contact_id=contact.pk, channel="email")
    assert client.post(f"/m/u/{token[:-2]}xx/").status_code == 404
    assert client.post("/m/u/nonsense/").status_code == 404
    assert contact.consents.get(channel="email").status == "granted"


def test_a_transactional_email_has_no_unsubscribe_header_and_ignores_consent(smtp, person, agent) -> None:
    contact = person(consents={"email": "withdrawn"})
    message = queue(contact, purpose=Purpose.TRANSACTIONAL, actor=agent)
    deliver_messages.enqueue()
    mail = smtp.messages[0][1]
    assert "List-Unsubscribe" not in mail and "Auto-Submitted" not in mail  # a person wrote it
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_the_same_key_twice_stores_and_sends_once(smtp, person) -> None:
    contact = person(consents={"email": "granted"})
    first = queue(contact, key="api:1:abc")
    again = queue(contact, key="api:1:abc", body="Another text")
    assert first.pk == again.pk and Message.objects.count() == 1
    deliver_messages.enqueue()
    deliver_messages.enqueue()
    assert smtp.count() == 1


def test_bad_input_names_the_field_and_stores_nothing(person) -> None:
    contact = person(consents={"email": "granted"})
    cases = [
        ({"channel": "pigeon"}, "channel"),
        ({"purpose": "spam"}, "purpose"),
        ({"body": "   "}, "body"),
        ({"subject": ""}, "subject"),
        ({"channel": "sms", "body": "x" * 1601}, "body"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationFailed) as error:
            queue(contact, **fields)
        assert field in error.value.field_errors, fields
    assert Message.objects.count() == 0


def test_a_refusing_server_is_retried_with_back_off_then_failed(smtp, person) -> None:
    contact = person(consents={"email": "granted"})
    message = queue(contact)
    smtp.refuse_next = outbox.MAX_ATTEMPTS
    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        before = timezone.now()
        assert outbox.deliver_due() == 0
        message.refresh_from_db()
        assert message.attempts == attempt and "451" in message.error
        if attempt < outbox.MAX_ATTEMPTS:
            assert message.status == MessageStatus.QUEUED
            waits.append(message.send_after - before)
            make_due(message)
    expected = [dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2), dt.timedelta(hours=6)]
    for wait, base in zip(waits, expected, strict=True):
        assert base * 0.89 < wait < base * 1.11
    assert (message.status, message.reason) == (MessageStatus.FAILED, NotSentReason.GAVE_UP)
    assert smtp.count() == 0


def test_a_server_that_refuses_then_accepts_delivers_once(smtp, person) -> None:
    contact = person(consents={"email": "granted"})
    message = queue(contact)
    smtp.refuse_next = 1
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.send_after > timezone.now()
    assert outbox.deliver_due() == 0  # not due yet
    make_due(message)
    assert outbox.deliver_due() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == (MessageStatus.SENT, 2, "")
    assert smtp.count() == 1


def test_a_permanent_refusal_fails_at_once(smtp, person) -> None:
    contact = person(consents={"email": "granted"})
    message = queue(contact)
    smtp.refuse_next, smtp.refuse_with = 1, "550 5.1.1 No such user"
    outbox.deliver_due()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.reason) == (MessageStatus.FAILED, 1, "")
    assert message.error.startswith("550")


def test_an_unreachable_server_is_a_retry_for_the_whole_batch(person, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    messages = [queue(person(f"P{n}", email_address=f"p{n}@example.org", consents={"email": "granted"}), key=f"k{n}")
                for n in range(3)]
    assert outbox.deliver_due() == 0
    for message in messages:
        message.refresh_from_db()
        assert message.status == MessageStatus.QUEUED and message.attempts == 1 and message.error


def test_consent_withdrawn_after_queueing_stops_the_message_before_it_leaves(smtp, person, agent) -> None:
    contact = person(consents={"sms": "granted", "email": "granted"})
    message = queue(contact)
    consent_set(actor=agent, contact=contact, channel="email", status="withdrawn", method="verbal")
    outbox.deliver_due()
    message.refresh_from_db()
    assert (message.status, message.reason) == (MessageStatus.NOT_SENT, NotSentReason.CONSENT_WITHDRAWN)
    assert smtp.count() == 0 and message.attempts == 0


def test_a_claimed_message_is_not_taken_by_a_second_worker_until_the_claim_lapses(person, settings) -> None:
    contact = person(consents={"email": "granted"})
    message = queue(contact)
    assert [m.pk for m in outbox.claim_due("email", 10)] == [message.pk]
    assert outbox.claim_due("email", 10) == []
    later = timezone.now() + outbox.claim_seconds() + dt.timedelta(seconds=2)
    assert [m.pk for m in outbox.claim_due("email", 10, now=later)] == [message.pk]


def test_queue_many_stores_each_contact_once_in_a_fixed_number_of_queries(person, django_assert_max_num_queries) -> None:
    granted = [person(f"G{n}", email_address=f"g{n}@example.org", consents={"email": "granted"}) for n in range(6)]
    refused = person("N", email_address="n@example.org")
    ids = [c.pk for c in granted] + [refused.pk]
    # existing keys, the recipients' 4 reads, the organisation, the insert (+ savepoint)
    with django_assert_max_num_queries(8):
        stored = outbox.queue_many(contact_ids=ids, channel="email", purpose="marketing", subject="Promo",
                                   body="20 % off", key_for=lambda cid: f"campaign:1:{cid}")
    assert stored == 7
    assert outbox.queue_many(contact_ids=ids, channel="email", purpose="marketing", subject="Promo",
                             body="20 % off", key_for=lambda cid: f"campaign:1:{cid}") == 0
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 6
    assert Message.objects.get(contact=refused).reason == NotSentReason.NO_CONSENT


def test_the_first_sweep_after_a_bulk_store_gives_sqlite_statistics_on_messages_once(smtp, person, monkeypatch) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its statistics")
    monkeypatch.setattr(outbox, "ANALYZE_FROM_ROWS", 4)  # 5,000 in production
    monkeypatch.setattr(outbox, "_analysed_at_rows", 0)

    def statistics() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return []
            cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'marketing_message' ORDER BY idx")
            return [idx for (idx,) in cursor.fetchall()]

    ids = [person(f"G{n}", email_address=f"g{n}@example.org", consents={"email": "granted"}).pk for n in range(5)]
    outbox.queue_many(contact_ids=ids, channel="email", purpose="marketing", subject="Promo", body="20 % off",
                      key_for=lambda cid: f"campaign:1:{cid}")
    assert statistics() == []
    assert outbox.deliver_due() == 5
    assert outbox.STATUS_INDEX in statistics()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'marketing_message'")
    outbox.queue_many(contact_ids=ids[:3], channel="email", purpose="marketing", subject="Promo 2", body="20 % off",
                      key_for=lambda cid: f"campaign:2:{cid}")
    assert outbox.deliver_due() == 3
    assert statistics() == []  # the table has not doubled since: no second ANALYZE


def test_a_template_is_rendered_in_the_contacts_language_with_its_unsubscribe_link(smtp, person) -> None:
    contact = person(consents={"email": "granted"}, language="fr")
    template = MessageTemplate.objects.create(name="Promo", channel="email")
    TemplateText.objects.create(template=template, language="fr", subject="Bonjour {{ first_name }}",
                                body="Profitez-en. Se désabonner : {{ unsubscribe_url }}")
    TemplateText.objects.create(template=template, language="en", subject="Hello {{ first_name }}", body="Enjoy.")
    message = queue(contact, template=template, subject="", body="")
    assert (message.language, message.subject) == ("fr", "Bonjour Rose")
    assert "https://crm.shop.example/m/u/" in message.body
    outbox.deliver_due()
    assert smtp.messages[0][1]["Subject"] == "Bonjour Rose"


def test_quiet_hours_hold_marketing_until_morning_and_the_sweep_leaves_it(person, settings) -> None:
    contact = person(consents={"email": "granted"})
    # Quiet from an hour ago to two hours from now where the contact lives (whatever the time of the run).
    zone = policy.contact_zone(policy.recipients_for([contact.pk], channel="email", now=timezone.now(), count_queued=False)[contact.pk])
    local = timezone.now().astimezone(zone)
    settings.KLIYAN_QUIET_HOURS = f"{local - dt.timedelta(hours=1):%H:%M}-{local + dt.timedelta(hours=2):%H:%M}"
    message = queue(contact)
    assert message.status == MessageStatus.QUEUED and message.send_after > timezone.now()
    assert outbox.claim_due("email", 10) == []


def test_open_and_click_tracking_feed_the_receipts(smtp, person, client, settings) -> None:
    settings.KLIYAN_EMAIL_TRACKING = True
    contact = person(consents={"email": "granted"})
    message = queue(contact, body="See https://shop.example/promo?x=1.")
    outbox.deliver_due()
    mail = smtp.messages[0][1]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    click = next(word for word in text.split() if "/m/c/" in word).rstrip(".")
    pixel = html.split('<img src="')[1].split('"')[0]
    assert client.get(urlparse(pixel).path).status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.OPENED
    response = client.get(unquote(urlparse(click).path))
    assert response.status_code == 302 and response["Location"] == "https://shop.example/promo?x=1"
    message.refresh_from_db()
    assert message.status == MessageStatus.CLICKED
    assert client.get("/m/c/forged/").status_code == 404
