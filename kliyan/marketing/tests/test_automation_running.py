"""Running automations: each trigger finds the right contacts at a fixed time, once per occurrence, in the segment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kliyan.analytics.models import CustomerSummary, PendingCustomer
from kliyan.commerce.models import ProductCategory
from kliyan.commerce.money import organisation_timezone
from kliyan.marketing.automation_running import falls_on, message_key, preview, run_automation, run_automations
from kliyan.marketing.models import Automation, Message, Segment
from kliyan.marketing.tests.automation_fixtures import NOW, make_automation, order, product  # noqa: F401
from kliyan.marketing.tests.campaign_fixtures import email_template  # noqa: F401
from kliyan.marketing.tests.outbox_fixtures import outbox_settings, person  # noqa: F401
from kliyan.service.models import Ticket

pytestmark = pytest.mark.usefixtures("outbox_settings")
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)


def keys_of(automation: Automation) -> set[str]:
    return set(Message.objects.filter(idempotency_key__startswith=f"auto:{automation.pk}:")
               .values_list("idempotency_key", flat=True))


def customer(person: Callable, name: str, **data: Any) -> Any:
    return person(name, email_address=f"{name.lower()}@example.ht", consents={"email": "granted"}, **data)


def summary(contact: Any, *, first: dt.datetime, last: dt.datetime | None = None) -> CustomerSummary:
    return CustomerSummary.objects.create(contact=contact, order_count=1, spend=Decimal("100"), first_purchase_at=first,
                                          last_purchase_at=last or first)


def test_birthday_goes_on_the_day_in_the_contacts_own_time_zone_at_the_local_hour(
    person: Callable, make_automation: Callable,
) -> None:
    rose = customer(person, "Rose", birthday="1990-05-10")  # Haiti: 08:00 on 10 May
    kiri = customer(person, "Kiri", birthday="1985-05-11", phone="+64 9 309 1234")  # already 11 May there
    customer(person, "Jean", birthday="1991-05-11")  # Haiti: tomorrow
    customer(person, "Paul", birthday="1992-05-09")  # Haiti: yesterday
    automation = make_automation("birthday", local_hour=9)

    assert run_automation(automation, now=NOW) == 2

    assert keys_of(automation) == {message_key(automation.pk, rose.pk, "2026"), message_key(automation.pk, kiri.pk, "2026")}
    send_after = dict(Message.objects.values_list("contact_id", "send_after"))
    assert send_after[rose.pk] == dt.datetime(2026, 5, 10, 13, 0, tzinfo=dt.UTC)  # 09:00 in Port-au-Prince
    assert send_after[kiri.pk] == dt.datetime(2026, 5, 10, 21, 0, tzinfo=dt.UTC)  # 09:00 on 11 May in Auckland
    assert Message.objects.get(contact=rose).body == "Hello Rose!"


def test_running_twice_or_later_the_same_day_stores_nothing_new(person: Callable, make_automation: Callable) -> None:
    customer(person, "Rose", birthday="1990-05-10")
    automation = make_automation("birthday")
    assert run_automations(now=NOW) == 1

    assert run_automations(now=NOW) == 0
    assert run_automations(now=NOW + 6 * HOUR) == 0

    assert Message.objects.count() == 1
    automation.refresh_from_db()
    assert (automation.stored, automation.last_run_at) == (1, NOW + 6 * HOUR)


def test_a_29_february_birthday_is_kept_on_28_february_in_other_years() -> None:
    assert falls_on(2, 29, dt.date(2026, 2, 28))
    assert not falls_on(2, 29, dt.date(2028, 2, 28))
    assert falls_on(2, 29, dt.date(2028, 2, 29))
    assert not falls_on(2, 28, dt.date(2026, 3, 1))


def test_anniversary_of_the_first_purchase_skips_the_first_year_and_customers_being_recounted(
    person: Callable, make_automation: Callable,
) -> None:
    loyal, new, recounted, other = (customer(person, name) for name in ("Loyal", "New", "Recounted", "Other"))
    summary(loyal, first=dt.datetime(2024, 5, 10, 15, 0, tzinfo=dt.UTC))
    summary(new, first=dt.datetime(2026, 5, 10, 1, 0, tzinfo=dt.UTC))
    summary(recounted, first=dt.datetime(2025, 5, 10, 15, 0, tzinfo=dt.UTC))
    PendingCustomer.objects.create(contact_id=recounted.pk)
    summary(other, first=dt.datetime(2025, 3, 1, 15, 0, tzinfo=dt.UTC))
    automation = make_automation("anniversary", local_hour=10)

    run_automation(automation, now=NOW)

    assert keys_of(automation) == {message_key(automation.pk, loyal.pk, "2026")}
    assert Message.objects.get().send_after == dt.datetime(2026, 5, 10, 14, 0, tzinfo=dt.UTC)


def test_days_after_a_purchase_sends_once_per_order_that_reached_the_delay(
    person: Callable, make_automation: Callable,
) -> None:
    rose, jean = customer(person, "Rose"), customer(person, "Jean")
    first = order(rose, NOW - 3 * DAY - HOUR)
    second = order(rose, NOW - 3 * DAY - 2 * HOUR)  # two orders due: two follow-ups
    order(jean, NOW - 2 * DAY)  # not yet
    order(jean, NOW - 5 * DAY)  # reached two days ago: past the catch-up window
    order(jean, NOW - 3 * DAY - HOUR, status="cancelled")
    automation = make_automation("after_purchase", days=3)

    assert run_automation(automation, now=NOW) == 2
    assert run_automation(automation, now=NOW + HOUR) == 0

    assert keys_of(automation) == {message_key(automation.pk, rose.pk, str(first.pk)),
                                   message_key(automation.pk, rose.pk, str(second.pk))}


def test_win_back_goes_on_the_day_the_quiet_spell_is_reached(person: Callable, make_automation: Callable) -> None:
    lapsed, recent, long_gone = customer(person, "Lapsed"), customer(person, "Recent"), customer(person, "Gone")
    summary(lapsed, first=NOW - 400 * DAY, last=NOW - 30 * DAY - 2 * HOUR)
    summary(recent, first=NOW - 400 * DAY, last=NOW - 10 * DAY)
    summary(long_gone, first=NOW - 400 * DAY, last=NOW - 90 * DAY)
    automation = make_automation("win_back", days=30)

    run_automation(automation, now=NOW)

    reached = (NOW - 2 * HOUR).astimezone(organisation_timezone()).date().isoformat()
    assert keys_of(automation) == {message_key(automation.pk, lapsed.pk, reached)}


def test_interest_in_a_category_is_a_purchase_from_it_or_from_a_category_below_it(
    person: Callable, make_automation: Callable,
) -> None:
    shoes = ProductCategory.objects.create(name="Shoes")
    kids = ProductCategory.objects.create(name="Kids' shoes", parent=shoes)
    food = ProductCategory.objects.create(name="Food")
    sneaker, rice = product("Sneaker", kids), product("Rice", food)
    rose, jean = customer(person, "Rose"), customer(person, "Jean")
    shoe_order = order(rose, NOW - HOUR, products=(sneaker, rice))
    order(jean, NOW - HOUR, products=(rice,))
    automation = make_automation("category", days=0, category_id=shoes.pk)

    run_automation(automation, now=NOW)

    assert keys_of(automation) == {message_key(automation.pk, rose.pk, str(shoe_order.pk))}


def test_ticket_resolved_within_the_window_gets_one_message_per_ticket(person: Callable, make_automation: Callable) -> None:
    rose, jean, ana = customer(person, "Rose"), customer(person, "Jean"), customer(person, "Ana")
    ticket = Ticket.objects.create(contact=rose, subject="Late parcel", status="resolved", resolved_at=NOW - HOUR)
    Ticket.objects.create(contact=jean, subject="Old", status="resolved", resolved_at=NOW - 3 * DAY)
    Ticket.objects.create(contact=ana, subject="Open", status="open")
    automation = make_automation("ticket_resolved", days=0)

    run_automation(automation, now=NOW)
    run_automation(automation, now=NOW + 15 * dt.timedelta(minutes=1))

    assert keys_of(automation) == {message_key(automation.pk, rose.pk, str(ticket.pk))}


def test_a_segment_condition_narrows_who_gets_it(person: Callable, make_automation: Callable) -> None:
    rose = customer(person, "Rose", birthday="1990-05-10")
    customer(person, "Jean", birthday="1991-05-10")
    only_rose = Segment.objects.create(name="Rose", rule={"all": [{"field": "first_name", "op": "is", "value": "rose"}]})
    automation = make_automation("birthday", segment_id=only_rose.pk)

    assert preview(automation, now=NOW)[0] == 1
    run_automation(automation, now=NOW)

    assert list(Message.objects.values_list("contact_id", flat=True)) == [rose.pk]


def test_preview_counts_who_would_get_it_now_and_names_the_first_ten(person: Callable, make_automation: Callable) -> None:
    people = [customer(person, f"P{n}", birthday="1990-05-10") for n in range(12)]
    automation = make_automation("birthday")

    count, first = preview(automation, now=NOW)

    assert count == 12
    assert [c.pk for c in first] == sorted(p.pk for p in people)[:10]
    assert not Message.objects.exists()


def test_finding_and_storing_cost_the_same_queries_for_3_or_30_contacts(person: Callable, make_automation: Callable) -> None:
    automation = make_automation("birthday")
    customer(person, "Warm", birthday="1990-05-10")
    run_automation(automation, now=NOW)  # the organisation's settings are read once, then cached
    for n in range(3):
        customer(person, f"A{n}", birthday="1990-05-10")
    with CaptureQueriesContext(connection) as few:
        run_automation(automation, now=NOW)
    Message.objects.all().delete()
    for n in range(27):
        customer(person, f"B{n}", birthday="1990-05-10")
    with CaptureQueriesContext(connection) as many:
        run_automation(automation, now=NOW)

    assert Message.objects.count() == 31
    assert len(many) == len(few)
