"""Incoming e-mail becomes a ticket, or joins the ticket it answers; the same Message-ID is stored once."""

from __future__ import annotations

import pytest

from kliyan.contacts.models import Contact
from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry
from kliyan.service import mail_in
from kliyan.service.choices import MessageKind, TicketStatus
from kliyan.service.models import Ticket, TicketAttachment, TicketEvent, TicketMessage
from kliyan.service.services import ticket_change_status, ticket_reply

pytestmark = pytest.mark.django_db


def test_mail_from_an_unknown_sender_creates_the_contact_and_a_ticket(eml) -> None:
    receipt = mail_in.receive(eml("plain_utf8.eml"))
    assert receipt.outcome == "created"
    ticket = receipt.ticket
    contact = ticket.contact
    assert (contact.first_name, contact.last_name, contact.primary_email) == ("Marie", "Joseph", "marie.joseph@example.ht")
    assert (contact.source, contact.source_detail) == ("other", "Created from an e-mail to the service desk")
    assert AuditEntry.objects.filter(object_type="contacts.contact", object_id=str(contact.pk), action="create").exists()
    assert (ticket.subject, ticket.channel, ticket.status, ticket.kind) == ("Kòmand mwen an poko rive", "email", "new", "question")
    message = receipt.message
    assert (message.kind, message.message_id, message.from_address) == (
        MessageKind.CUSTOMER, "<CAplain.0001@mail.example.ht>", "marie.joseph@example.ht")
    assert "SO-1042" in message.body


def test_mail_from_a_known_address_goes_to_that_contact(eml, agent) -> None:
    known = contact_create(actor=agent, data={"first_name": "Marie", "last_name": "Jozèf",
                                              "emails": [{"email": "Marie.Joseph@example.ht"}]})
    receipt = mail_in.receive(eml("plain_utf8.eml"))
    assert receipt.ticket.contact == known
    assert Contact.objects.count() == 1


def test_the_same_message_id_twice_is_stored_once(eml) -> None:
    first = mail_in.receive(eml("plain_utf8.eml"))
    again = mail_in.receive(eml("duplicate.eml"))  # same Message-ID, re-delivered through another relay
    assert again.outcome == "duplicate"
    assert again.message == first.message
    assert (Ticket.objects.count(), TicketMessage.objects.count(), Contact.objects.count()) == (1, 1, 1)


def test_attachments_are_kept_with_their_name_type_size_and_hash(eml) -> None:
    receipt = mail_in.receive(eml("multipart_attachment.eml"))
    files = {a.name: a for a in TicketAttachment.objects.filter(message=receipt.message)}
    assert set(files) == {"factura-1042.pdf", "poză.png"}
    pdf = files["factura-1042.pdf"]
    assert (pdf.content_type, pdf.size, pdf.ticket_id) == ("application/pdf", 45, receipt.ticket.pk)
    import hashlib

    with pdf.file.open("rb") as handle:
        content = handle.read()
    assert hashlib.sha256(content).hexdigest() == pdf.sha256 and content.startswith(b"%PDF")


@pytest.mark.parametrize("name", ["latin1_encoded_subject.eml", "windows1252.eml", "html_only.eml"])
def test_other_charsets_and_html_only_mail_make_readable_tickets(eml, name: str) -> None:
    receipt = mail_in.receive(eml(name))
    assert receipt.outcome == "created"
    text = receipt.message.body
    assert "\ufffd" not in text and "<p>" not in text and text


def test_a_reply_with_in_reply_to_joins_the_ticket(eml) -> None:
    ticket = mail_in.receive(eml("plain_utf8.eml")).ticket
    receipt = mail_in.receive(eml("reply_in_reply_to.eml"))
    assert (receipt.outcome, receipt.ticket) == ("added", ticket)
    assert receipt.message.in_reply_to == "<CAplain.0001@mail.example.ht>"


def test_a_reply_with_only_references_joins_the_ticket(eml) -> None:
    ticket = mail_in.receive(eml("plain_utf8.eml")).ticket
    assert mail_in.receive(eml("reply_references.eml")).ticket == ticket


def test_a_reply_with_only_the_subject_tag_joins_the_ticket_of_that_sender(eml) -> None:
    ticket = mail_in.receive(eml("plain_utf8.eml")).ticket
    receipt = mail_in.receive(eml("reply_subject_tag.eml", ticket=ticket))
    assert (receipt.outcome, receipt.ticket) == ("added", ticket)


def test_a_subject_tag_from_another_sender_opens_a_new_ticket(eml, ticket) -> None:
    # `ticket` belongs to Ștefan; Marie cannot write into it by copying its reference.
    receipt = mail_in.receive(eml("reply_subject_tag.eml", ticket=ticket))
    assert receipt.outcome == "created" and receipt.ticket != ticket
    assert not TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER, from_address__contains="marie").exists()


def test_the_customer_answering_our_reply_threads_by_our_message_id(eml, agent, ticket, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(actor=agent, ticket=ticket, body="Colet expediat azi.", status=TicketStatus.WAITING)
    answer = (
        f"From: Stefan Popescu <stefan.popescu@example.ro>\r\nTo: help@shop.example\r\nSubject: Re: whatever\r\n"
        f"Message-ID: <answer.1@example.ro>\r\nIn-Reply-To: {reply.message_id}\r\n\r\nMultumesc!\r\n"
    ).encode()
    receipt = mail_in.receive(answer)
    assert receipt.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.waiting_since is None


def test_a_customer_reply_reopens_a_resolved_ticket(eml, agent) -> None:
    ticket = mail_in.receive(eml("plain_utf8.eml")).ticket
    ticket_change_status(actor=agent, ticket=ticket, status=TicketStatus.RESOLVED)
    mail_in.receive(eml("reply_in_reply_to.eml"))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == (TicketStatus.REOPENED, None)
    line = TicketEvent.objects.filter(ticket=ticket, kind="status").last()
    assert (line.old_value, line.new_value, line.actor_id, line.actor_label) == ("resolved", "reopened", None, "Marie Joseph")


def test_an_automatic_answer_is_kept_but_moves_nothing(eml, agent) -> None:
    ticket = mail_in.receive(eml("plain_utf8.eml")).ticket
    ticket_change_status(actor=agent, ticket=ticket, status=TicketStatus.WAITING)
    receipt = mail_in.receive(eml("out_of_office.eml"))
    ticket.refresh_from_db()
    assert receipt.ticket == ticket and ticket.status == TicketStatus.WAITING


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(eml, agent) -> None:
    ticket = mail_in.receive(eml("plain_utf8.eml")).ticket
    ticket_change_status(actor=agent, ticket=ticket, status=TicketStatus.CLOSED)
    receipt = mail_in.receive(eml("reply_in_reply_to.eml"))
    assert receipt.outcome == "created"
    assert (receipt.ticket.follow_up_of, receipt.ticket.contact, receipt.ticket.subject) == (ticket, ticket.contact, "Kòmand mwen an poko rive")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_mail_from_our_own_address_is_ignored(eml) -> None:
    raw = eml("plain_utf8.eml").replace(b"From: Marie Joseph <marie.joseph@example.ht>", b"From: Shop <help@shop.example>")
    assert mail_in.receive(raw).outcome == "ignored"
    assert not Ticket.objects.exists()


def test_a_sender_address_the_contacts_refuse_is_a_clear_error_and_nothing_is_written(eml) -> None:
    raw = eml("plain_utf8.eml").replace(b"marie.joseph@example.ht", b"marie@localhost-nodot")
    with pytest.raises(mail_in.UnparseableMail) as caught:
        mail_in.receive(raw)
    assert "marie@localhost-nodot" in caught.value.message
    assert not Ticket.objects.exists() and not Contact.objects.exists()


def test_an_attachment_over_the_limit_is_named_in_the_message_not_kept(eml, settings) -> None:
    settings.KLIYAN_ATTACHMENT_MAX_BYTES = 50
    receipt = mail_in.receive(eml("multipart_attachment.eml"))
    assert list(TicketAttachment.objects.values_list("name", flat=True)) == ["factura-1042.pdf"]
    assert "poză.png" in receipt.message.body and "too large" in receipt.message.body
