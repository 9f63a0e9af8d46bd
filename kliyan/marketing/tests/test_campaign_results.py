"""Campaign results: counted from the outbox per variant, orders and unsubscriptions inside the attribution window only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kliyan.commerce.models import Order
from kliyan.contacts.models import ConsentEvent
from kliyan.marketing import campaign_sending
from kliyan.marketing.campaign_queries import campaign_results, campaign_with_variants, promotion_report
from kliyan.marketing.models import Message
from kliyan.marketing.tests.campaign_fixtures import email_template, everyone, make_campaign  # noqa: F401
from kliyan.marketing.tests.outbox_fixtures import outbox_settings, person  # noqa: F401

pytestmark = pytest.mark.usefixtures("outbox_settings")


def _order(contact: Any, at: dt.datetime, total: str, number: str, status: str = "paid") -> Order:
    return Order.objects.create(number=number, contact=contact, ordered_at=at, status=status, currency="HTG",
                                total=Decimal(total))


def test_results_count_orders_and_unsubscriptions_inside_the_window_only(
    make_campaign: Callable, person: Callable, django_assert_max_num_queries: Any,
) -> None:
    rose = person("Rose", consents={"email": "granted"}, language="en")
    jean = person("Jean", email_address="jean@example.ht", consents={"email": "granted"}, language="en")
    person("Marie", email_address="marie@example.ht", language="en")  # no consent: not sent
    campaign = make_campaign(schedule=True, attribution_days=7)
    campaign_sending.run_campaigns()
    sent_at = timezone.now() - dt.timedelta(days=10)
    Message.objects.filter(status="queued").update(status="opened", sent_at=sent_at, delivered_at=sent_at, opened_at=sent_at)
    _order(rose, sent_at + dt.timedelta(days=2), "100", "A1")  # inside
    _order(rose, sent_at + dt.timedelta(days=3), "50", "A2")  # inside
    _order(rose, sent_at + dt.timedelta(days=8), "999", "A3")  # after the window
    _order(jean, sent_at - dt.timedelta(days=1), "999", "B1")  # before the message
    _order(jean, sent_at + dt.timedelta(days=1), "999", "B2", status="cancelled")  # not a purchase
    ConsentEvent.objects.create(contact=jean, channel="email", status="withdrawn", method="unsubscribe",
                                at=sent_at + dt.timedelta(days=1))
    campaign = campaign_with_variants(campaign.pk)
    with django_assert_max_num_queries(4):
        results = campaign_results(campaign)
    total = results.total.as_dict()
    assert total["stored"] == 3 and total["not_sent"] == {"no_consent": 1}
    assert (total["sent"], total["delivered"], total["opened"], total["clicked"]) == (2, 2, 2, 0)
    assert (total["unsubscribed"], total["orders"], total["buyers"]) == (1, 2, 1)
    assert total["revenue"] == Decimal("150.0000") and total["conversion"] == 0.5
    report = promotion_report(since=timezone.now() - dt.timedelta(days=1), until=timezone.now() + dt.timedelta(days=1))
    assert [(row.campaign.pk, row.tally.orders, row.tally.revenue) for row in report] == [(campaign.pk, 2, Decimal("150"))]


def test_results_are_split_by_variant(make_campaign: Callable, person: Callable) -> None:
    for n in range(12):
        person(f"P{n}", email_address=f"p{n}@example.ht", consents={"email": "granted"}, language="en")
    campaign = make_campaign(schedule=True, shares=(50, 50))
    campaign_sending.run_campaigns()
    results = campaign_results(campaign_with_variants(campaign.pk))
    stored = {variant.label: tally.stored for variant, tally in results.variants}
    assert sum(stored.values()) == 12
    assert stored == {label: Message.objects.filter(variant__label=label).count() for label in ("A", "B")}
