"""Tickets on the contact's timeline, the contact page's panel and the call screen pop."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kliyan.core.registry import contact_timeline
from kliyan.service import services
from kliyan.service.pop import known_issues_section, tickets_section

pytestmark = pytest.mark.django_db


def test_tickets_appear_on_the_contacts_timeline_without_their_notes(agent, contact, ticket) -> None:
    services.ticket_add_note(actor=agent, ticket=ticket, body="Internal: courier lost it.")
    entries = [e for e in contact_timeline(contact.pk, kinds=["ticket"])]
    assert len(entries) == 1
    entry = entries[0]
    assert entry.title == f"Complaint {ticket.reference}: Livrare întârziată"
    assert entry.url == reverse("service:ticket_detail", args=[ticket.pk])
    assert entry.data["status"] == "new" and "courier" not in entry.body


def test_the_contact_page_lists_open_tickets_for_those_who_may_see_them(agent, viewer, contact, ticket, client_as) -> None:
    done = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Old question"})
    services.ticket_change_status(actor=agent, ticket=done, status="resolved")
    page = client_as(viewer).get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    panel = page.split('id="tickets"', 1)[1].split("</section>", 1)[0]
    assert ticket.reference in panel and done.reference not in panel
    assert "New ticket" not in panel  # a viewer may not open one


def test_the_screen_pop_shows_open_tickets_the_last_resolved_and_known_issues_in_one_query(
    agent, contact, ticket, django_assert_num_queries,
) -> None:
    older = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Earlier problem"})
    services.ticket_change_status(actor=agent, ticket=older, status="resolved")
    services.ticket_change_status(actor=agent, ticket=older, status="closed")
    with django_assert_num_queries(1):
        section = tickets_section(contact)
        assert known_issues_section(contact) == {"items": []}  # read by the same query
    assert [t["reference"] for t in section["open"]] == [ticket.reference]
    assert section["open"][0]["status_label"] == "New" and section["open"][0]["kind_label"] == "Complaint"
    assert section["last_resolved"]["reference"] == older.reference


def test_the_screen_pop_api_and_page_carry_the_tickets_section(agent, contact, ticket, client_as) -> None:
    client = client_as(agent)
    body = client.get("/api/v1/screenpop", {"phone": "+40 721 234 567"}).json()
    assert body["sections"]["tickets"]["open"][0]["id"] == ticket.pk
    page = client.get(reverse("channels:pop"), {"phone": "+40721234567"}).content.decode()
    assert ticket.reference in page
