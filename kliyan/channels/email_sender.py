"""The e-mail channel's sender: the outbox's messages over SMTP (Django's EMAIL_* settings).

One SMTP connection per batch. Each message is answered as soon as the server has taken it
(its Message-ID is the provider id), so the outbox writes "sent" right away. The Message-ID
comes from the outbox row, fixed, so a message sent again after a crash is the same message
to every mail program. A server that refuses one recipient refuses that message only; a
connection that breaks answers the rest of the batch with a retryable error at once, rather
than waiting out a time-out per message.

Marketing mail carries List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) from the outbox;
with KLIYAN_EMAIL_TRACKING on, it also gets an HTML version with an open pixel and redirected
links (kliyan.marketing.tracking). Transactional mail (an agent's reply) is never tracked.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator, Sequence
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection

from kliyan.channels.senders import Outgoing, ProviderError, Result, register_sender

logger = logging.getLogger(__name__)


def _from_address() -> str:
    address = settings.DEFAULT_FROM_EMAIL
    if parseaddr(address)[0]:
        return address
    from kliyan.core.organisation import get_organisation

    return f"{get_organisation().name} <{parseaddr(address)[1]}>"


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600


def _error_of(error: Exception) -> tuple[ProviderError, bool]:
    """Return the ProviderError for a failure, and whether the connection is gone (the rest of the batch cannot go)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        permanent = bool(codes) and all(_is_permanent(code) for code in codes)
        detail = "; ".join(f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                           for code, text in error.recipients.values())
        return ProviderError(f"Recipient refused: {detail}", retryable=not permanent), False
    if isinstance(error, smtplib.SMTPResponseException):  # sender refused, data refused, …
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
        gone = error.smtp_code == 421
        return ProviderError(f"{error.smtp_code} {text}", retryable=not _is_permanent(error.smtp_code)), gone
    if isinstance(error, smtplib.SMTPException | OSError):
        # Disconnected, refused connection, time-out, TLS failure: nothing more goes over this connection.
        return ProviderError(f"{type(error).__name__}: {error}"), True
    # The message itself cannot be written (an address Django refuses): trying again changes nothing.
    return ProviderError(f"{type(error).__name__}: {error}", retryable=False), False


class EmailSender:
    """Sends the outbox's e-mails over one SMTP connection per batch."""

    def build(self, message: Outgoing, from_address: str = "") -> EmailMessage:
        headers = dict(message.headers)
        from_address = from_address or _from_address()
        body = message.body
        html = ""
        if settings.KLIYAN_EMAIL_TRACKING and "List-Unsubscribe" in headers:
            from kliyan.marketing import tracking

            tracked = tracking.track(message.message_id, body)
            body, html = tracked.text, tracked.html
        email = EmailMultiAlternatives(
            subject=message.subject, body=body, from_email=from_address, to=[message.recipient], headers=headers,
        )
        if html:
            email.attach_alternative(html, "text/html")
        return email

    def send_many(self, messages: Sequence[Outgoing]) -> Iterator[Result]:
        if not messages:
            return
        connection = get_connection(fail_silently=False)
        try:
            connection.open()
        except Exception as error:  # noqa: BLE001 - an unreachable server is a retry for every message
            failure, _gone = _error_of(error)
            for message in messages:
                yield message.message_id, failure
            return
        try:
            # Once per batch, not per e-mail: it parses the address and may read the organisation's name.
            from_address = _from_address()
            for index, message in enumerate(messages):
                try:
                    connection.send_messages([self.build(message, from_address)])
                except Exception as error:  # noqa: BLE001 - any failure of the server is an answer, never a crash
                    failure, gone = _error_of(error)
                    logger.warning("E-mail of message %s not sent: %s", message.message_id, failure)
                    yield message.message_id, failure
                    if gone:
                        for rest in messages[index + 1:]:
                            yield rest.message_id, ProviderError(f"Not tried: the connection broke ({failure}).")
                        return
                else:
                    yield message.message_id, message.headers.get("Message-ID", "")
        finally:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - every message is already answered
                logger.debug("Closing the SMTP connection failed", exc_info=True)


def register() -> None:
    register_sender("email", EmailSender)
