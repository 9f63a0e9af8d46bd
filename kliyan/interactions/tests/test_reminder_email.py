"""Reminder e-mails travel through a real SMTP server, in the assignee's language."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from kliyan.accounts.models import Role, User
from kliyan.contacts.models import Contact
from kliyan.interactions.models import Task
from kliyan.interactions.tasks import queue_due_reminders


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


class LocalController(Controller):
    """A Controller on port 0: the system picks a free port, read back once bound.

    aiosmtpd 1.4 checks the server by connecting to the configured port, which is 0;
    point that check at the bound port instead.
    """

    def _trigger_server(self) -> None:
        self.port = self.bound_port
        super()._trigger_server()

    @property
    def bound_port(self) -> int:
        return self.server.sockets[0].getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox()
    controller = LocalController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.bound_port,
            EMAIL_USE_TLS=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="",
            DEFAULT_FROM_EMAIL="kliyan@shop.example",
        ):
            yield inbox
    finally:
        controller.stop()


def body_of(message: Message) -> str:
    part = message.get_payload(decode=True) if not message.is_multipart() else message.get_payload(0).get_payload(decode=True)
    # SMTP carries CRLF line ends.
    return part.decode(message.get_content_charset() or "utf-8").replace("\r\n", "\n").strip()


@pytest.mark.django_db
def test_a_due_reminder_is_delivered_by_smtp_in_the_assignees_language(smtp: Inbox, make_user) -> None:
    agent: User = make_user(Role.AGENT, username="mirlande", email="mirlande@shop.example", language="fr")
    customer = Contact.objects.create(first_name="Ștefan", last_name="Popescu", display_name="Ștefan Popescu")
    due = Task.objects.create(
        title="Rappeler Ștefan", description="Confirmer la livraison.", contact=customer, assignee=agent,
        due_date=dt.date(2026, 3, 14), remind_at=timezone.now() - dt.timedelta(minutes=1),
    )

    assert queue_due_reminders.enqueue().return_value == 1

    [(recipients, message)] = smtp.messages
    with translation.override("fr"):
        subject = gettext("Reminder: %(title)s") % {"title": due.title}
        due_line = gettext("Due: %(date)s") % {"date": "2026-03-14"}
        customer_line = gettext("Customer: %(name)s") % {"name": "Ștefan Popescu"}
    assert recipients == ["mirlande@shop.example"]
    assert message["To"] == "mirlande@shop.example"
    assert message["From"] == "kliyan@shop.example"
    assert str(email.header.make_header(email.header.decode_header(message["Subject"]))) == subject
    assert body_of(message).split("\n\n") == ["Rappeler Ștefan", due_line, customer_line, "Confirmer la livraison."]
    # The French catalogue, not the English source, wrote the mail.
    assert subject != f"Reminder: {due.title}"


@pytest.mark.django_db
def test_a_reminder_is_delivered_once(smtp: Inbox, agent: User) -> None:
    Task.objects.create(
        title="Call back", assignee=agent, due_date=timezone.localdate(), remind_at=timezone.now() - dt.timedelta(minutes=1),
    )

    queue_due_reminders.enqueue()
    queue_due_reminders.enqueue()

    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_no_mail_leaves_for_a_reminder_that_is_not_due(smtp: Inbox, agent: User) -> None:
    Task.objects.create(
        title="Later", assignee=agent, due_date=timezone.localdate(), remind_at=timezone.now() + dt.timedelta(hours=1),
    )

    assert queue_due_reminders.enqueue().return_value == 0

    assert smtp.messages == []
