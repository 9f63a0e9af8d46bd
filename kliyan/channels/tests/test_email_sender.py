"""The e-mail sender: the bytes it writes itself say what Django's mail classes would, and arrive over SMTP."""

from __future__ import annotations

import email
from email import policy as email_policy
from email.message import EmailMessage as ParsedEmail
from typing import Any

import pytest
from django.core.mail.message import BadHeaderError

from kliyan.channels.email_sender import Composer, EmailSender, header_line
from kliyan.channels.senders import Outgoing, ProviderError
from kliyan.marketing.tests.outbox_fixtures import Inbox, smtp  # noqa: F401 - fixture

FROM = "Boutik Lakay <news@boutik.example>"
UNSUBSCRIBE = {
    "List-Unsubscribe": "<https://crm.boutik.example/m/u/WzEsImVtYWlsIiwxXQ:1xXusw:AUYANaaG7i-gk_viE-lFkDTjIRFTwOV6q0bx/>, "
                        "<mailto:news@boutik.example?subject=unsubscribe%20WzEsImVtYWlsIiwxXQ%3A1xXusw%3AAUYANaaG7i>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def outgoing(*, subject: str, body: str, recipient: str = "wozlo@example.ht", marketing: bool = True, pk: int = 7,
             language: str = "ht") -> Outgoing:
    headers = {"Message-ID": f"<kliyan.{pk}.3a38c771a4b24680@boutik.example>", "Content-Language": language}
    headers.update(UNSUBSCRIBE if marketing else {"Auto-Submitted": "auto-generated"})
    return Outgoing(message_id=pk, channel="email", recipient=recipient, body=body, subject=subject, language=language,
                    headers=headers)


def parse(data: bytes) -> ParsedEmail:
    return email.message_from_bytes(data, policy=email_policy.default)


def composed(message: Outgoing, from_address: str = FROM) -> bytes:
    text, html = EmailSender.contents(message)
    data = Composer(from_address).compose(
        recipient=message.recipient, subject=message.subject, text=text, html=html, headers=message.headers,
    )
    assert data is not None
    return data


def by_django(message: Outgoing, from_address: str = FROM) -> bytes:
    return EmailSender().build(message, from_address).message().as_bytes(linesep="\r\n")


def meaning(mail: ParsedEmail) -> dict[str, Any]:
    """What a mail program reads: every header decoded (but the date and the MIME boundary), and each part's type and text."""
    # Stripped: Django folds a long subject right after "Subject:", which the parser keeps as a leading space.
    headers = {name.lower(): str(value).strip() for name, value in mail.items() if name.lower() not in {"date", "content-type"}}
    parts = [mail] if not mail.is_multipart() else list(mail.iter_parts())
    return {
        "headers": headers, "type": mail.get_content_type(), "charset": mail.get_content_charset(),
        "parts": [(part.get_content_type(), part.get_content_charset(), part.get_content()) for part in parts],
    }


CASES = {
    "haitian creole": outgoing(
        subject="Wozlò, yon òf espesyal pou ou semèn sa a — 15 % rabè sou tout bagay nan Boutik Lakay",
        body="Bonjou Wozlò,\n\nMèsi paske ou te achte Diri 25 kg.\nKòd LAKAY15 la ba ou 15 % rabè.\n\nNou la pou ou,\nBoutik Lakay\n",
    ),
    "romanian": outgoing(
        subject="Ștefan, reducere de 15 % la tot magazinul până duminică — țesături și încălțăminte",
        body="Bună ziua, Ștefan!\r\nÎți mulțumim pentru achiziția de săptămâna trecută.\rCodul ȚARĂ15 îți aduce 15 % reducere.",
        language="ro",
    ),
    "ascii, folded": outgoing(
        subject="Xhesika, 15 % off for you this week on every single thing we sell in the shop and online", body="Hello\n",
        language="en",
    ),
    "transactional": outgoing(subject="Your order B00001234 is ready", body="Hello,\n.\nIt is ready.", marketing=False,
                              language="en"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_composed_bytes_read_as_the_headers_and_text_django_would_send(case: Outgoing, settings: Any) -> None:
    settings.KLIYAN_EMAIL_TRACKING = False
    assert meaning(parse(composed(case))) == meaning(parse(by_django(case)))


@pytest.mark.parametrize("case", [CASES["haitian creole"], CASES["romanian"]], ids=["haitian creole", "romanian"])
def test_a_tracked_email_has_the_same_text_and_html_parts_as_djangos(case: Outgoing, settings: Any) -> None:
    settings.KLIYAN_EMAIL_TRACKING, settings.KLIYAN_PUBLIC_URL = True, "https://crm.boutik.example"
    ours, theirs = parse(composed(case)), parse(by_django(case))
    assert ours.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in ours.iter_parts()] == ["text/plain", "text/html"]
    assert meaning(ours) == meaning(theirs)


def test_a_sender_name_with_diacritics_reads_back_whole() -> None:
    from_address = "Magazinul Țară Ăâ <hello@shop.example>"
    case = CASES["romanian"]
    ours = parse(composed(case, from_address))
    assert ours["From"].addresses[0].display_name == "Magazinul Țară Ăâ"
    assert ours["From"].addresses[0].addr_spec == "hello@shop.example"
    assert meaning(ours) == meaning(parse(by_django(case, from_address)))


def test_long_headers_are_folded_under_78_characters_and_unfold_to_the_same_value() -> None:
    subject = CASES["romanian"].subject
    encoded = header_line("Subject", subject)
    ascii_folded = header_line("List-Unsubscribe", UNSUBSCRIBE["List-Unsubscribe"])
    assert all(len(line) <= 78 for line in encoded.split("\r\n"))
    assert ascii_folded.count("\r\n") >= 1
    assert ascii_folded.replace("\r\n", "") == "List-Unsubscribe: " + UNSUBSCRIBE["List-Unsubscribe"]
    assert str(parse((encoded + "\r\n\r\n").encode())["Subject"]) == subject


def test_a_newline_in_a_header_is_refused_as_django_refuses_it() -> None:
    with pytest.raises(BadHeaderError):
        header_line("Subject", "Hello\r\nBcc: everyone@example.org")


@pytest.mark.parametrize("recipient, body, headers", [
    ("ștefan@exemple.ro", "Hello", {}),  # an address that must be encoded
    ("rose@example.ht", "x" * 999, {}),  # a line longer than SMTP allows: quoted-printable
    ("rose@example.ht", "Hello", {"Reply-To": "Shop <help@shop.example>"}),  # an address header
])
def test_what_the_composer_does_not_write_simply_is_left_to_django(recipient: str, body: str, headers: dict[str, str]) -> None:
    assert Composer(FROM).compose(recipient=recipient, subject="Hi", text=body, html="", headers=headers) is None


@pytest.fixture
def sending(settings: Any) -> Any:
    settings.DEFAULT_FROM_EMAIL = FROM
    settings.KLIYAN_EMAIL_TRACKING = False
    return settings


def test_over_smtp_every_email_arrives_once_with_its_names_and_subject_decoded(smtp: Inbox, sending: Any) -> None:  # noqa: F811
    batch = [
        CASES["haitian creole"],
        CASES["romanian"],
        # Left to Django's classes (the address needs encoding), in the same batch and connection.
        outgoing(subject="Bună, Ana", body="Text", recipient="ană@exemple.ro", pk=8, language="ro"),
    ]
    answers = dict(EmailSender().send_many(batch))
    assert answers == {message.message_id: message.headers["Message-ID"] for message in batch}
    assert [recipients for recipients, _mail in smtp.messages][:2] == [["wozlo@example.ht"], ["wozlo@example.ht"]]
    for message, (_recipients, mail) in zip(batch, smtp.messages, strict=True):
        assert mail["Subject"] == message.subject
        assert mail["Message-ID"] == message.headers["Message-ID"]
        assert mail["From"].addresses[0].display_name == "Boutik Lakay"
        assert mail.get_content().replace("\r\n", "\n").rstrip("\n") == message.body.replace("\r\n", "\n").replace(
            "\r", "\n").rstrip("\n")
    assert smtp.messages[0][1]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp.messages[0][1]["List-Unsubscribe"] == UNSUBSCRIBE["List-Unsubscribe"]


class RefusingRecipients(Inbox):
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_recipient_fails_that_email_only_and_the_next_one_goes(smtp: Inbox, sending: Any, settings: Any) -> None:  # noqa: F811
    from kliyan.marketing.tests.outbox_fixtures import start_smtp

    inbox = RefusingRecipients()
    controller = start_smtp(inbox)
    settings.EMAIL_PORT = controller.bound_port
    try:
        batch = [outgoing(subject="A", body="a", recipient="gone@example.ht", pk=1), outgoing(subject="B", body="b", pk=2)]
        answers = dict(EmailSender().send_many(batch))
    finally:
        controller.stop()
    assert isinstance(answers[1], ProviderError) and not answers[1].retryable and "550" in str(answers[1])
    assert answers[2] == batch[1].headers["Message-ID"]
    assert [(recipients, mail["Subject"]) for recipients, mail in inbox.messages] == [(["wozlo@example.ht"], "B")]


class PipeliningServer(Inbox):
    """An SMTP server that offers PIPELINING (as Postfix does) and refuses the recipients named `gone@…`."""

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802 - aiosmtpd's hook
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def pipelining(sending: Any, settings: Any) -> Any:
    from kliyan.marketing.tests.outbox_fixtures import start_smtp

    server = PipeliningServer()
    controller = start_smtp(server)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = "127.0.0.1", controller.bound_port, False, 5
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield server
    finally:
        controller.stop()


def test_with_pipelining_each_email_is_one_write_behind_the_previous_one(pipelining: PipeliningServer, monkeypatch: Any) -> None:
    import smtplib

    writes: list[bytes] = []
    send = smtplib.SMTP.send
    monkeypatch.setattr(smtplib.SMTP, "send", lambda self, data: (
        writes.append(data.encode() if isinstance(data, str) else data), send(self, data),
    )[1])
    batch = [outgoing(subject=f"Mesaj {n}", body=f".{n}\n..ok\n", pk=n) for n in (1, 2, 3)]
    answers = dict(EmailSender().send_many(batch))
    assert answers == {message.message_id: message.headers["Message-ID"] for message in batch}
    transactions = [data for data in writes if not data.startswith((b"ehlo", b"quit"))]
    # The first envelope alone, then each text with the next envelope behind it, then the last text.
    assert [data.count(b"MAIL FROM:") for data in transactions] == [1, 1, 1, 0]
    assert [mail["Subject"] for _recipients, mail in pipelining.messages] == ["Mesaj 1", "Mesaj 2", "Mesaj 3"]
    # Dots at the start of a line are doubled on the wire and arrive single.
    assert pipelining.messages[0][1].get_content().replace("\r\n", "\n") == ".1\n..ok\n"


def test_with_pipelining_a_refusal_fails_that_email_only_and_the_rest_go(pipelining: PipeliningServer) -> None:
    batch = [
        outgoing(subject="A", body="a", pk=1),
        outgoing(subject="B", body="b", recipient="gone@example.ht", pk=2),  # its envelope went behind A's text
        outgoing(subject="C", body="c", pk=3),
        outgoing(subject="D", body="d", pk=4),
    ]
    pipelining.refuse_next = 1  # A's text: 451, while B's envelope is already written
    answers = dict(EmailSender().send_many(batch))
    assert isinstance(answers[1], ProviderError) and answers[1].retryable and "451" in str(answers[1])
    assert isinstance(answers[2], ProviderError) and not answers[2].retryable and "550" in str(answers[2])
    assert answers[3] == batch[2].headers["Message-ID"] and answers[4] == batch[3].headers["Message-ID"]
    assert [mail["Subject"] for _recipients, mail in pipelining.messages] == ["C", "D"]


def test_with_pipelining_a_message_left_to_django_goes_between_two_pipelined_ones(pipelining: PipeliningServer) -> None:
    batch = [
        outgoing(subject="A", body="a", pk=1),
        outgoing(subject="B", body="b", recipient="ană@exemple.ro", pk=2),
        outgoing(subject="C", body="c", pk=3),
    ]
    answers = dict(EmailSender().send_many(batch))
    assert all(not isinstance(answer, ProviderError) for answer in answers.values())
    assert [mail["Subject"] for _recipients, mail in pipelining.messages] == ["A", "B", "C"]


def test_a_batch_abandoned_with_the_next_envelope_written_closes_at_once(pipelining: PipeliningServer) -> None:
    import time

    batch = [outgoing(subject="A", body="a", pk=1), outgoing(subject="B", body="b", pk=2)]
    sending = EmailSender().send_many(batch)
    assert next(sending) == (1, batch[0].headers["Message-ID"])
    started = time.monotonic()
    sending.close()  # the outbox stopped (a crash, a bug): B's envelope waits for a text that never comes
    # A QUIT now would be read as B's text and wait out the time-out (5 s here); the connection is dropped instead.
    assert time.monotonic() - started < 1
    assert [mail["Subject"] for _recipients, mail in pipelining.messages] == ["A"]
