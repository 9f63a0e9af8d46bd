"""Provider receipts move a message forward only, whatever order and however often they come."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kliyan.contacts.models import Contact
from kliyan.marketing.choices import MessageStatus
from kliyan.marketing.models import Message, PendingReceipt
from kliyan.marketing.receipts import apply_pending, record_message_status, record_status

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def sent_sms(provider_id: str = "SM1", status: str = MessageStatus.SENT) -> Message:
    contact = Contact.objects.create(first_name="Rose", display_name="Rose")
    return Message.objects.create(
        contact=contact, channel="sms", language="ht", recipient="+50937001234", body="Bonjou", status=status,
        provider_id=provider_id, send_after=T0, sent_at=T0, idempotency_key=f"test:{provider_id}",
    )


def test_a_read_receipt_before_its_delivery_receipt_counts_both_and_the_late_one_changes_nothing() -> None:
    message = sent_sms()
    record_status(channel="sms", provider_id="SM1", status=MessageStatus.OPENED, at=T0 + dt.timedelta(minutes=2))
    record_status(channel="sms", provider_id="SM1", status=MessageStatus.DELIVERED, at=T0 + dt.timedelta(minutes=5))

    message.refresh_from_db()
    assert message.status == MessageStatus.OPENED
    assert message.delivered_at == message.opened_at == T0 + dt.timedelta(minutes=2)


def test_a_failure_after_delivery_is_ignored_but_a_failure_of_a_sent_message_is_kept_with_its_error() -> None:
    delivered, sent = sent_sms("SM1", MessageStatus.DELIVERED), sent_sms("SM2")
    record_status(channel="sms", provider_id="SM1", status=MessageStatus.FAILED, error="30003")
    record_status(channel="sms", provider_id="SM2", status=MessageStatus.FAILED, error="30006 landline")

    delivered.refresh_from_db(), sent.refresh_from_db()
    assert delivered.status == MessageStatus.DELIVERED
    assert (sent.status, sent.error) == (MessageStatus.FAILED, "30006 landline")


def test_a_receipt_for_an_unknown_id_or_another_channel_finds_nothing() -> None:
    sent_sms()
    assert record_status(channel="whatsapp", provider_id="SM1", status=MessageStatus.DELIVERED) is None
    assert record_status(channel="sms", provider_id="nope", status=MessageStatus.DELIVERED) is None
    assert record_status(channel="sms", provider_id="", status=MessageStatus.DELIVERED) is None
    # The two with an id wait for a message that may get it; the one without is dropped.
    assert sorted(PendingReceipt.objects.values_list("channel", "provider_id")) == [("sms", "nope"), ("whatsapp", "SM1")]


def test_a_receipt_that_comes_before_the_id_is_written_waits_for_it_and_old_ones_are_dropped() -> None:
    message = sent_sms(provider_id="")
    stale = PendingReceipt.objects.create(channel="sms", provider_id="SM0", status=MessageStatus.DELIVERED, at=T0)
    PendingReceipt.objects.filter(pk=stale.pk).update(received_at=timezone.now() - dt.timedelta(days=8))
    record_status(channel="sms", provider_id="SM9", status=MessageStatus.DELIVERED, at=T0 + dt.timedelta(seconds=1))
    assert list(PendingReceipt.objects.values_list("provider_id", flat=True)) == ["SM9"]  # the week-old one is gone

    # The worker writes the id it was answered with, then looks for waiting receipts.
    Message.objects.filter(pk=message.pk).update(provider_id="SM9")
    assert apply_pending("sms", "SM9").status == MessageStatus.DELIVERED
    message.refresh_from_db()
    assert (message.status, message.delivered_at) == (MessageStatus.DELIVERED, T0 + dt.timedelta(seconds=1))
    assert not PendingReceipt.objects.exists()
    assert apply_pending("sms", "SM9") is None  # nothing waits any more


def test_a_click_we_tracked_ourselves_implies_delivered_and_opened() -> None:
    message = sent_sms()
    now = timezone.now()
    record_message_status(message.pk, MessageStatus.CLICKED, at=now)
    record_message_status(message.pk, MessageStatus.CLICKED, at=now + dt.timedelta(hours=1))

    message.refresh_from_db()
    assert message.status == MessageStatus.CLICKED
    assert message.delivered_at == message.opened_at == message.clicked_at == now
