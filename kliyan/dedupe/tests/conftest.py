"""Fixtures of the duplicates tests: people, and a history of records in every app for one of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kliyan.contacts.models import Contact
from kliyan.core import events


@pytest.fixture
def person(db: Any, agent: Any) -> Callable[..., Contact]:
    """Create a contact through the service (duplicates allowed: that is the point)."""
    from kliyan.contacts.services import contact_create

    def make(first: str, last: str = "", *, emails: list[str] = (), phones: list[str] = (), **data: Any) -> Contact:
        return contact_create(
            actor=agent, allow_duplicate=True,
            data={"first_name": first, "last_name": last, "emails": [{"email": e} for e in emails],
                  "phones": [{"number": p} for p in phones], **data},
        )

    return make


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, list[dict[str, Any]]]]]:
    """Record every domain event emitted, after the real subscribers (webhooks, analytics) had theirs."""
    got: list[tuple[str, list[dict[str, Any]]]] = []
    monkeypatch.setattr(events, "_subscribers", [*events._subscribers, lambda name, payloads: got.append((name, list(payloads)))])
    yield got


@pytest.fixture
def history(agent: Any) -> Callable[..., dict[str, Any]]:
    """Give a contact one record of every kind other apps keep: interactions to survey answers."""
    from django.utils import timezone

    from kliyan.commerce.tests.builders import make_invoice, make_order, make_payment
    from kliyan.contacts.services import consent_set
    from kliyan.feedback.services import new_invitation, response_submit
    from kliyan.interactions.services import interaction_log, note_add, task_create
    from kliyan.service.services import ticket_add_note, ticket_create

    def make(contact: Contact, *, total: str = "100", consent: str = "granted") -> dict[str, Any]:
        interaction = interaction_log(actor=agent, contact=contact, data={"channel": "phone", "question": f"Call from {contact.pk}"})
        interaction_log(actor=agent, contact=contact, data={"channel": "whatsapp", "question": "Price?"})
        note_add(actor=agent, contact=contact, body="Prefers mornings.")
        task_create(actor=agent, data={"title": "Call back", "due_date": "2030-01-01", "contact": contact.pk})
        order = make_order(contact=contact, total=total)
        invoice = make_invoice(contact=contact, total=total, order=order)
        make_payment(contact=contact, amount=total)
        ticket = ticket_create(actor=agent, contact=contact, data={"subject": "Late delivery", "description": "Where is it?"})
        ticket_add_note(actor=agent, ticket=ticket, body="Checked with the courier.")
        consent_set(actor=agent, contact=contact, channel="sms", status=consent, method="verbal")
        invitation = new_invitation(kind="nps", contact_id=contact.pk, language="en", channel="link", now=timezone.now())
        invitation.save()
        response_submit(invitation=invitation, score=9, comment="Good shop")
        return {"interaction": interaction, "order": order, "invoice": invoice, "ticket": ticket}

    return make
