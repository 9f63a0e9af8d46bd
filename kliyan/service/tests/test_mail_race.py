"""Two deliveries of the same e-mail at the same moment store it once (PostgreSQL: real concurrent writers)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from kliyan.contacts.models import Contact
from kliyan.service import mail_in
from kliyan.service.models import Ticket, TicketMessage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the in-memory SQLite test database cannot queue writers"),
]


def test_the_same_message_delivered_twice_at_once_is_stored_once(eml) -> None:
    raw = eml("plain_utf8.eml")
    start = threading.Barrier(2)
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait()
            outcomes.append(mail_in.receive(raw).outcome)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(outcomes) == ["created", "duplicate"]
    assert (Ticket.objects.count(), TicketMessage.objects.count(), Contact.objects.count()) == (1, 1, 1)
