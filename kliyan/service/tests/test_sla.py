"""SLA policies: which policy a ticket gets, the due times it gives, pauses, recomputation, states."""

from __future__ import annotations

import datetime as dt

import pytest

from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditEntry
from kliyan.service import categories, services, sla
from kliyan.service.choices import SLAState, TicketStatus
from kliyan.service.models import SLAPolicy, Ticket, TicketEvent
from kliyan.service.tests.sla_helpers import ALWAYS, OFFICE, install_clock, make_policy

pytestmark = pytest.mark.django_db

MONDAY_9 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _ticket(agent, contact, **data):
    return services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Help", **data})


def test_a_new_ticket_gets_the_default_policys_due_times(manager, agent, contact, monkeypatch) -> None:
    install_clock(monkeypatch, MONDAY_9)
    policy = make_policy(manager, warn_at_percent=80)
    ticket = _ticket(agent, contact)
    assert ticket.sla_policy == policy
    assert ticket.first_response_due == MONDAY_9 + dt.timedelta(hours=1)
    assert ticket.first_response_warn_at == MONDAY_9 + dt.timedelta(minutes=48)
    assert ticket.resolution_due == MONDAY_9 + dt.timedelta(hours=8)
    assert ticket.resolution_warn_at == MONDAY_9 + dt.timedelta(minutes=384)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.first_response_due == ticket.first_response_due


def test_without_any_policy_a_ticket_has_no_due_times(agent, contact) -> None:
    ticket = _ticket(agent, contact)
    assert (ticket.sla_policy, ticket.first_response_due, ticket.resolution_due) == (None, None, None)


def test_business_hours_count_only_open_time_in_the_policys_time_zone(manager, agent, contact, monkeypatch) -> None:
    # Friday 16:00 in Bucharest (UTC+2 in winter); 4 business hours run out Monday 12:00 local.
    install_clock(monkeypatch, dt.datetime(2026, 2, 27, 14, 0, tzinfo=dt.UTC))
    make_policy(manager, first_response_minutes=240, calendar={**OFFICE, "holidays": []})
    ticket = _ticket(agent, contact)
    assert ticket.first_response_due == dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def test_the_most_specific_policy_wins(manager, agent, contact) -> None:
    delivery = categories.category_create(actor=manager, data={"name": "Delivery"})
    late = categories.category_create(actor=manager, data={"name": "Late", "parent": delivery.pk})
    default = make_policy(manager, name="Default")
    urgent = make_policy(manager, name="Urgent", priority="urgent", first_response_minutes=15)
    on_delivery = make_policy(manager, name="Delivery", category=delivery.pk)
    on_late = make_policy(manager, name="Late delivery", category=late.pk)
    urgent_delivery = make_policy(manager, name="Urgent delivery", category=delivery.pk, priority="urgent")
    policies = sla.active_policies()
    parents = sla.category_parents()

    def chosen(priority: str, category: int | None) -> SLAPolicy | None:
        return sla.policy_for(priority=priority, category_id=category, policies=policies, parents=parents)

    assert chosen("normal", None) == default
    assert chosen("urgent", None) == urgent
    assert chosen("normal", delivery.pk) == on_delivery
    assert chosen("normal", late.pk) == on_late  # the nearer category
    assert chosen("urgent", delivery.pk) == urgent_delivery  # category and priority together
    assert chosen("urgent", late.pk) == on_late  # a nearer category beats a priority match higher up
    sla.sla_policy_update(actor=manager, policy=default, data={"active": False})
    assert sla.policy_for(priority="low", category_id=None, policies=sla.active_policies(), parents=parents) is None


def test_due_times_follow_a_change_of_priority_with_a_line_in_the_history(manager, agent, contact, monkeypatch) -> None:
    clock = install_clock(monkeypatch, MONDAY_9)
    make_policy(manager, name="Default")
    make_policy(manager, name="Urgent", priority="urgent", first_response_minutes=15, resolution_minutes=120)
    ticket = _ticket(agent, contact)
    clock.advance(minutes=10)
    services.ticket_update(actor=agent, ticket=ticket, data={"priority": "urgent"})
    ticket.refresh_from_db()
    assert ticket.sla_policy.name == "Urgent"
    # Counted from the opening, not from the change.
    assert ticket.first_response_due == MONDAY_9 + dt.timedelta(minutes=15)
    assert ticket.resolution_due == MONDAY_9 + dt.timedelta(hours=2)
    line = TicketEvent.objects.get(ticket=ticket, kind="sla_policy")
    assert (line.old_label, line.new_label, line.actor) == ("Default", "Urgent", agent)


def test_waiting_on_the_customer_pauses_the_clock_and_leaving_it_recomputes(manager, agent, contact, monkeypatch) -> None:
    clock = install_clock(monkeypatch, MONDAY_9)
    make_policy(manager)
    ticket = _ticket(agent, contact)
    clock.advance(hours=1)
    services.ticket_reply(actor=agent, ticket=ticket, body="Which order?", status=TicketStatus.WAITING)
    ticket.refresh_from_db()
    assert ticket.resolution_due is None and ticket.resolution_warn_at is None
    assert ticket.first_response_business_seconds == 3600
    clock.advance(hours=5)
    services.ticket_customer_message(actor=None, ticket=ticket, body="SO-1042", from_address="stefan.popescu@example.ro")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.resolution_due == MONDAY_9 + dt.timedelta(hours=8 + 5)


def test_a_resolved_ticket_that_reopens_continues_where_its_clock_stopped(manager, agent, contact, monkeypatch) -> None:
    clock = install_clock(monkeypatch, MONDAY_9)
    make_policy(manager)
    ticket = _ticket(agent, contact)
    clock.advance(hours=2)
    services.ticket_reply(actor=agent, ticket=ticket, body="Done", status=TicketStatus.RESOLVED)
    ticket.refresh_from_db()
    assert ticket.resolution_business_seconds == 2 * 3600
    assert sla.target_status(ticket, "resolution", clock()).state == SLAState.MET
    clock.advance(hours=24)
    services.ticket_customer_message(actor=None, ticket=ticket, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REOPENED and ticket.resolution_business_seconds is None
    assert ticket.resolution_due == MONDAY_9 + dt.timedelta(hours=8 + 24)


def test_states_on_track_at_risk_breached_met_missed(manager, agent, contact, monkeypatch) -> None:
    clock = install_clock(monkeypatch, MONDAY_9)
    make_policy(manager, warn_minutes_before=15)
    ticket = _ticket(agent, contact)
    state = lambda at: sla.target_status(ticket, "first_response", at).state  # noqa: E731
    assert state(MONDAY_9) == SLAState.ON_TRACK
    assert state(MONDAY_9 + dt.timedelta(minutes=45)) == SLAState.AT_RISK
    assert state(MONDAY_9 + dt.timedelta(minutes=60)) == SLAState.BREACHED
    clock.advance(minutes=90)
    services.ticket_reply(actor=agent, ticket=ticket, body="Sorry for the wait")
    ticket.refresh_from_db()
    assert state(clock()) == SLAState.MISSED
    assert sla.next_target(ticket, clock()).target == "resolution"
    other = _ticket(agent, contact)
    services.ticket_reply(actor=agent, ticket=other, body="On it")
    other.refresh_from_db()
    assert sla.target_status(other, "first_response", clock()).state == SLAState.MET


def test_editing_a_policy_recomputes_open_tickets_but_not_resolved_ones(manager, agent, contact, monkeypatch,
                                                                         django_capture_on_commit_callbacks) -> None:
    install_clock(monkeypatch, MONDAY_9)
    policy = make_policy(manager)
    open_ticket = _ticket(agent, contact)
    done = _ticket(agent, contact)
    services.ticket_change_status(actor=agent, ticket=done, status=TicketStatus.RESOLVED)
    done.refresh_from_db()
    before = done.resolution_due
    with django_capture_on_commit_callbacks(execute=True):
        sla.sla_policy_update(actor=manager, policy=policy, data={"resolution_minutes": 120})
    open_ticket.refresh_from_db()
    done.refresh_from_db()
    assert open_ticket.resolution_due == MONDAY_9 + dt.timedelta(hours=2)
    assert done.resolution_due == before
    assert AuditEntry.objects.filter(object_type="service.slapolicy", action="update").count() == 1


def test_a_new_category_policy_reaches_existing_open_tickets(manager, agent, contact, monkeypatch,
                                                              django_capture_on_commit_callbacks) -> None:
    install_clock(monkeypatch, MONDAY_9)
    billing = categories.category_create(actor=manager, data={"name": "Billing"})
    ticket = _ticket(agent, contact, category=billing.pk)
    assert ticket.sla_policy is None
    with django_capture_on_commit_callbacks(execute=True):
        policy = make_policy(manager, name="Billing", category=billing.pk, first_response_minutes=30)
    ticket.refresh_from_db()
    assert ticket.sla_policy == policy and ticket.first_response_due == MONDAY_9 + dt.timedelta(minutes=30)


@pytest.mark.parametrize(("data", "fields"), [
    ({"name": "", "first_response_minutes": "soon", "resolution_minutes": 0}, {"name", "first_response_minutes", "resolution_minutes"}),
    ({"calendar": {"time_zone": "Mars/Olympus", "weekly_hours": {"mon": [["17:00", "09:00"]]}, "holidays": ["2026-13-01"]}},
     {"calendar.time_zone", "calendar.weekly_hours.mon", "calendar.holidays"}),
    ({"calendar": {"time_zone": "UTC", "weekly_hours": {}, "holidays": []}}, {"calendar.weekly_hours"}),
    ({"is_default": True, "priority": "high"}, {"is_default"}),
    ({"is_default": False}, {"priority"}),
    ({"warn_at_percent": 120, "priority": "fast"}, {"warn_at_percent", "priority"}),
    ({"colour": "red"}, {"colour"}),
])
def test_bad_policy_input_names_each_field_and_writes_nothing(manager, data, fields) -> None:
    values = {"name": "P", "is_default": True, "first_response_minutes": 60, "resolution_minutes": 480, "calendar": ALWAYS}
    values.update(data)
    with pytest.raises(ValidationFailed) as caught:
        sla.sla_policy_create(actor=manager, data=values)
    assert set(caught.value.field_errors) == fields
    assert not SLAPolicy.objects.exists()


def test_only_one_default_and_no_two_policies_for_the_same_scope(manager) -> None:
    make_policy(manager)
    with pytest.raises(ValidationFailed) as caught:
        make_policy(manager, name="Second default")
    assert set(caught.value.field_errors) == {"is_default"}
    make_policy(manager, name="High", priority="high")
    with pytest.raises(ValidationFailed) as caught:
        make_policy(manager, name="High again", priority="high")
    assert set(caught.value.field_errors) == {"priority"}
    assert SLAPolicy.objects.count() == 2


def test_budgets_are_read_as_minutes_or_hours_and_minutes() -> None:
    assert [sla.parse_minutes(text) for text in ("90", "4h", "1h30m", "1h 30min", "45m", "", "soon", "h")] == [
        90, 240, 90, 90, 45, None, None, None,
    ]
    assert [sla.format_minutes(m) for m in (90, 240, 45)] == ["1h30m", "4h", "45m"]
