"""Interactions, notes and tasks: the timeline, follow-ups, reminders, My day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditEntry
from kliyan.core.registry import contact_timeline
from kliyan.contacts.services import consent_set, contact_create
from kliyan.interactions.models import Interaction, Task
from kliyan.interactions.queries import my_day
from kliyan.interactions.services import (
    claim_due_reminders,
    interaction_log,
    note_add,
    task_complete,
    task_create,
)
from kliyan.interactions.tasks import queue_due_reminders

pytestmark = pytest.mark.django_db


def test_interaction_records_question_answer_staff_and_follow_up(agent, contact):
    due = timezone.localdate() + dt.timedelta(days=3)
    interaction = interaction_log(actor=agent, contact=contact, data={
        "channel": "instagram", "direction": "inbound",
        "question": "Do you have the red sandals in size 38?",
        "answer": "Yes, in the Pétion-Ville shop; we keep a pair until Friday.",
        "outcome": "follow_up",
        "follow_up": {"title": "Call back about sandals", "due_date": due.isoformat()},
    })
    assert interaction.staff == agent
    task = Task.objects.get()
    assert (task.contact_id, task.interaction_id, task.assignee_id, task.due_date) == (contact.pk, interaction.pk, agent.pk, due)
    assert AuditEntry.objects.filter(contact_id=contact.pk, object_type="interactions.interaction", action="create").count() == 1


def test_interaction_rejects_bad_channel_and_future_date_and_saves_nothing(agent, contact):
    with pytest.raises(ValidationFailed) as excinfo:
        interaction_log(actor=agent, contact=contact, data={
            "channel": "carrier-pigeon", "question": "?", "occurred_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
            "follow_up": {"title": "", "due_date": "tomorrow"},
        })
    assert set(excinfo.value.field_errors) == {"channel", "occurred_at", "follow_up.title", "follow_up.due_date"}
    assert Interaction.objects.count() == 0 and Task.objects.count() == 0


def test_same_external_id_is_stored_once(agent, contact):
    data = {"channel": "whatsapp", "question": "Bonjou", "external_id": "wamid.123"}
    first = interaction_log(actor=agent, contact=contact, data=data)
    second = interaction_log(actor=agent, contact=contact, data=data)
    assert first.pk == second.pk
    assert Interaction.objects.count() == 1


def test_timeline_merges_every_kind_newest_first(agent, contact):
    now = timezone.now()
    interaction_log(actor=agent, contact=contact, data={"channel": "phone", "question": "Price?", "occurred_at": now - dt.timedelta(hours=3)})
    consent_set(actor=agent, contact=contact, channel="email", status="granted", method="verbal", at=now - dt.timedelta(hours=2))
    note_add(actor=agent, contact=contact, body="Prefers mornings")
    interaction_log(actor=agent, contact=contact, data={"channel": "sms", "answer": "Your order is ready", "direction": "outbound"})
    entries = contact_timeline(contact.pk)
    assert [e.kind for e in entries] == ["interaction", "note", "consent", "interaction"]
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    older = contact_timeline(contact.pk, before=entries[1].at)
    assert [e.kind for e in older] == ["consent", "interaction"]


def test_my_day_lists_overdue_and_today_tasks_and_birthdays(agent, manager):
    today = timezone.localdate()
    birthday = today.replace(year=1990) if not (today.month == 2 and today.day == 29) else dt.date(1992, 2, 29)
    person = contact_create(actor=agent, data={"first_name": "Chikondi", "last_name": "Banda", "birthday": birthday.isoformat()})
    late = task_create(actor=agent, data={"title": "Late", "due_date": (today - dt.timedelta(days=2)).isoformat(), "contact_id": person.pk})
    now_task = task_create(actor=agent, data={"title": "Today", "due_date": today.isoformat()})
    task_create(actor=agent, data={"title": "Later", "due_date": (today + dt.timedelta(days=2)).isoformat()})
    task_create(actor=agent, data={"title": "Someone else's", "due_date": today.isoformat(), "assignee_id": manager.pk})
    done = task_create(actor=agent, data={"title": "Done", "due_date": today.isoformat()})
    task_complete(actor=agent, task=done)
    day = my_day(agent, today)
    assert day.overdue == [late]
    assert day.due_today == [now_task]
    assert day.birthdays == [person]


def test_reminders_are_claimed_once_and_mailed_to_the_assignee(agent, contact):
    task_create(actor=agent, data={
        "title": "Call Ștefan", "due_date": timezone.localdate().isoformat(), "contact_id": contact.pk,
        "remind_at": (timezone.now() - dt.timedelta(minutes=1)).isoformat(),
    })
    assert queue_due_reminders.call() == 1
    assert queue_due_reminders.call() == 0
    assert claim_due_reminders() == []
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [agent.email]
    assert "Call Ștefan" in mail.outbox[0].subject
