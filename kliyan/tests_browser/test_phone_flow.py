"""The core flow on a phone: log in, add a customer, log an Instagram conversation, find them again."""

from __future__ import annotations

import re

import pytest

from kliyan.accounts.models import Role, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def test_agent_logs_an_instagram_question_and_finds_the_contact_by_phone(live_server, phone) -> None:
    User.objects.create_user(username="mirlande", password=PASSWORD, role=Role.AGENT)
    page = phone

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "mirlande")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/my-day/"))

    page.goto(f"{live_server.url}/contacts/new/")
    page.fill("input[name=first_name]", "Jean-Baptiste")
    page.fill("input[name=last_name]", "Célestin")
    page.fill("input[name='phones-0-number']", "+509 3712 3456")
    page.locator("form.form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/contacts/\d+/$"))
    contact_url = page.url
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Jean-Baptiste Célestin"

    # From the contact page, logging an interaction takes one tap to open the form…
    page.get_by_role("link", name=re.compile("Log interaction", re.I)).first.click()
    page.wait_for_url(re.compile(r"/contacts/\d+/log/"))
    # …one to choose the channel, and the form's submit button (after typing) is the third.
    page.locator("label", has=page.locator("input[name=channel][value=instagram]")).click()
    page.fill("textarea[name=question]", "Èske nou gen sapat nwa gwosè 42?")
    page.fill("textarea[name=answer]", "Wi, nou genyen; n ap kenbe yon pè pou ou jiska samdi.")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(re.escape(contact_url) + r"(#.*)?$"))

    # Find the contact again by typing the number another way, from the contacts list search.
    page.goto(f"{live_server.url}/contacts/")
    search = page.locator("main input[name=q]").first
    search.fill("3712-3456")
    search.press("Enter")
    result = page.get_by_role("link", name=re.compile("Jean-Baptiste Célestin"))
    result.first.wait_for()
    result.first.click()
    page.wait_for_url(re.compile(re.escape(contact_url) + r"(#.*)?$"))

    timeline = page.locator(".timeline")
    assert "Èske nou gen sapat nwa gwosè 42?" in timeline.inner_text()
    assert "n ap kenbe yon pè pou ou jiska samdi" in timeline.inner_text()
    # Nothing overflows sideways on a 360 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
