"""Deliveries travel over real HTTP, signed per Standard Webhooks, retried with back-off, replayable."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry
from kliyan.webhooks import sending, services, tasks
from kliyan.webhooks.choices import DeliveryStatus
from kliyan.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def create_contact(actor, name: str = "Mirlande"):
    return contact_create(actor=actor, data={"first_name": name, "last_name": "Joseph"})


def independent_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The spec's algorithm, written out again here so the test does not trust our signer."""
    key = base64.b64decode(secret.split("_", 1)[1])
    digest = hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_a_change_is_posted_with_standard_webhooks_headers_and_a_valid_signature(
    admin, agent, endpoint, receiver, django_capture_on_commit_callbacks,
):
    before = int(time.time())
    with django_capture_on_commit_callbacks(execute=True):
        contact = create_contact(agent)
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    delivery = WebhookDelivery.objects.get()
    assert got.path == "/hooks/kliyan"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["webhook-id"] == delivery.message_id and delivery.message_id.startswith("msg_")
    assert "." not in delivery.message_id
    timestamp = got.headers["webhook-timestamp"]
    assert timestamp.isdigit() and before <= int(timestamp) <= int(time.time())
    assert got.headers["webhook-signature"] == independent_signature(endpoint.secret, delivery.message_id, timestamp, got.body)
    # The reference library accepts it too (it checks the timestamp is recent as well).
    body = Webhook(endpoint.secret).verify(got.body, got.header_dict())
    assert body["type"] == "contact.created"
    assert body["data"]["id"] == contact.pk and body["data"]["display_name"] == "Mirlande Joseph"
    assert body["timestamp"].endswith("Z")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert delivery.last_response_body == '{"ok":true}'


def test_a_tampered_body_fails_verification(agent, endpoint, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    got = receiver.requests[0]
    with pytest.raises(Exception, match="signature"):
        Webhook(endpoint.secret).verify(got.body.replace(b"Mirlande", b"Mallory"), got.header_dict())


def test_a_failing_receiver_is_retried_after_the_back_off_then_succeeds(
    agent, endpoint, receiver, django_capture_on_commit_callbacks,
):
    receiver.script = [500]
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    delivery = WebhookDelivery.objects.get()
    first_try = timezone.now()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 1, 500)
    assert delivery.last_response_body == "error 500" and delivery.last_error == "HTTP 500"
    wait = delivery.next_attempt_at - first_try
    assert dt.timedelta(seconds=4) < wait <= dt.timedelta(seconds=5.5)

    # Not due yet: the sweep finds nothing and a direct attempt is refused.
    assert sending.due_delivery_ids(now=first_try) == []
    assert sending.deliver([delivery.pk], now=first_try) == 0
    assert len(receiver.requests) == 1

    due = delivery.next_attempt_at
    assert sending.due_delivery_ids(now=due) == [delivery.pk]
    assert sending.deliver([delivery.pk], now=due) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 2, 200)
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {delivery.message_id}
    for got in receiver.requests:
        assert got.headers["webhook-signature"] == independent_signature(
            endpoint.secret, delivery.message_id, got.headers["webhook-timestamp"], got.body,
        )


def test_the_periodic_sweep_sends_deliveries_whose_time_has_come(agent, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.script = [503]
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    delivery = WebhookDelivery.objects.get()
    assert tasks.retry_due_deliveries.call() == 0
    # Time passes: the retry falls due.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.retry_due_deliveries.call() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == (DeliveryStatus.SUCCEEDED, 2, 2)


def test_the_sweep_is_on_the_schedule_every_minute():
    from kliyan.core.schedule import SCHEDULE

    job = next(j for j in SCHEDULE if j.task_path == "kliyan.webhooks.tasks.retry_due_deliveries")
    assert job.cron == "* * * * *"


def test_a_delivery_is_dead_after_the_last_attempt_and_the_waits_grow(agent, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.default = 500
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    delivery = WebhookDelivery.objects.get()
    waits = []
    while delivery.status == DeliveryStatus.FAILED:
        waits.append(delivery.next_attempt_at - delivery.last_attempt_at)
        sending.deliver([delivery.pk], now=delivery.next_attempt_at)
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts == sending.MAX_ATTEMPTS == 8
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 8
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.message_id}
    for wait, base in zip(waits, sending.RETRY_DELAYS, strict=True):
        assert base * 0.9 - dt.timedelta(seconds=1) <= wait <= base * 1.1 + dt.timedelta(seconds=1)
    # Dead means dead: the sweep leaves it alone.
    assert sending.due_delivery_ids(now=timezone.now() + dt.timedelta(days=30)) == []


def test_replay_sends_again_with_the_same_webhook_id(admin, agent, endpoint, receiver, client_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(admin).post(f"/webhooks/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 302
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert first.body == second.body
    Webhook(endpoint.secret).verify(second.body, second.header_dict())
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    assert AuditEntry.objects.filter(object_type="webhooks.webhookdelivery", object_id=str(delivery.pk)).count() == 1


def test_a_dead_delivery_can_be_replayed_once_the_receiver_is_fixed(admin, agent, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.default = 500
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    WebhookDelivery.objects.update(status=DeliveryStatus.DEAD, attempts=8, next_attempt_at=None)
    receiver.default = 200
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_replay(actor=admin, delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == (DeliveryStatus.SUCCEEDED, 9, 2)


def test_a_delivery_being_sent_is_claimed_by_one_sender_only(agent, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.default = 500
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    delivery = WebhookDelivery.objects.get()
    now = delivery.next_attempt_at
    assert sending.claim(delivery.pk, now) is True
    assert sending.claim(delivery.pk, now) is False
    assert sending.due_delivery_ids(now=now) == []
    # A sender that died: its claim lapses and the delivery is due again, same id.
    later = now + dt.timedelta(seconds=sending.CLAIM_SECONDS + 1)
    assert sending.due_delivery_ids(now=later) == [delivery.pk]


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(agent, endpoint, receiver, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(sending, "TIMEOUT_SECONDS", 0.3)
    receiver.delay = 1.5
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.FAILED, None)
    assert "timed out" in delivery.last_error.lower()


def test_a_closed_port_is_a_failure_with_the_reason(admin, agent, django_capture_on_commit_callbacks):
    services.endpoint_create(actor=admin, data={"url": "http://127.0.0.1:9/nothing-listens", "all_events": True})
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == (DeliveryStatus.FAILED, None, 1)
    assert "refused" in delivery.last_error.lower()


def test_a_redirect_is_not_followed_and_counts_as_a_failure(agent, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.script = [302]
    receiver.location = receiver.url + "/elsewhere"
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code, len(receiver.requests)) == (DeliveryStatus.FAILED, 302, 1)


def test_410_gone_disables_the_endpoint_and_says_so_in_the_audit_log(agent, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.script = [410]
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    endpoint.refresh_from_db()
    assert endpoint.active is False
    entry = AuditEntry.objects.filter(object_type="webhooks.webhookendpoint", object_id=str(endpoint.pk)).latest("id")
    assert entry.actor is None and entry.after == {"active": False, "reason": "410 Gone"}
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent, "Jean")
    assert WebhookDelivery.objects.count() == 1 and len(receiver.requests) == 1


def test_a_disabled_endpoint_gets_nothing_until_enabled_again(admin, agent, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.script = [500]
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    services.endpoint_set_active(actor=admin, endpoint=endpoint, active=False)
    delivery = WebhookDelivery.objects.get()
    assert sending.deliver([delivery.pk], now=delivery.next_attempt_at) == 0
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent, "Jean")
    assert WebhookDelivery.objects.count() == 1 and len(receiver.requests) == 1
    # Enabled again: what was waiting goes out.
    services.endpoint_set_active(actor=admin, endpoint=WebhookEndpoint.objects.get(), active=True)
    assert sending.deliver(sending.due_delivery_ids(now=delivery.next_attempt_at), now=delivery.next_attempt_at) == 1


def test_after_a_rotation_both_secrets_sign_for_a_day(admin, agent, endpoint, receiver, django_capture_on_commit_callbacks):
    old_secret = endpoint.secret
    rotated = services.endpoint_rotate_secret(actor=admin, endpoint=endpoint)
    assert rotated.secret != old_secret and rotated.secret.startswith("whsec_")
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
    got = receiver.requests[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old_secret).verify(got.body, got.header_dict())
    Webhook(rotated.secret).verify(got.body, got.header_dict())
    # A day later only the new secret signs.
    delivery = WebhookDelivery.objects.get()
    later = timezone.now() + services.ROTATION_OVERLAP + dt.timedelta(minutes=1)
    headers = sending.headers_for(WebhookDelivery.objects.select_related("endpoint").get(pk=delivery.pk), got.body, later)
    assert len(headers["webhook-signature"].split(" ")) == 1


def test_send_test_event_reaches_an_endpoint_that_chose_other_events(admin, endpoint, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_test(actor=admin, endpoint=endpoint)
    body = Webhook(endpoint.secret).verify(receiver.requests[0].body, receiver.requests[0].header_dict())
    assert body["type"] == "webhook.test" and body["data"]["id"] == endpoint.pk


def test_successes_older_than_thirty_days_are_forgotten_failures_are_kept(agent, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.script = [200, 500]
    with django_capture_on_commit_callbacks(execute=True):
        create_contact(agent)
        create_contact(agent, "Jean")
    succeeded, failed = WebhookDelivery.objects.order_by("id")
    assert (succeeded.status, failed.status) == (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)
    WebhookDelivery.objects.update(created_at=timezone.now() - dt.timedelta(days=40))
    assert sending.prune_delivered(now=timezone.now() + dt.timedelta(days=29)) == 0
    assert sending.prune_delivered(now=timezone.now() + dt.timedelta(days=31)) == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [failed.pk]
