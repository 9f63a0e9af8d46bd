"""An agent's reply reaches a real SMTP server (aiosmtpd) with the headers that thread the answer back."""

from __future__ import annotations

import datetime as dt
import email
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from kliyan.service import mail_in, outbox
from kliyan.service.choices import MailStatus
from kliyan.service.models import TicketMessage
from kliyan.service.services import ticket_reply
from kliyan.service.tasks import retry_ticket_replies

pytestmark = pytest.mark.django_db


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class LocalController(Controller):
    """A Controller on port 0 (aiosmtpd 1.4 checks the configured port; point it at the bound one)."""

    def _trigger_server(self) -> None:
        self.port = self.bound_port
        super()._trigger_server()

    @property
    def bound_port(self) -> int:
        return self.server.sockets[0].getsockname()[1]


def smtp_settings(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=port,
        EMAIL_USE_TLS=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="", EMAIL_TIMEOUT=5,
    )


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox()
    controller = LocalController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        with smtp_settings(controller.bound_port):
            yield inbox
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_agent_reply_is_delivered_with_threading_headers(smtp, eml, agent, django_capture_on_commit_callbacks) -> None:
    receipt = mail_in.receive(eml("plain_utf8.eml"))
    ticket = receipt.ticket
    upload = SimpleUploadedFile("bon-livrezon.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(actor=agent, ticket=ticket, body="Bonjou Marie,\nKòmand ou a ap rive demen.", files=[upload])
    assert len(smtp.messages) == 1
    recipients, sent = smtp.messages[0]
    assert recipients == ["marie.joseph@example.ht"]
    assert sent["Message-ID"] == reply.message_id
    assert sent["In-Reply-To"] == "<CAplain.0001@mail.example.ht>"
    assert sent["References"] == "<CAplain.0001@mail.example.ht>"
    assert sent["Subject"] == f"Re: Kòmand mwen an poko rive [{ticket.reference}]"
    assert sent["From"].addresses[0].addr_spec == "help@shop.example"
    assert sent.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n").strip() == (
        "Bonjou Marie,\nKòmand ou a ap rive demen.")
    (attachment,) = list(sent.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("bon-livrezon.pdf", b"%PDF-1.4 receipt")
    reply.refresh_from_db()
    assert reply.mail_status == MailStatus.SENT and reply.mail_sent_at is not None

    # The customer's mail program answers the delivered mail: it threads back into the ticket.
    answer = EmailMessage()
    answer["From"] = "Marie Joseph <marie.joseph@example.ht>"
    answer["To"] = sent["From"]
    answer["Subject"] = "Re: " + sent["Subject"]
    answer["Message-ID"] = "<answer.2@mail.example.ht>"
    answer["In-Reply-To"] = sent["Message-ID"]
    answer["References"] = f'{sent["References"]} {sent["Message-ID"]}'
    answer.set_content("Mèsi anpil!")
    back = mail_in.receive(answer.as_bytes())
    assert (back.outcome, back.ticket) == ("added", ticket)


def test_a_reply_that_cannot_be_sent_is_retried_until_it_leaves(eml, agent, django_capture_on_commit_callbacks) -> None:
    ticket = mail_in.receive(eml("plain_utf8.eml")).ticket
    with smtp_settings(free_port()), django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(actor=agent, ticket=ticket, body="Nou voye l.")
    reply.refresh_from_db()
    assert (reply.mail_status, reply.mail_attempts) == (MailStatus.FAILED, 1)
    assert reply.mail_error and reply.mail_next_attempt_at > timezone.now()
    # Not due yet: the sweep leaves it alone.
    assert retry_ticket_replies.call() == 0

    TicketMessage.objects.filter(pk=reply.pk).update(mail_next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    inbox = Inbox()
    controller = LocalController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        with smtp_settings(controller.bound_port):
            assert retry_ticket_replies.call() == 1
    finally:
        controller.stop()
    reply.refresh_from_db()
    assert (reply.mail_status, reply.mail_attempts, reply.mail_error) == (MailStatus.SENT, 2, "")
    assert [m["Message-ID"] for _, m in inbox.messages] == [reply.message_id]


def test_a_reply_being_sent_is_not_sent_twice(eml, agent, django_capture_on_commit_callbacks) -> None:
    ticket = mail_in.receive(eml("plain_utf8.eml")).ticket
    with django_capture_on_commit_callbacks(execute=False):
        reply = ticket_reply(actor=agent, ticket=ticket, body="Yon sèl fwa.")
    now = timezone.now()
    assert outbox.claim(reply.pk, now) is True
    assert outbox.claim(reply.pk, now) is False  # a second worker finds it taken


def test_after_the_last_attempt_the_reply_is_marked_not_sent(eml, agent, django_capture_on_commit_callbacks) -> None:
    ticket = mail_in.receive(eml("plain_utf8.eml")).ticket
    with django_capture_on_commit_callbacks(execute=False):
        reply = ticket_reply(actor=agent, ticket=ticket, body="Dènye chans.")
    TicketMessage.objects.filter(pk=reply.pk).update(mail_attempts=outbox.MAX_ATTEMPTS - 1)
    with smtp_settings(free_port()):
        assert outbox.attempt(reply.pk) is False
    reply.refresh_from_db()
    assert (reply.mail_status, reply.mail_next_attempt_at) == (MailStatus.DEAD, None)
    assert outbox.due_reply_ids() == []
