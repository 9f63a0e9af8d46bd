"""Fixtures of the feedback tests: a ticket and a way to resolve it, answered surveys, a real SMTP server."""

from __future__ import annotations

import email
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from kliyan.feedback.models import SurveyInvitation


@pytest.fixture(autouse=True)
def _public_url(settings: Any) -> None:
    settings.KLIYAN_PUBLIC_URL = "https://crm.shop.example"
    settings.DEFAULT_FROM_EMAIL = "Shop <hello@shop.example>"
    # Most tests follow the e-mail at once; test_csat checks the default delay.
    settings.KLIYAN_CSAT_DELAY_MINUTES = 0


@pytest.fixture
def ticket(db: Any, agent: Any, contact: Any) -> Any:
    from kliyan.service.services import ticket_create

    return ticket_create(actor=agent, data={
        "contact": contact.pk, "subject": "Livrare întârziată", "kind": "complaint", "channel": "phone",
        "description": "Comanda SO-1042 nu a sosit.", "assignee": agent.pk,
    })


@pytest.fixture
def resolve(agent: Any) -> Callable[..., SurveyInvitation | None]:
    """Resolve a ticket (as `by`, the agent by default); return its survey invitation, if any."""
    from kliyan.service.services import ticket_change_status

    def run(ticket: Any, by: Any = None) -> SurveyInvitation | None:
        ticket_change_status(actor=by or agent, ticket=ticket, status="resolved")
        return SurveyInvitation.objects.filter(ticket_id=ticket.pk).first()

    return run


@pytest.fixture
def invitation(ticket: Any, resolve: Callable[..., Any]) -> SurveyInvitation:
    made = resolve(ticket)
    assert made is not None
    return made


class Inbox:
    """An aiosmtpd handler that keeps every message it receives (and can be told to refuse)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refuse:
            return "451 Try again later"
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


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1, with Django's SMTP backend pointed at it."""
    inbox = Inbox()
    controller = LocalController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=controller.bound_port, EMAIL_USE_TLS=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="",
            EMAIL_TIMEOUT=5,
        ):
            yield inbox
    finally:
        controller.stop()


@pytest.fixture
def survey(contact: Any) -> Callable[..., SurveyInvitation]:
    """Make an invitation (answered with `score` unless None), with the given dimensions."""
    from django.utils import timezone

    from kliyan.feedback.services import new_invitation, response_submit

    def make(kind: str = "csat", score: int | None = None, comment: str = "", *, who: Any = None, at: Any = None,
             **fields: Any) -> SurveyInvitation:
        made = new_invitation(kind=kind, contact_id=(who or contact).pk, language="en", channel="email",
                              now=timezone.now(), **fields)
        made.save()
        if score is not None:
            response_submit(invitation=made, score=score, comment=comment)
        if at is not None:  # sent back then (and answered in time)
            SurveyInvitation.objects.filter(pk=made.pk).update(created_at=at)
        made.refresh_from_db()
        return made

    return make
