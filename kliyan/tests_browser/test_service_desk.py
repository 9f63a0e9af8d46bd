"""The service desk in a real browser: the queue, a ticket and a reply on a phone; the board on a desktop."""

from __future__ import annotations

import re

import pytest

from kliyan.accounts.models import Role, User
from kliyan.contacts.services import contact_create
from kliyan.service import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/my-day/"))


def make_tickets() -> tuple[User, object]:
    agent = User.objects.create_user(username="mirlande", password=PASSWORD, role=Role.AGENT, first_name="Mirlande")
    customer = contact_create(actor=agent, data={"first_name": "Jean-Baptiste", "last_name": "Célestin",
                                                 "emails": [{"email": "jb@example.ht"}]})
    ticket = services.ticket_create(actor=agent, data={
        "contact": customer.pk, "subject": "Sapat yo twò piti, mwen vle chanje yo pou yon lòt gwosè", "kind": "request",
        "description": "Mwen achte sapat nwa gwosè 40 yè, men yo twò piti.", "assignee": agent.pk, "priority": "high",
    })
    services.ticket_add_note(actor=agent, ticket=ticket, body="Check stock of size 42 in Jacmel.")
    for n in range(3):
        services.ticket_create(actor=agent, data={"contact": customer.pk, "subject": f"Kesyon {n}"})
    return agent, ticket


def test_an_agent_answers_a_ticket_from_a_phone(live_server, phone) -> None:
    _agent, ticket = make_tickets()
    page = phone
    log_in(page, live_server, "mirlande")

    page.goto(f"{live_server.url}/service/?tab=mine")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name=re.compile("Sapat yo twò piti")).click()
    page.wait_for_url(re.compile(rf"/service/tickets/{ticket.pk}/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    note = page.locator(".msg--note")
    assert "Internal note" in note.inner_text() and "size 42" in note.inner_text()

    page.fill("textarea[name=body]", "Nou gen gwosè 42 nan magazen Jacmel, pase chache l.")
    page.select_option("select[name=status]", "waiting")
    page.get_by_role("button", name=re.compile("Send reply")).click()
    page.wait_for_url(re.compile(rf"/service/tickets/{ticket.pk}/#message-\d+$"))
    assert "Nou gen gwosè 42" in page.locator(".msg--reply").inner_text()
    assert "Waiting on customer" in page.locator(".page-header").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(f"{live_server.url}/service/board/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    tops = page.eval_on_selector_all(".board__column", "cols => cols.map(c => c.getBoundingClientRect().top)")
    assert tops == sorted(tops) and len(set(tops)) == len(tops)  # one below the other: a list


def test_the_board_puts_statuses_side_by_side_on_a_desktop(live_server, browser) -> None:
    make_tickets()
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        log_in(page, live_server, "mirlande")
        page.goto(f"{live_server.url}/service/board/?tab=open")
        tops = page.eval_on_selector_all(".board__column", "cols => cols.map(c => Math.round(c.getBoundingClientRect().top))")
        assert len(tops) == 5 and len(set(tops)) == 1
        assert page.locator(".board__column").first.locator(".board__card").count() == 4
    finally:
        context.close()
