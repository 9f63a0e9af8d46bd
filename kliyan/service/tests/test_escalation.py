"""SLA escalation: the assignee is warned before a breach, the assignee and team manager told after it,
once per ticket, target and kind — across runs, restarts and concurrent workers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection, connections

from kliyan.accounts.teams import team_create
from kliyan.core.schedule import SCHEDULE
from kliyan.service import escalation, services
from kliyan.service.choices import TicketStatus
from kliyan.service.models import SLAEvent, Ticket, TicketEvent
from kliyan.service.tasks import escalate_slas, send_sla_notice
from kliyan.service.tests.sla_helpers import install_clock, make_policy
from kliyan.service.tests.test_reply_email import smtp  # noqa: F401 - the real SMTP server fixture

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, T0)


@pytest.fixture
def assigned(clock, manager, agent, contact):
    """A ticket assigned to `agent` in a team led by `manager`, under a 1 h / 8 h policy warning at 80 %."""
    make_policy(manager, warn_at_percent=80)
    team = team_create(actor=manager, data={"name": "Livrări", "manager": manager.pk, "members": [agent.pk]})
    return services.ticket_create(actor=agent, data={
        "contact": contact.pk, "subject": "Colet lipsă", "assignee": agent.pk, "team": team.pk,
    })


def _sla_lines(ticket: Ticket) -> list[tuple[str, str]]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_").values_list("kind", "new_value"))


@pytest.mark.django_db
def test_the_sweep_runs_every_minute() -> None:
    job = next(job for job in SCHEDULE if job.name == "escalate_slas")
    assert (job.cron, job.task_path) == ("* * * * *", "kliyan.service.tasks.escalate_slas")


@pytest.mark.django_db
def test_warning_then_breach_each_once_across_runs(clock, assigned, agent, manager) -> None:
    assert escalate_slas.call() == 0
    clock.advance(minutes=49)  # 80 % of the first hour is gone
    assert escalate_slas.call() == 1
    assert escalate_slas.call() == 0
    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert "SLA warning" in mail.outbox[0].subject and assigned.reference in mail.outbox[0].subject
    clock.advance(minutes=12)  # the first response is now late
    assert escalate_slas.call() == 1
    assert escalate_slas.call() == 0
    assert sorted(m.to[0] for m in mail.outbox[1:]) == sorted([agent.email, manager.email])
    assert all("SLA breached" in m.subject for m in mail.outbox[1:])
    assert _sla_lines(assigned) == [("sla_warning", "first_response"), ("sla_breach", "first_response")]
    assert set(SLAEvent.objects.values_list("target", "kind")) == {("first_response", "warning"), ("first_response", "breach")}
    assert SLAEvent.objects.filter(notified_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_an_answered_ticket_is_not_escalated_for_its_first_response(clock, assigned, agent) -> None:
    services.ticket_reply(actor=agent, ticket=assigned, body="Looking into it")
    clock.advance(hours=2)
    assert escalate_slas.call() == 0
    assert mail.outbox == [] or all("SLA" not in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_a_ticket_waiting_on_the_customer_pauses_the_clock(clock, assigned, agent) -> None:
    clock.advance(minutes=30)
    services.ticket_reply(actor=agent, ticket=assigned, body="Which parcel?", status=TicketStatus.WAITING)
    clock.advance(hours=20)  # far past the 8 h resolution budget, but waiting
    assert escalate_slas.call() == 0
    services.ticket_customer_message(actor=None, ticket=assigned, body="The blue one")
    assigned.refresh_from_db()
    # 30 minutes were used before the pause: 7 h 30 min remain from now.
    assert assigned.resolution_due == clock() + dt.timedelta(hours=7, minutes=30)
    clock.advance(hours=7)
    assert escalate_slas.call() == 1  # the resolution warning (80 % of 8 h = 6 h 24 min used)
    assert _sla_lines(assigned) == [("sla_warning", "resolution")]


@pytest.mark.django_db
def test_a_late_sweep_sends_the_breach_not_a_stale_warning(clock, assigned) -> None:
    clock.advance(hours=3)
    assert escalate_slas.call() == 1
    assert _sla_lines(assigned) == [("sla_breach", "first_response")]


@pytest.mark.django_db
def test_an_unassigned_ticket_warns_the_team_manager(clock, manager, agent, contact) -> None:
    make_policy(manager, warn_minutes_before=10)
    team = team_create(actor=manager, data={"name": "Plăți", "manager": manager.pk})
    services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Refund", "team": team.pk})
    clock.advance(minutes=51)
    assert escalate_slas.call() == 1
    assert [m.to for m in mail.outbox] == [[manager.email]]


@pytest.mark.django_db
def test_a_notice_task_run_twice_sends_its_mails_once(clock, assigned, agent) -> None:
    clock.advance(hours=2)
    escalate_slas.call()
    event = SLAEvent.objects.get()
    sent = len(mail.outbox)
    assert send_sla_notice.call(event.pk) == 0
    assert len(mail.outbox) == sent


@pytest.mark.django_db
def test_the_notice_reaches_a_real_mail_server(clock, smtp, assigned, agent, manager) -> None:  # noqa: F811
    clock.advance(hours=2)
    assert escalate_slas.call() == 1
    recipients = sorted(to for tos, _message in smtp.messages for to in tos)
    assert recipients == sorted([agent.email, manager.email])
    message = smtp.messages[0][1]
    assert assigned.reference in message["Subject"]
    assert f"/service/tickets/{assigned.pk}/" in message.get_content()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the in-memory SQLite test database cannot queue writers")
def test_two_workers_at_once_notify_once(monkeypatch, clock, assigned, agent, manager) -> None:
    clock.advance(hours=2)
    both_looked = threading.Barrier(2, timeout=30)
    original = escalation._candidates

    def candidates_then_wait(rule, now, limit):
        found = original(rule, now, limit)
        both_looked.wait()  # each worker has seen the ticket as not yet notified
        return found

    monkeypatch.setattr(escalation, "_candidates", candidates_then_wait)
    created: list[list[int]] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            created.append(escalation.escalate_due())
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(len(ids) for ids in created) == [0, 1]
    assert SLAEvent.objects.count() == 1
    assert _sla_lines(assigned) == [("sla_breach", "first_response")]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([agent.email, manager.email])
