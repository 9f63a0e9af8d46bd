"""Storing a campaign's messages: once per contact across an interruption, variants by share, cancelling."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from kliyan.contacts.models import Contact
from kliyan.marketing import campaign_sending
from kliyan.marketing.campaign_services import campaign_cancel
from kliyan.marketing.models import Campaign, Message
from kliyan.marketing.tests.campaign_fixtures import email_template, everyone, make_campaign  # noqa: F401
from kliyan.marketing.tests.outbox_fixtures import outbox_settings, person  # noqa: F401

pytestmark = pytest.mark.usefixtures("outbox_settings")


class Interrupted(Exception):
    pass


def _contacts(count: int) -> list[int]:
    Contact.objects.bulk_create([
        Contact(first_name=f"P{n}", display_name=f"P{n}", primary_email=f"p{n}@example.org", language="en")
        for n in range(count)
    ])
    return list(Contact.objects.order_by("pk").values_list("pk", flat=True))


def test_an_interrupted_expansion_resumes_at_its_cursor_and_stores_each_message_once(make_campaign: Callable) -> None:
    ids = _contacts(25)
    campaign = make_campaign(schedule=True)
    assert campaign_sending.start_due() == [campaign.pk]
    chunks = []

    def crash_after_second(c: Campaign) -> None:
        chunks.append(c.cursor)
        if len(chunks) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        campaign_sending.expand(campaign.pk, chunk=10, after_chunk=crash_after_second)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.cursor, campaign.queued) == ("sending", ids[19], 20)
    assert Message.objects.filter(campaign=campaign).count() == 20
    # The crashed worker's claim lapses; the next run resumes after contact 20.
    Campaign.objects.filter(pk=campaign.pk).update(claimed_until=None)
    assert campaign_sending.run_campaigns() == 5
    campaign.refresh_from_db()
    assert (campaign.status, campaign.queued, campaign.cursor) == ("sent", 25, ids[-1])
    per_contact = Counter(Message.objects.filter(campaign=campaign).values_list("contact_id", flat=True))
    assert sorted(per_contact) == ids and set(per_contact.values()) == {1}
    assert campaign_sending.run_campaigns() == 0


def test_a_campaign_held_by_a_live_worker_is_left_to_it(make_campaign: Callable) -> None:
    _contacts(3)
    campaign = make_campaign(schedule=True)
    campaign_sending.start_due()
    assert campaign_sending._claim(campaign.pk, timezone.now()) is not None
    assert campaign_sending.run_campaigns() == 0
    assert not Message.objects.exists()


def test_messages_are_rendered_with_the_coupon_and_tagged_with_campaign_and_variant(make_campaign: Callable) -> None:
    _contacts(1)
    campaign = make_campaign(schedule=True)
    campaign_sending.run_campaigns()
    message = Message.objects.get()
    assert message.body == "Hello P0, use SPRING20."
    assert (message.campaign_id, message.variant_id) == (campaign.pk, campaign.variants.get().pk)
    assert message.idempotency_key == f"campaign:{campaign.pk}:{message.contact_id}"


def test_variants_split_contacts_by_share_and_the_same_way_every_time(make_campaign: Callable) -> None:
    campaign = make_campaign(shares=(30, 70))
    variants = list(campaign.variants.order_by("label"))
    ids = list(range(1, 2001))
    first = campaign_sending.assign(campaign.pk, ids, variants)
    assert first == campaign_sending.assign(campaign.pk, list(reversed(ids))[::-1], variants)
    share_a = len(first[variants[0].pk]) / len(ids)
    assert 0.27 < share_a < 0.33
    assert sorted(first[variants[0].pk] + first[variants[1].pk]) == ids


def test_a_scheduled_campaign_waits_for_its_time(make_campaign: Callable) -> None:
    import datetime as dt


    _contacts(2)
    make_campaign(schedule=True, scheduled_at=timezone.now() + dt.timedelta(hours=1))
    assert campaign_sending.run_campaigns() == 0
    assert Campaign.objects.get().status == "scheduled"


def test_cancelling_withdraws_the_queued_messages_and_stops_the_expansion(make_campaign: Callable, manager: Any,
                                                                           person: Callable) -> None:
    person("Rose", consents={"email": "granted"}, language="en")
    person("Jean", email_address="jean@example.ht", phone=None, language="en")  # no consent
    campaign = make_campaign(schedule=True)
    campaign_sending.run_campaigns()
    assert dict(Message.objects.values_list("status", "reason")) == {"queued": "", "not_sent": "no_consent"}
    assert campaign_cancel(actor=manager, campaign=campaign) == 1
    assert sorted(Message.objects.values_list("reason", flat=True)) == ["cancelled", "no_consent"]
    campaign.refresh_from_db()
    assert campaign.status == "cancelled"
