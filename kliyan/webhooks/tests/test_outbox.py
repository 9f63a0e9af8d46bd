"""The outbox: a delivery row per wanted event, written with the change, never without it."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import connection, transaction

from kliyan.contacts.services import consent_set, contact_archive, contact_create, contact_update, company_create
from kliyan.core.errors import ValidationFailed
from kliyan.core.events import emit_many
from kliyan.interactions.services import interaction_log, task_complete, task_create
from kliyan.webhooks.models import WebhookDelivery
from kliyan.webhooks.services import BULK_BATCH, endpoint_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything(admin):
    return endpoint_create(actor=admin, data={"url": "http://127.0.0.1:9/all", "all_events": True})


def events_sent() -> list[str]:
    return list(WebhookDelivery.objects.order_by("id").values_list("event", flat=True))


def test_contact_created_through_the_contacts_service_makes_a_delivery(agent, admin):
    endpoint = endpoint_create(actor=admin, data={"url": "https://erp.example.com/hook", "events": ["contact.created"]})
    contact = contact_create(actor=agent, data={
        "first_name": "Ștefan", "last_name": "Popescu", "emails": [{"email": "stefan@example.ro"}], "birthday": "1985-03-14",
    })
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint_id, delivery.event, delivery.status, delivery.attempts) == (endpoint.pk, "contact.created", "pending", 0)
    assert delivery.payload["type"] == "contact.created"
    data = delivery.payload["data"]
    assert data["id"] == contact.pk
    assert (data["display_name"], data["primary_email"], data["birthday"]) == ("Ștefan Popescu", "stefan@example.ro", "1985-03-14")


def test_a_rolled_back_change_writes_no_delivery_and_sends_nothing(agent, everything, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            contact_create(actor=agent, data={"first_name": "Ghost"})
            assert WebhookDelivery.objects.count() == 1
            raise RuntimeError("the rest of the request failed")
    assert WebhookDelivery.objects.count() == 0
    assert callbacks == []


def test_refused_input_writes_no_delivery(agent, everything):
    with pytest.raises(ValidationFailed):
        contact_create(actor=agent, data={"first_name": "", "last_name": ""})
    assert not WebhookDelivery.objects.exists()


def test_an_endpoint_gets_only_the_events_it_chose(agent, admin):
    contacts_only = endpoint_create(actor=admin, data={"url": "https://a.example.com/", "events": ["contact.created"]})
    tasks_only = endpoint_create(actor=admin, data={"url": "https://b.example.com/", "events": ["task.created"]})
    contact_create(actor=agent, data={"first_name": "Mirlande"})
    assert list(WebhookDelivery.objects.values_list("endpoint_id", "event")) == [(contacts_only.pk, "contact.created")]
    assert not WebhookDelivery.objects.filter(endpoint=tasks_only).exists()


def test_a_disabled_endpoint_gets_no_new_deliveries(agent, admin):
    endpoint_create(actor=admin, data={"url": "https://a.example.com/", "all_events": True, "active": False})
    contact_create(actor=agent, data={"first_name": "Mirlande"})
    assert not WebhookDelivery.objects.exists()


def test_contacts_companies_consent_interactions_and_tasks_announce_their_changes(agent, manager, everything):
    contact = contact_create(actor=agent, data={"first_name": "Mirlande"})
    contact_update(actor=agent, contact=contact, data={"first_name": "Mirlande"})  # no change: no event
    contact_update(actor=agent, contact=contact, data={"job_title": "Buyer"})
    contact_archive(actor=manager, contact=contact)
    company_create(actor=agent, data={"name": "Boulangerie Saint-Marc"})
    consent_set(actor=agent, contact=contact, channel="sms", status="granted", method="verbal")
    interaction_log(actor=agent, contact=contact, data={
        "channel": "whatsapp", "question": "Open Sunday?", "follow_up": {"title": "Call back", "due_date": "2030-01-02"},
    })
    task = task_create(actor=agent, data={"title": "Deliver", "due_date": "2030-01-03", "contact": contact.pk})
    task_complete(actor=agent, task=task)
    assert events_sent() == [
        "contact.created", "contact.updated", "contact.archived", "company.created", "consent.changed",
        "interaction.created", "task.created", "task.created", "task.updated", "task.completed",
    ]
    completed = WebhookDelivery.objects.get(event="task.completed").payload["data"]
    assert (completed["id"], completed["status"], completed["contact_id"]) == (task.pk, "done", contact.pk)
    consent = WebhookDelivery.objects.get(event="consent.changed").payload["data"]
    assert (consent["contact_id"], consent["channel"], consent["status"]) == (contact.pk, "sms", "granted")


def test_an_interaction_sent_twice_with_the_same_external_id_is_announced_once(agent, contact, everything):
    data = {"channel": "whatsapp", "question": "Price?", "external_id": "wamid.1"}
    interaction_log(actor=agent, contact=contact, data=data)
    interaction_log(actor=agent, contact=contact, data=data)
    assert events_sent().count("interaction.created") == 1


@pytest.mark.parametrize("count", [10, 1200])
def test_a_bulk_emit_makes_one_delivery_per_record_in_a_bounded_number_of_queries(
    count, admin, django_assert_max_num_queries, django_capture_on_commit_callbacks,
):
    first = endpoint_create(actor=admin, data={"url": "https://a.example.com/", "events": ["contact.created"]})
    second = endpoint_create(actor=admin, data={"url": "https://b.example.com/", "all_events": True})
    endpoint_create(actor=admin, data={"url": "https://c.example.com/", "events": ["task.created"]})
    payloads = [{"id": n, "at": dt.date(2026, 3, 14)} for n in range(count)]
    # One INSERT per batch; SQLite's limit on query parameters makes its batches smaller.
    fields = [f for f in WebhookDelivery._meta.concrete_fields if not f.primary_key]
    batch = min(BULK_BATCH, connection.ops.bulk_batch_size(fields, [WebhookDelivery()] * 2 * count) or BULK_BATCH)
    inserts = math.ceil(2 * count / batch)
    # + the endpoints query, + the savepoints of the test's and bulk_create's transactions.
    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(1 + inserts + 4):
        with transaction.atomic():
            emit_many("contact.created", payloads)
    assert WebhookDelivery.objects.filter(endpoint=first).count() == count
    assert WebhookDelivery.objects.filter(endpoint=second).count() == count
    assert WebhookDelivery.objects.values("message_id").distinct().count() == 2 * count
    assert WebhookDelivery.objects.filter(endpoint=first).order_by("id").first().payload["data"] == {"id": 0, "at": "2026-03-14"}
    # One callback queues them all, in a few tasks rather than one per record.
    assert len(callbacks) == 1
