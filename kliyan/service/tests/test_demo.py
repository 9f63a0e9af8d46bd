"""The demo fills the service desk: tickets in every state, so `kliyan serve --demo` shows a queue."""

from __future__ import annotations

import pytest
from django.core import mail

from kliyan.core.demo import load_demo
from kliyan.service.choices import MailStatus
from kliyan.service.models import Ticket, TicketCategory, TicketMessage

pytestmark = pytest.mark.django_db


def test_the_demo_loads_tickets_in_every_state_without_sending_mail(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        summary = load_demo(people=15, companies=3, seed=7)
    assert summary.tickets == Ticket.objects.count() == 16
    assert set(Ticket.objects.values_list("status", flat=True)) == {"new", "open", "waiting", "resolved", "reopened", "closed"}
    assert TicketCategory.objects.filter(parent__isnull=False).exists()
    assert Ticket.objects.filter(first_response_due__isnull=False).exists()
    replies = TicketMessage.objects.filter(kind="reply")
    assert replies.exists() and not replies.exclude(mail_status__in=["", MailStatus.SENT]).exists()
    assert mail.outbox == []
