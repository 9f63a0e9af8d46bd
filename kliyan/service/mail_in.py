"""E-mail in: read a raw RFC 5322 message and file it as a ticket or as a reply to one.

Parsing uses only the standard library (`email` with policy.default, `html.parser`). The
entry points are `kliyan mail-in` (one message on standard input, for an MTA pipe) and
POST /api/v1/service/mail; both call `receive`.

Threading, in order: the In-Reply-To and References ids matched against the Message-IDs we
stored (customers' mails and our replies); else a "[T-000123]" tag in the subject, but only
from an address of that ticket's contact (a tag is easy to copy, our Message-IDs are not);
else a new ticket. A Message-ID seen before is not stored again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kliyan.core.errors import KliyanError

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
SUBJECT_TAG = re.compile(r"\[\s*T-(\d{1,12})\s*\]", re.IGNORECASE)
# Labels a mail program puts before a reply's or a forward's subject, in several languages.
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|tr|aw|sv|vs|rif|r|odp|ant|res|enc)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# Declared Latin-1 is often Windows-1252 in fact (curly quotes, the euro sign); WHATWG's rule.
CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}
SYNTHETIC_DOMAIN = "kliyan.invalid"


class UnparseableMail(KliyanError):
    """The input is not an e-mail we can file (no sender, not a message at all)."""

    status = 422
    code = "unparseable_mail"


@dataclass(frozen=True)
class MailAttachment:
    name: str
    content_type: str
    content: bytes


@dataclass
class ParsedMail:
    message_id: str
    from_name: str
    from_address: str
    subject: str
    text: str
    to: list[str] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)
    auto_submitted: bool = False

    @property
    def thread_ids(self) -> list[str]:
        """Return the ids this mail answers, the most direct first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))

    @property
    def subject_ticket_id(self) -> int | None:
        match = SUBJECT_TAG.search(self.subject)
        return int(match.group(1)) if match else None


def parse_message(raw: bytes) -> ParsedMail:
    """Return the parts of a raw e-mail that the service desk keeps; raise UnparseableMail if it is none."""
    if not raw or not raw.strip():
        raise UnparseableMail(_("The message is empty."))
    if b"\x00" in raw[:4096]:
        raise UnparseableMail(_("This is not an e-mail message (binary data)."))
    message = BytesParser(policy=policy.default).parsebytes(raw)
    from_name, from_address = _sender(message)
    if not from_address:
        raise UnparseableMail(_("The message has no sender address (From)."))
    body_parts: list[Message] = []
    text = _body_text(message, body_parts)
    own_ids = _ids(_header(message, "Message-ID"))
    return ParsedMail(
        message_id=own_ids[0] if own_ids else _synthetic_id(raw),
        from_name=from_name,
        from_address=from_address,
        subject=" ".join(_header(message, "Subject").split())[:255],
        text=text,
        to=_addresses(message, "To"),
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        attachments=list(_attachments(message, body_parts)),
        auto_submitted=_is_automatic(message),
    )


def repair(text: str) -> str:
    """Return `text` with raw 8-bit bytes the parser kept as surrogates decoded (UTF-8, else Windows-1252).

    Headers should be ASCII (RFC 2047 encoded words), but many mail programs send UTF-8 as is.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    return text


def _header(message: Message, name: str) -> str:
    """Return a header as text (encoded words decoded), "" if absent or beyond repair."""
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError, AttributeError):
        value = None
    if value is None:
        return repair(_raw_header(message, name))
    return repair(str(value))


def _raw_header(message: Message, name: str) -> str:
    for key, value in message.raw_items() if hasattr(message, "raw_items") else []:
        if key.lower() == name.lower():
            return str(value)
    return ""


def _sender(message: Message) -> tuple[str, str]:
    for name in ("From", "Sender", "Return-Path"):
        try:
            header = message.get(name)
            addresses = getattr(header, "addresses", ())
        except (ValueError, TypeError, IndexError, AttributeError):
            addresses = ()
        for address in addresses:
            if address.addr_spec and "@" in address.addr_spec:
                return " ".join(repair(address.display_name).split())[:200], repair(address.addr_spec).strip().lower()[:254]
    return "", ""


def _addresses(message: Message, name: str) -> list[str]:
    try:
        header = message.get(name)
        return [a.addr_spec.lower() for a in getattr(header, "addresses", ()) if a.addr_spec]
    except (ValueError, TypeError, IndexError, AttributeError):
        return []


def _ids(value: str) -> list[str]:
    return list(dict.fromkeys(m[:255] for m in MESSAGE_ID.findall(value or "")))


def _synthetic_id(raw: bytes) -> str:
    """Return a stand-in Message-ID for a mail without one: the same bytes give the same id."""
    return f"<{hashlib.sha256(raw).hexdigest()}@{SYNTHETIC_DOMAIN}>"


def _is_automatic(message: Message) -> bool:
    """Return whether a program wrote this (an out-of-office answer, a bounce, a mailing list)."""
    auto = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    return (bool(auto) and auto != "no") or precedence in {"bulk", "junk", "auto_reply"} or bool(_header(message, "X-Autoreply"))


# --- Body ------------------------------------------------------------------------------


def decode_part(part: Message) -> str:
    """Return a text part's content as str, whatever (or however wrongly) its charset is declared."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(payload or "")
    charset = (part.get_content_charset() or "us-ascii").lower()
    charset = CHARSET_ALIASES.get(charset, charset)
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know: UTF-8 if it is that, else Windows-1252
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")


def _body_text(message: Message, used: list[Message]) -> str:
    """Return the message's text: its plain part, else its HTML part turned into text."""
    if not isinstance(message, EmailMessage):
        return ""
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    for part in (plain, html):
        if part is not None:
            used.append(part)
    if plain is not None:
        text = decode_part(plain)
    elif html is not None:
        text = html_to_text(decode_part(html))
    else:
        text = ""
    return _tidy(text)


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _TextExtractor(HTMLParser):
    """Turn HTML into readable plain text: paragraphs and line breaks kept, scripts and styles dropped."""

    BLOCKS = {"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr"}
    SKIPPED = {"script", "style", "head", "title", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag in {"td", "th"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS and tag != "li":
            self.parts.append("\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href.startswith(("http://", "https://")) and href not in "".join(self.parts[-3:]):
                self.parts.append(f" ({href})")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "hr"}:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """Return the text of an HTML mail (never its markup: nothing of it is rendered as HTML)."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup; keep what it read
        pass
    return extractor.text()


# --- Attachments -------------------------------------------------------------------------


def _attachments(message: Message, body_parts: list[Message]) -> Any:
    """Yield every file of the message: parts with a file name or not meant to be read inline.

    A forwarded e-mail (message/rfc822) is kept whole, as an .eml file.
    """
    yield from _walk(message, body_parts, top=True)


def _walk(part: Message, body_parts: list[Message], *, top: bool = False) -> Any:
    content_type = part.get_content_type()
    if part.is_multipart() and not (content_type == "message/rfc822" and not top):
        for child in part.iter_parts() if isinstance(part, EmailMessage) else part.get_payload():
            yield from _walk(child, body_parts)
        return
    if any(part is used for used in body_parts):
        return
    if content_type == "message/rfc822":
        inner = part.get_payload()
        content = inner[0].as_bytes() if isinstance(inner, list) and inner else bytes(part.get_payload(decode=True) or b"")
        subject = inner[0].get("Subject", "") if isinstance(inner, list) and inner else ""
        yield MailAttachment(name=f"{str(subject)[:80] or 'message'}.eml", content_type="message/rfc822", content=content)
        return
    try:
        name = repair(part.get_filename() or "")
    except (ValueError, TypeError, IndexError):
        name = ""
    disposition = (part.get_content_disposition() or "").lower()
    if not name and disposition != "attachment" and part.get_content_maintype() == "text":
        return  # an alternative text of the body, or a signature part: nothing to keep apart
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return
    if not name:
        extension = {"image": ".img", "text": ".txt"}.get(part.get_content_maintype(), ".bin")
        name = f"attachment{extension}"
    yield MailAttachment(name=name, content_type=content_type, content=payload)


# --- Receiving ---------------------------------------------------------------------------


def receive(raw: bytes, *, actor: Any = None) -> Any:
    """Parse `raw` and file it (see kliyan.service.inbox.mail_receive); return the receipt."""
    from kliyan.service.inbox import mail_receive

    return mail_receive(actor=actor, mail=parse_message(raw))


def max_bytes() -> int:
    return int(settings.KLIYAN_MAIL_MAX_BYTES)
