"""Raw e-mails (fixtures in tests/mail/) are read into sender, subject, ids, text and files."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kliyan.service.mail_in import UnparseableMail, html_to_text, parse_message


def test_a_plain_utf8_message_keeps_its_accents_and_ids(eml) -> None:
    mail = parse_message(eml("plain_utf8.eml"))
    assert (mail.from_name, mail.from_address) == ("Marie Joseph", "marie.joseph@example.ht")
    assert mail.subject == "Kòmand mwen an poko rive"
    assert mail.message_id == "<CAplain.0001@mail.example.ht>"
    assert mail.to == ["help@shop.example"]
    assert "Èske nou ka di m kilè l ap rive ?" in mail.text
    assert (mail.in_reply_to, mail.references, mail.attachments, mail.auto_submitted) == ([], [], [], False)


def test_a_multipart_message_gives_its_text_and_every_attachment(eml) -> None:
    mail = parse_message(eml("multipart_attachment.eml"))
    assert mail.from_name == "Ștefan Popescu"  # a raw UTF-8 display name, repaired
    assert mail.subject == "Factura greșită"
    assert mail.text == "Bună ziua,\n\nFactura atașată are o sumă greșită.\n\nȘtefan"
    files = {(a.name, a.content_type): a.content for a in mail.attachments}
    assert set(files) == {("factura-1042.pdf", "application/pdf"), ("poză.png", "image/png")}
    assert files[("factura-1042.pdf", "application/pdf")].startswith(b"%PDF-1.4")
    assert files[("poză.png", "image/png")].startswith(b"\x89PNG")


def test_iso_8859_1_body_and_encoded_word_headers_are_decoded(eml) -> None:
    mail = parse_message(eml("latin1_encoded_subject.eml"))
    assert mail.subject == "Problème de livraison à Lyon"
    assert mail.from_name == "André Lefèvre"
    assert "Le colis n'est pas arrivé à l'adresse indiquée. Pourriez-vous vérifier ?" in mail.text


def test_windows_1252_curly_quotes_dash_and_euro_survive(eml) -> None:
    mail = parse_message(eml("windows1252.eml"))
    assert mail.subject == "Produkti i dëmtuar"
    assert "Kutia erdhi e thyer “plotësisht” – çmimi ishte 25 €." in mail.text


def test_an_html_only_message_becomes_plain_text_without_scripts_or_styles(eml) -> None:
    mail = parse_message(eml("html_only.eml"))
    assert mail.text == (
        "Moni,\n\nKodi oda yanga ya feteleza idzafika liti?\nZikomo & café.\n\n- NPK 50 kg\n- Urea 50 kg\n\n"
        "Onani oda yanga (https://shop.example/orders/7)."
    )
    assert "alert" not in mail.text and "color" not in mail.text and "<" not in mail.text


def test_reply_headers_are_read_as_lists_of_ids(eml) -> None:
    assert parse_message(eml("reply_in_reply_to.eml")).thread_ids == ["<CAplain.0001@mail.example.ht>"]
    references = parse_message(eml("reply_references.eml"))
    assert references.references == ["<unknown.9999@elsewhere.example>", "<CAplain.0001@mail.example.ht>"]
    # The newest reference (the direct parent) is tried first.
    assert references.thread_ids == ["<CAplain.0001@mail.example.ht>", "<unknown.9999@elsewhere.example>"]


def test_the_subject_tag_names_the_ticket(eml) -> None:
    assert parse_message(eml("reply_subject_tag.eml").replace(b"T-000000", b"T-000042")).subject_ticket_id == 42


def test_an_automatic_answer_is_recognised(eml) -> None:
    assert parse_message(eml("out_of_office.eml")).auto_submitted is True


def test_a_message_without_message_id_gets_a_stable_stand_in(eml) -> None:
    raw = eml("plain_utf8.eml").replace(b"Message-ID: <CAplain.0001@mail.example.ht>\r\n", b"")
    first, again = parse_message(raw), parse_message(raw)
    assert first.message_id == again.message_id
    assert first.message_id.endswith("@kliyan.invalid>")


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"\x00\x01\x02binary", b"just some words\r\nwith no headers\r\n",
                                 b"Subject: no sender\r\n\r\nbody"])
def test_input_that_is_not_a_usable_email_is_refused_clearly(raw: bytes) -> None:
    with pytest.raises(UnparseableMail) as caught:
        parse_message(raw)
    assert caught.value.message


def test_html_to_text_keeps_the_text_of_broken_markup() -> None:
    assert html_to_text("<div>Bonjou<br>zanmi <b>mwen</div><p>&lt;script&gt;") == "Bonjou\nzanmi mwen\n\n<script>"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_parsing_arbitrary_bytes_never_fails_other_than_unparseable(raw: bytes) -> None:
    try:
        mail = parse_message(b"From: a@b.example\r\n" + raw)
    except UnparseableMail:
        return
    assert isinstance(mail.text, str) and mail.message_id.startswith("<")
