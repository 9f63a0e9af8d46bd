"""A manager on a phone finds duplicates, compares two records and merges them; then the pages on a desktop."""

from __future__ import annotations

import re

import pytest

from kliyan.accounts.models import Role, User
from kliyan.contacts.models import Contact
from kliyan.contacts.services import contact_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def log_in(page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/my-day/"))


def test_manager_merges_two_records_of_one_customer_on_a_phone(live_server, phone, browser) -> None:
    manager = User.objects.create_user(username="manager", password=PASSWORD, role=Role.MANAGER)
    first = contact_create(actor=manager, data={
        "first_name": "Jean-Baptiste", "last_name": "Pélissier", "emails": [{"email": "jean-baptiste.pelissier@boulangerie-lakay.example.ht"}],
        "job_title": "Boulanger",
    })
    second = contact_create(actor=manager, allow_duplicate=True, data={
        "first_name": "Jean Baptiste", "last_name": "Pelissier", "emails": [{"email": "jean-baptiste.pelissier@boulangerie-lakay.example.ht"}],
        "phones": [{"number": "+509 3712 3456"}], "job_title": "Pâtissier",
    })
    page = phone
    log_in(page, live_server.url)

    page.locator("details.menu summary").click()
    page.get_by_role("link", name="Duplicates").click()
    page.wait_for_url(re.compile(r"/contacts/duplicates/$"))
    page.get_by_role("button", name="Search for duplicates").click()
    page.wait_for_url(re.compile(r"/contacts/duplicates/$"))
    page.reload()
    assert "same e-mail" in page.locator(".dedupe-pairs").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("link", name="Compare and merge").click()
    page.wait_for_url(re.compile(r"/contacts/duplicates/merge/"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("Pâtissier").check()
    page.get_by_role("button", name="Merge 2 contacts").click()
    page.wait_for_url(re.compile(rf"/contacts/{first.pk}/$"))

    assert "1 contact was merged into this one." in page.locator("main").inner_text()
    kept = Contact.objects.get(pk=first.pk)
    assert (kept.job_title, kept.primary_phone) == ("Pâtissier", "+50937123456")
    assert Contact.objects.get(pk=second.pk).merged_into_id == first.pk
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(desktop, live_server.url)
    desktop.goto(f"{live_server.url}/contacts/{second.pk}/")
    desktop.wait_for_url(re.compile(rf"/contacts/{first.pk}/$"))
    desktop.goto(f"{live_server.url}/contacts/duplicates/merge-with/{first.pk}/?q=Pelissier")
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 1280
    desktop.context.close()
