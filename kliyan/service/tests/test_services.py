"""Ticket services: creation, changes with their history and audit, transitions, replies, notes, events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from kliyan.accounts.teams import team_create
from kliyan.commerce.tests.builders import make_product
from kliyan.core import events
from kliyan.core.errors import NotFound, ValidationFailed
from kliyan.core.models import AuditEntry
from kliyan.service import categories, queries, services
from kliyan.service.choices import TRANSITIONS, MailStatus, TicketStatus
from kliyan.service.models import Ticket, TicketEvent, TicketMessage, ticket_id_from_reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    """Collect the domain events emitted during the test."""
    seen: list[tuple[str, dict]] = []

    def subscriber(name, payloads):
        seen.extend((name, p) for p in payloads)

    events.subscribe(subscriber)
    yield seen
    events._subscribers.remove(subscriber)


def test_a_ticket_is_created_new_with_its_first_message_history_audit_and_event(agent, contact, announced) -> None:
    ticket = services.ticket_create(actor=agent, data={
        "contact": contact.pk, "subject": "  Livrare   întârziată ", "kind": "complaint", "channel": "phone",
        "priority": "high", "description": "Comanda nu a sosit.",
    })
    assert (ticket.subject, ticket.status, ticket.priority, ticket.kind, ticket.created_by) == (
        "Livrare întârziată", "new", "high", "complaint", agent)
    assert ticket.reference == f"T-{ticket.pk:06d}" and ticket_id_from_reference(ticket.reference) == ticket.pk
    (message,) = ticket.messages.all()
    assert (message.kind, message.body, message.author) == ("customer", "Comanda nu a sosit.", agent)
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == ["created"]
    assert AuditEntry.objects.filter(object_type="service.ticket", action="create", contact_id=contact.pk).count() == 1
    assert [name for name, _ in announced] == ["ticket.created"]
    assert announced[0][1]["reference"] == ticket.reference


def test_bad_ticket_input_names_every_field_and_writes_nothing(agent, viewer, contact) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.ticket_create(actor=agent, data={
            "contact": 999999, "subject": "", "kind": "rant", "priority": "asap", "channel": "pigeon",
            "category": 424242, "product": "x", "assignee": viewer.pk, "team": 77, "mood": "bad",
        })
    assert set(caught.value.field_errors) == {
        "contact", "subject", "kind", "priority", "channel", "category", "product", "assignee", "team", "mood",
    }
    assert not Ticket.objects.exists() and not AuditEntry.objects.filter(object_type="service.ticket").exists()


def test_the_company_defaults_to_the_contacts_company(agent) -> None:
    from kliyan.contacts.services import company_create, contact_create

    firm = company_create(actor=agent, data={"name": "Kafe Lakay"})
    person = contact_create(actor=agent, data={"first_name": "Jean", "company": firm.pk})
    ticket = services.ticket_create(actor=agent, data={"contact": person.pk, "subject": "Invoice"})
    assert ticket.company == firm


def test_each_changed_field_is_a_line_of_history_and_one_audit_entry(agent, manager, ticket, announced) -> None:
    category = categories.category_create(actor=manager, data={"name": "Livrare"})
    team = team_create(actor=manager, data={"name": "Bucharest desk", "members": [agent.pk]})
    product = make_product("Cafea 1 kg", sku="CAF-1")
    services.ticket_update(actor=agent, ticket=ticket, data={
        "status": "open", "priority": "urgent", "assignee": agent.pk, "team": team.pk, "category": category.pk,
        "product_sku": "caf-1", "subject": "Livrare întârziată (SO-1042)",
    })
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee, ticket.team, ticket.category, ticket.product) == (
        "open", "urgent", agent, team, category, product)
    lines = {e.kind: e for e in TicketEvent.objects.filter(ticket=ticket).exclude(kind="created")}
    assert set(lines) == {"status", "priority", "assignee", "team", "category", "product", "subject"}
    assert (lines["assignee"].old_label, lines["assignee"].new_label, lines["assignee"].actor) == ("", str(agent), agent)
    assert (lines["status"].old_value, lines["status"].new_value) == ("new", "open")
    entry = AuditEntry.objects.get(object_type="service.ticket", action="update")
    assert entry.before["priority"] == "normal" and entry.after["priority"] == "urgent"
    assert entry.after["assignee_id"] == agent.pk
    updated = [p for name, p in announced if name == "ticket.updated"]
    assert len(updated) == 1 and set(updated[0]["changed"]) >= {"status", "priority", "assignee_id"}


def test_an_unchanged_update_writes_nothing(agent, ticket) -> None:
    before = AuditEntry.objects.count()
    services.ticket_update(actor=agent, ticket=ticket, data={"priority": "normal", "kind": "complaint"})
    assert AuditEntry.objects.count() == before
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1
    assert Ticket.objects.get().updated_at == ticket.updated_at


@pytest.mark.parametrize("start,target", [
    (start, target) for start in TicketStatus.values for target in TicketStatus.values
    if start != target and target not in TRANSITIONS[start]
])
def test_a_transition_that_is_not_allowed_is_refused_and_changes_nothing(agent, ticket, start, target) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(status=start)
    ticket.refresh_from_db()
    with pytest.raises(ValidationFailed) as caught:
        services.ticket_change_status(actor=agent, ticket=ticket, status=target)
    assert set(caught.value.field_errors) == {"status"}
    ticket.refresh_from_db()
    assert ticket.status == start
    assert not TicketEvent.objects.filter(ticket=ticket, kind="status").exists()


def test_statuses_set_and_clear_their_timestamps(agent, ticket, announced) -> None:
    services.ticket_change_status(actor=agent, ticket=ticket, status="waiting")
    ticket.refresh_from_db()
    assert ticket.waiting_since is not None
    services.ticket_change_status(actor=agent, ticket=ticket, status="resolved")
    ticket.refresh_from_db()
    assert ticket.waiting_since is None and ticket.resolved_at is not None
    assert [name for name, _ in announced].count("ticket.resolved") == 1
    services.ticket_change_status(actor=agent, ticket=ticket, status="reopened")
    ticket.refresh_from_db()
    assert ticket.resolved_at is None
    services.ticket_change_status(actor=agent, ticket=ticket, status="closed")
    ticket.refresh_from_db()
    assert ticket.closed_at is not None and ticket.resolved_at is not None


def test_waiting_intervals_come_from_the_status_history(agent, ticket) -> None:
    services.ticket_change_status(actor=agent, ticket=ticket, status="waiting")
    services.ticket_change_status(actor=agent, ticket=ticket, status="open")
    services.ticket_change_status(actor=agent, ticket=ticket, status="waiting")
    spans = queries.waiting_intervals(ticket.pk)
    assert len(spans) == 2 and spans[0][1] is not None and spans[1][1] is None
    assert spans[0][0] <= spans[0][1] <= spans[1][0]


def test_a_reply_is_stored_first_with_threading_headers_then_mailed(agent, ticket, django_capture_on_commit_callbacks) -> None:
    TicketMessage.objects.filter(ticket=ticket).update(message_id="<first@example.ro>", from_address="stefan@example.ro")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = services.ticket_reply(actor=agent, ticket=ticket, body="Coletul pleacă azi.")
    # Stored, not yet sent: the e-mail waits for the commit.
    assert (reply.mail_status, reply.to_address, reply.in_reply_to) == (MailStatus.PENDING, "stefan@example.ro", "<first@example.ro>")
    assert reply.references == "<first@example.ro>" and reply.message_id.endswith("@shop.example>")
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    reply.refresh_from_db()
    assert reply.mail_status == MailStatus.SENT and len(mail.outbox) == 1
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.first_responded_at == reply.created_at


def test_a_reply_can_set_where_the_ticket_goes(agent, ticket) -> None:
    services.ticket_reply(actor=agent, ticket=ticket, body="Rezolvat.", status="resolved")
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["created", "reply", "status"]


def test_a_reply_without_any_address_is_kept_but_not_mailed(agent, ticket) -> None:
    ticket.contact.primary_email = ""
    ticket.contact.save()
    reply = services.ticket_reply(actor=agent, ticket=ticket, body="Vă sunăm.")
    assert (reply.mail_status, reply.message_id, reply.to_address) == ("", None, "")


def test_a_closed_ticket_takes_no_reply_but_takes_notes(agent, ticket) -> None:
    services.ticket_change_status(actor=agent, ticket=ticket, status="closed")
    with pytest.raises(ValidationFailed):
        services.ticket_reply(actor=agent, ticket=ticket, body="Hello")
    note = services.ticket_add_note(actor=agent, ticket=ticket, body="Customer called again; see new ticket.")
    assert note.is_internal and note.mail_status == "" and note.message_id is None


def test_empty_reply_and_note_bodies_are_refused_by_name(agent, ticket) -> None:
    for write in (services.ticket_reply, services.ticket_add_note):
        with pytest.raises(ValidationFailed) as caught:
            write(actor=agent, ticket=ticket, body="   ")
        assert set(caught.value.field_errors) == {"body"}
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_messages_are_announced_and_notes_say_they_are_internal(agent, ticket, announced) -> None:
    services.ticket_add_note(actor=agent, ticket=ticket, body="Check the courier.")
    (payload,) = [p for name, p in announced if name == "ticket.message_added"]
    assert (payload["kind"], payload["internal"], payload["ticket_id"]) == ("note", True, ticket.pk)


def test_the_conversation_for_customers_leaves_internal_notes_out(agent, ticket) -> None:
    services.ticket_add_note(actor=agent, ticket=ticket, body="Secret: courier lost it.")
    services.ticket_reply(actor=agent, ticket=ticket, body="On its way.")
    assert [m.kind for m in queries.conversation(ticket)] == ["customer", "note", "reply"]
    assert [m.kind for m in queries.conversation(ticket, include_internal=False)] == ["customer", "reply"]


def test_an_unknown_ticket_is_not_found() -> None:
    with pytest.raises(NotFound):
        services.get_ticket(123456789)


def test_a_switched_off_category_cannot_be_given_to_a_ticket(agent, manager, ticket) -> None:
    old = categories.category_create(actor=manager, data={"name": "Old", "active": False})
    with pytest.raises(ValidationFailed) as caught:
        services.ticket_update(actor=agent, ticket=ticket, data={"category": old.pk})
    assert set(caught.value.field_errors) == {"category"}


def test_breaching_soon_means_due_within_the_hour_or_past_and_not_resolved(agent, contact, ticket) -> None:
    now = timezone.now()
    late = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Late"})
    later = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Later"})
    answered = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Answered"})
    done = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Done"})
    Ticket.objects.filter(pk=late.pk).update(resolution_due=now - dt.timedelta(minutes=5))
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=now + dt.timedelta(minutes=30))
    Ticket.objects.filter(pk=later.pk).update(first_response_due=now + dt.timedelta(hours=3))
    Ticket.objects.filter(pk=answered.pk).update(first_response_due=now - dt.timedelta(hours=1), first_responded_at=now)
    Ticket.objects.filter(pk=done.pk).update(resolution_due=now - dt.timedelta(hours=1), status="resolved")
    breaching = queries.list_tickets(queries.tab_filters("breaching", agent, now=now))
    assert set(breaching) == {late, ticket}
    assert queries.tab_counts(agent, [], now=now)["breaching"] == 2


def test_a_reply_with_a_status_the_ticket_cannot_take_stores_nothing(agent, ticket) -> None:
    services.ticket_change_status(actor=agent, ticket=ticket, status="resolved")
    with pytest.raises(ValidationFailed) as caught:
        services.ticket_reply(actor=agent, ticket=ticket, body="Hello", status="waiting")
    assert set(caught.value.field_errors) == {"status"}
    assert not TicketMessage.objects.filter(kind="reply").exists()
