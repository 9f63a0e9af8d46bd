"""Fixtures of the outbox tests: a real SMTP server (aiosmtpd), contacts with consent, the e-mail settings.

Kept out of conftest.py (other marketing tests have theirs); test modules import what they use.
"""

from __future__ import annotations

import datetime as dt
import email
import threading
from collections.abc import Callable, Iterator
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone

from kliyan.contacts.models import Contact


class Inbox:
    """An aiosmtpd handler that keeps every message it receives; it can refuse the next N, or all."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse_next = 0
        self.refuse_with = "451 4.3.0 Try again later"
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            if self.refuse_next:
                self.refuse_next -= 1
                return self.refuse_with
            parsed = email.message_from_bytes(envelope.content, policy=email_policy.default)
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


class LocalController(Controller):
    """A Controller on port 0 (aiosmtpd 1.4 checks the configured port; point it at the bound one)."""

    def _trigger_server(self) -> None:
        self.port = self.bound_port
        super()._trigger_server()

    @property
    def bound_port(self) -> int:
        return self.server.sockets[0].getsockname()[1]


def start_smtp(inbox: Inbox) -> LocalController:
    controller = LocalController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1, with Django's SMTP backend pointed at it."""
    inbox = Inbox()
    controller = start_smtp(inbox)
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
def outbox_settings(settings: Any) -> Any:
    settings.KLIYAN_PUBLIC_URL = "https://crm.shop.example"
    settings.DEFAULT_FROM_EMAIL = "Shop <hello@shop.example>"
    settings.KLIYAN_QUIET_HOURS = ""  # tests of quiet hours set their own
    settings.KLIYAN_MARKETING_WEEKLY_CAP = 3
    settings.KLIYAN_EMAIL_TRACKING = False
    return settings


@pytest.fixture
def person(db: Any, agent: Any) -> Callable[..., Contact]:
    """Make a contact: e-mail and phone, language, consent per channel ({"email": "granted"}), an address country."""
    from kliyan.contacts.services import consent_set, contact_create

    def make(name: str = "Rose", *, email_address: str | None = "rose@example.ht", phone: str | None = "+509 3700 1234",
             language: str = "ht", consents: dict[str, str] | None = None, country: str = "", **data: Any) -> Contact:
        fields: dict[str, Any] = {"first_name": name, "language": language, **data}
        if email_address:
            fields["emails"] = [{"email": email_address}]
        if phone:
            fields["phones"] = [{"number": phone}]
        if country:
            fields["addresses"] = [{"city": "X", "country": country}]
        contact = contact_create(actor=agent, data=fields, allow_duplicate=True)
        for channel, status in (consents or {}).items():
            consent_set(actor=agent, contact=contact, channel=channel, status=status, method="written",
                        at=timezone.now() - dt.timedelta(days=400))
        return contact

    return make
