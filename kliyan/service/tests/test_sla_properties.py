"""Properties of SLA due times at the ticket level (the calendar arithmetic itself is in test_business_hours).

* Pausing (waiting on the customer) never makes a ticket due earlier, nor its warning.
* Due times follow the ticket's priority and category through any sequence of changes: after
  each change they are what the most specific policy gives, counted from the opening.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kliyan.service import business_hours as bh
from kliyan.service import categories, services, sla
from kliyan.service.choices import TicketStatus
from kliyan.service.models import SLAPolicy, Ticket
from kliyan.service.tests.sla_helpers import ALWAYS, DAYS, OFFICE, make_policy

NIGHT_SHIFT = {
    "time_zone": "America/New_York",
    "weekly_hours": {day: [["00:00", "06:00"], ["22:00", "24:00"]] for day in DAYS},
    "holidays": ["2026-03-08", "2026-11-01"],  # the days clocks change there
}
CALENDARS = [ALWAYS, OFFICE, NIGHT_SHIFT, {**OFFICE, "time_zone": "Pacific/Chatham", "holidays": ["2026-04-06", "2026-12-25"]}]
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

moments = st.integers(min_value=0, max_value=300 * 24 * 60).map(lambda minutes: START + dt.timedelta(minutes=minutes))
budgets = st.integers(min_value=1, max_value=10 * 24 * 60).map(lambda minutes: dt.timedelta(minutes=minutes))
spans = st.lists(
    st.tuples(st.integers(min_value=0, max_value=20 * 24 * 60), st.integers(min_value=1, max_value=5 * 24 * 60)),
    min_size=1, max_size=5,
)


def _policy(calendar: dict[str, Any], first: dt.timedelta, resolution: dt.timedelta, warn: int | None) -> SLAPolicy:
    return SLAPolicy(pk=1, name="P", is_default=True, calendar=calendar, first_response_within=first,
                     resolution_within=resolution, warn_at_percent=warn, active=True)


def _history(opened: dt.datetime, waits: list[tuple[int, int]], *, open_ended: bool) -> list[sla.StatusChange]:
    """Status changes: open → waiting → open … at minute offsets after the opening (overlaps merged away)."""
    changes: list[sla.StatusChange] = []
    cursor = opened
    for gap, length in waits:
        begin = cursor + dt.timedelta(minutes=gap)
        end = begin + dt.timedelta(minutes=length)
        changes.append((begin, TicketStatus.OPEN, TicketStatus.WAITING))
        changes.append((end, TicketStatus.WAITING, TicketStatus.OPEN))
        cursor = end
    if open_ended and changes:
        changes.pop()
    return changes


def _later_or_same(paused: dt.datetime | None, plain: dt.datetime | None) -> bool:
    # None means "not due while paused": later than any moment.
    return paused is None or (plain is not None and paused >= plain)


@settings(max_examples=150, deadline=None)
@given(calendar=st.sampled_from(CALENDARS), opened=moments, first=budgets, resolution=budgets,
       warn=st.one_of(st.none(), st.integers(min_value=1, max_value=99)), waits=spans, keep=st.integers(min_value=0, max_value=5),
       open_ended=st.booleans())
def test_pausing_never_makes_a_ticket_due_earlier(calendar, opened, first, resolution, warn, waits, keep, open_ended) -> None:
    policy = _policy(calendar, first, resolution, warn)
    ticket = Ticket(created_at=opened, status=TicketStatus.WAITING if open_ended else TicketStatus.OPEN, sla_policy_id=1)
    with_pauses = sla.compute(ticket, policy, _history(opened, waits, open_ended=open_ended))
    fewer_pauses = sla.compute(ticket, policy, _history(opened, waits[:keep], open_ended=open_ended and keep >= len(waits)))
    no_pauses = sla.compute(ticket, policy, [])
    for name in ("first_response_due", "resolution_due", "first_response_warn_at", "resolution_warn_at"):
        assert _later_or_same(with_pauses[name], fewer_pauses[name]), name
        assert _later_or_same(fewer_pauses[name], no_pauses[name]), name
    calendar_obj = bh.BusinessCalendar.from_dict(calendar)
    assert no_pauses["first_response_due"] == bh.add_business_time(calendar_obj, opened, first)


# --- Due times follow priority and category changes (through the services, in the database) ----------


@pytest.fixture
def policies(manager):
    """Default (24/7), Urgent, High, Delivery (office hours), Urgent delivery, Late (a subcategory of Delivery; night shift)."""
    delivery = categories.category_create(actor=manager, data={"name": "Delivery"})
    late = categories.category_create(actor=manager, data={"name": "Late", "parent": delivery.pk})
    billing = categories.category_create(actor=manager, data={"name": "Billing"})
    made = {
        "default": make_policy(manager, name="default", first_response_minutes=240, resolution_minutes=2880),
        "urgent": make_policy(manager, name="urgent", priority="urgent", first_response_minutes=15, resolution_minutes=240),
        "high": make_policy(manager, name="high", priority="high", first_response_minutes=60, resolution_minutes=600),
        "delivery": make_policy(manager, name="delivery", category=delivery.pk, first_response_minutes=120,
                                resolution_minutes=960, calendar=OFFICE),
        "urgent delivery": make_policy(manager, name="urgent delivery", category=delivery.pk, priority="urgent",
                                       first_response_minutes=30, resolution_minutes=480, calendar=OFFICE),
        "late": make_policy(manager, name="late", category=late.pk, first_response_minutes=45, resolution_minutes=720,
                            calendar=NIGHT_SHIFT),
    }
    return {"policies": made, "categories": {"delivery": delivery.pk, "late": late.pk, "billing": billing.pk, "none": None}}


def expected_policy(priority: str, category: str) -> str:
    """The oracle, written out by hand for the fixed set of policies above."""
    if category == "late":
        return "late"
    if category == "delivery":
        return "urgent delivery" if priority == "urgent" else "delivery"
    if priority in ("urgent", "high"):
        return priority
    return "default"


changes = st.lists(
    st.tuples(st.sampled_from(["low", "normal", "high", "urgent"]), st.sampled_from(["delivery", "late", "billing", "none"]),
              st.sampled_from(["priority", "category", "both"])),
    min_size=1, max_size=4,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.tuples(st.sampled_from(["low", "normal", "high", "urgent"]), st.sampled_from(["delivery", "late", "billing", "none"])),
       steps=changes)
def test_due_times_follow_priority_and_category_changes(policies, agent, contact, first, steps) -> None:
    priority, category = first
    ticket = services.ticket_create(actor=agent, data={
        "contact": contact.pk, "subject": "Property", "priority": priority, "category": policies["categories"][category],
    })
    for new_priority, new_category, what in [(priority, category, "both"), *steps]:
        data: dict[str, Any] = {}
        if what in ("priority", "both"):
            data["priority"] = new_priority
            priority = new_priority
        if what in ("category", "both"):
            data["category"] = policies["categories"][new_category]
            category = new_category
        services.ticket_update(actor=agent, ticket=ticket, data=data)
        ticket.refresh_from_db()
        policy = policies["policies"][expected_policy(priority, category)]
        calendar = bh.BusinessCalendar.from_dict(policy.calendar)
        assert ticket.sla_policy_id == policy.pk, (priority, category)
        assert ticket.first_response_due == bh.add_business_time(calendar, ticket.created_at, policy.first_response_within)
        assert ticket.resolution_due == bh.add_business_time(calendar, ticket.created_at, policy.resolution_within)
