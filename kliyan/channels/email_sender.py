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

With Django's SMTP backend the message's bytes are written here (Composer) rather than by
Django's mail classes, which spent 40 % of a campaign's delivery time encoding headers,
parsing addresses and running the email package's generator for every message. Composer
writes the same headers and parts; whatever it does not handle simply (an address that is not
plain ASCII, a line longer than SMTP allows, an address header among the extra headers) goes
through Django's EmailMultiAlternatives as before, and so does every other backend (the
tests' locmem, a provider's API backend), which needs Django's message object. A server that
offers PIPELINING gets each message's envelope behind the previous message's text (_Session).
"""

from __future__ import annotations

import logging
import random
import re
import smtplib
from base64 import b64encode
from collections.abc import Iterator, Mapping, Sequence
from email.utils import formatdate, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import ADDRESS_HEADERS, RFC5322_EMAIL_LINE_LENGTH_LIMIT, BadHeaderError, sanitize_address
from django.core.mail.utils import DNS_NAME

from kliyan.channels.senders import Outgoing, ProviderError, Result, register_sender

logger = logging.getLogger(__name__)

# A dot-atom address with an ASCII host name: what almost every stored address is. For these,
# Django's sanitize_address returns the address unchanged, so it need not be parsed again.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
_NEWLINES = re.compile(rb"\r\n|\r|\n")
# Headers this module writes itself, or that would need Django's address handling.
_OWN_HEADERS = ADDRESS_HEADERS | {"date", "subject", "mime-version", "content-type", "content-transfer-encoding"}
_FOLD_AT = 78  # RFC 5322's recommended line length
_WORD_BYTES = 39  # UTF-8 bytes per encoded word: "=?utf-8?b?" + 52 characters + "?=" (64, RFC 2047 allows 75)


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


# --- Writing the message ---------------------------------------------------------------------

def _encoded_words(value: str) -> list[str]:
    """Return `value` as RFC 2047 encoded words (UTF-8, base64), never splitting a character between two."""
    data = value.encode()
    words, start = [], 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: step back to the character's start
            end -= 1
        words.append(f"=?utf-8?b?{b64encode(data[start:end]).decode('ascii')}?=")
        start = end
    return words


def header_line(name: str, value: str) -> str:
    """Return one header, folded at spaces near 78 characters, non-ASCII text as encoded words; no newline inside a value."""
    if "\n" in value or "\r" in value:
        # What Django raises too: a newline would let a value write headers of its own.
        raise BadHeaderError(f"Header values can't contain newlines (got {value!r} for header {name!r})")
    if not value.isascii():
        return f"{name}: " + "\r\n ".join(_encoded_words(value))
    line = f"{name}: {value}"
    if len(line) <= _FOLD_AT:
        return line
    # Folding puts a line break before an existing space: unfolded, the value is unchanged.
    lines = [f"{name}:"]
    for word in value.split(" "):
        if word and len(lines[-1]) + 1 + len(word) > _FOLD_AT and lines[-1] != f"{name}:":
            lines.append(" " + word)
        else:
            lines[-1] += " " + word
    return "\r\n".join(lines)


def _body(text: str) -> bytes | None:
    """Return the text in UTF-8 with CRLF line ends, or None when a line is longer than SMTP allows (Django writes those)."""
    data = text.encode()
    if len(data) > RFC5322_EMAIL_LINE_LENGTH_LIMIT and max(map(len, data.splitlines()), default=0) > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
        return None  # quoted-printable shortens the lines; Django's classes do it
    return _NEWLINES.sub(b"\r\n", data)


def _text_part_headers(subtype: str, body: bytes) -> str:
    encoding = "7bit" if body.isascii() else "8bit"
    return f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}\r\n'


class Composer:
    """Writes the bytes of the outbox's e-mails from one sender; None for a message it leaves to Django."""

    def __init__(self, from_address: str) -> None:
        # Once per batch: Django checks and encodes the From address for every message.
        self.from_header = header_line(
            "From", from_address if from_address.isascii() else sanitize_address(from_address, "utf-8"),
        )
        # The envelope's sender as smtplib would take it from Django's sanitized address (its quoteaddr).
        sanitized = sanitize_address(from_address, "utf-8")
        self.envelope_from = parseaddr(sanitized)[1] or sanitized

    def compose(self, *, recipient: str, subject: str, text: str, html: str, headers: Mapping[str, str]) -> bytes | None:
        """Return the whole message (CRLF line ends, not yet dot-stuffed), or None when Django's classes must write it."""
        if not _PLAIN_ADDRESS.fullmatch(recipient) or any(name.lower() in _OWN_HEADERS for name in headers):
            return None
        text_bytes = _body(text)
        html_bytes = _body(html) if html else b""
        if text_bytes is None or html_bytes is None:
            return None
        lines = [
            header_line("Subject", subject), self.from_header, f"To: {recipient}",
            f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
        ]
        if not any(name.lower() == "message-id" for name in headers):
            lines.append(f"Message-ID: {make_msgid(domain=DNS_NAME)}")
        lines.extend(header_line(name, value) for name, value in headers.items())
        head = "\r\n".join(lines) + "\r\nMIME-Version: 1.0\r\n"
        if not html:
            return (head + _text_part_headers("plain", text_bytes) + "\r\n").encode("ascii") + text_bytes
        boundary = _boundary(text_bytes, html_bytes)
        return b"".join([
            (head + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n--{boundary}\r\n').encode("ascii"),
            _text_part_headers("plain", text_bytes).encode("ascii"), b"\r\n", text_bytes,
            f"\r\n--{boundary}\r\n".encode("ascii"),
            _text_part_headers("html", html_bytes).encode("ascii"), b"\r\n", html_bytes,
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ])


def _boundary(*parts: bytes) -> str:
    while True:
        boundary = f"=_kliyan_{random.getrandbits(96):024x}"  # noqa: S311 - must only not occur in the parts
        if not any(boundary.encode("ascii") in part for part in parts):
            return boundary


# --- Sending ---------------------------------------------------------------------------------

class EmailSender:
    """Sends the outbox's e-mails over one SMTP connection per batch."""

    @staticmethod
    def contents(message: Outgoing) -> tuple[str, str]:
        """Return the plain text and, when tracking is on for this message, its HTML version."""
        if settings.KLIYAN_EMAIL_TRACKING and "List-Unsubscribe" in message.headers:
            from kliyan.marketing import tracking

            tracked = tracking.track(message.message_id, message.body)
            return tracked.text, tracked.html
        return message.body, ""

    def build(self, message: Outgoing, from_address: str = "") -> EmailMessage:
        """Return Django's message object of `message` (the path of every backend but Django's SMTP one)."""
        body, html = self.contents(message)
        email = EmailMultiAlternatives(
            subject=message.subject, body=body, from_email=from_address or _from_address(), to=[message.recipient],
            headers=dict(message.headers),
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
        session: _Session | None = None
        try:
            # Once per batch, not per e-mail: it parses the address and may read the organisation's name.
            from_address = _from_address()
            session = _session_of(connection, from_address)
            written = [self._write(session.composer, message) if session else None for message in messages]
            for index, message in enumerate(messages):
                following = written[index + 1] if index + 1 < len(messages) else None
                try:
                    if session is None or written[index] is None:
                        connection.send_messages([self.build(message, from_address)])
                    else:
                        session.send(message.recipient, written[index], following=(
                            (messages[index + 1].recipient, following) if isinstance(following, bytes) else None
                        ))
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
            if session is not None:
                session.drop_unfinished()
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - every message is already answered
                logger.debug("Closing the SMTP connection failed", exc_info=True)

    def _write(self, composer: Composer, message: Outgoing) -> bytes | Exception | None:
        """Return the message's bytes, None when Django's classes must write it, or the error that stops it (at its turn)."""
        try:
            text, html = self.contents(message)
            return composer.compose(
                recipient=message.recipient, subject=message.subject, text=text, html=html, headers=message.headers,
            )
        except Exception as error:  # noqa: BLE001 - a message that cannot be written fails alone, as with Django's classes
            return error


def _session_of(connection: object, from_address: str) -> _Session | None:
    """Return the session that sends Composer's bytes over Django's own SMTP backend; None for any other backend."""
    smtp = None
    if isinstance(connection, SmtpBackend) and type(connection)._send is SmtpBackend._send:  # not a subclass sending its own way
        smtp = connection.connection
    if not isinstance(smtp, smtplib.SMTP) or settings.DEFAULT_CHARSET.lower() != "utf-8":
        return None
    try:
        return _Session(smtp, Composer(from_address))
    except ValueError:  # a From address Django refuses: its classes fail each message with the reason, as before
        return None


_LINE_STARTING_WITH_A_DOT = re.compile(rb"(?m)^\.")


def _data_lines(data: bytes) -> bytes:
    """Return the message as DATA sends it: a dot doubled at the start of a line, ended by a line holding one dot."""
    data = _LINE_STARTING_WITH_A_DOT.sub(b"..", data)
    return data + (b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n")


class _Session:
    """The mail transactions of one SMTP connection for the messages Composer wrote.

    When the server offers PIPELINING (RFC 2920; Postfix, Exim and the large providers do), a
    message's MAIL, RCPT and DATA go out in one write, right behind the previous message's text,
    and the server reads them while the outbox writes that message's "sent": the sender waits
    for the server about once per message instead of four times, the wait that dominates when
    the server is across a network, or on another CPU. A message's text goes only once the
    outbox has written the previous one's "sent" (send_many resumes after each answer), so a
    worker that dies still leaves at most one message taken by the server and not marked
    "sent" (test_crash.py); an envelope without its text is dropped by the server. Without
    PIPELINING, one command at a time.
    """

    def __init__(self, smtp: smtplib.SMTP, composer: Composer) -> None:
        self.smtp, self.composer = smtp, composer
        self.pipelining: bool | None = None  # known after EHLO
        self.envelope_written = False  # the next message's MAIL, RCPT and DATA are written, not yet answered

    def send(self, recipient: str, data: bytes | Exception, *, following: tuple[str, bytes] | None) -> None:
        """Send one message (or raise the error that stopped Composer); raise what smtplib's sendmail raises for the same answers."""
        if isinstance(data, Exception):
            raise data
        if self.pipelining is None:
            self.smtp.ehlo_or_helo_if_needed()
            self.pipelining = bool(self.smtp.does_esmtp and self.smtp.has_extn("pipelining"))
        if not self.pipelining:
            _sendmail(self.smtp, self.composer.envelope_from, recipient, data)
            return
        if not self.envelope_written:
            self.smtp.send(self._envelope(recipient, data))
        self.envelope_written = False
        self._check_envelope(recipient)
        self.smtp.send(_data_lines(data) + (self._envelope(*following) if following else b""))
        self.envelope_written = following is not None
        code, reply = self.smtp.getreply()
        if code != 250:
            if code == 421:
                self.smtp.close()
            # The transaction ended with the dot, taken or not: no RSET, which would land in the next DATA.
            raise smtplib.SMTPDataError(code, reply)

    def drop_unfinished(self) -> None:
        """Close a connection left waiting for a message's text: QUIT there would be read as that text."""
        if self.envelope_written:
            self.smtp.close()

    def _envelope(self, recipient: str, data: bytes) -> bytes:
        size = f" size={len(data)}" if self.smtp.has_extn("size") else ""
        return f"MAIL FROM:<{self.composer.envelope_from}>{size}\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode("ascii")

    def _check_envelope(self, recipient: str) -> None:
        (mail, mail_reply), (rcpt, rcpt_reply), (data, data_reply) = (self.smtp.getreply() for _ in range(3))
        if mail == 250 and rcpt in (250, 251) and data == 354:
            return
        if data == 354:
            # A server that took DATA though the envelope failed: end that message empty before saying why.
            self.smtp.send(b".\r\n")
            self.smtp.getreply()
        if mail != 250:
            _give_up_message(self.smtp, mail)
            raise smtplib.SMTPSenderRefused(mail, mail_reply, self.composer.envelope_from)
        if rcpt not in (250, 251):
            _give_up_message(self.smtp, rcpt)
            raise smtplib.SMTPRecipientsRefused({recipient: (rcpt, rcpt_reply)})
        _give_up_message(self.smtp, data)
        raise smtplib.SMTPDataError(data, data_reply)


def _sendmail(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """Do what smtplib's sendmail does for one recipient, raising what it raises, without parsing both addresses again.

    sendmail runs each address through email.utils.parseaddr for every message; here the sender
    is parsed once per batch and the recipient is a plain address (Composer.compose checked it).
    """
    size = f" size={len(data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    smtp.putcmd("mail", f"FROM:<{sender}>{size}")
    code, reply = smtp.getreply()
    if code != 250:
        _give_up_message(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    smtp.putcmd("rcpt", f"TO:<{recipient}>")
    code, reply = smtp.getreply()
    if code not in (250, 251):
        _give_up_message(smtp, code)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = smtp.data(data)
    if code != 250:
        _give_up_message(smtp, code)
        raise smtplib.SMTPDataError(code, reply)


def _give_up_message(smtp: smtplib.SMTP, code: int) -> None:
    """Leave the connection ready for the next message (RSET), or closed when the server is closing it (421)."""
    if code == 421:
        smtp.close()
        return
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def register() -> None:
    register_sender("email", EmailSender)
