"""A manager on a phone filters the contact list and downloads it as CSV; the buttons fit a 360 px screen and a desktop."""

from __future__ import annotations

import csv
import io
import re

import pytest

from kliyan.accounts.models import Role, User
from kliyan.contacts.services import contact_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def log_in(page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/my-day/"))


def test_manager_downloads_the_filtered_list_on_a_phone(live_server, phone, browser) -> None:
    manager = User.objects.create_user(username="manager", password=PASSWORD, role=Role.MANAGER)
    contact_create(actor=manager, data={"first_name": "Jean-Baptiste", "last_name": "Pélissier", "tags": ["vip"],
                                        "phones": [{"number": "+509 3712 3456"}]})
    contact_create(actor=manager, data={"first_name": "=HYPERLINK(\"http://x\",\"y\")", "tags": ["vip"]})
    contact_create(actor=manager, data={"first_name": "Marie", "last_name": "Joseph"})
    page = phone
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/contacts/?tag=vip")
    export = page.get_by_role("navigation", name="Export the list")
    assert export.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    with page.expect_download() as download_info:
        export.get_by_role("link", name="CSV").click()
    download = download_info.value

    assert re.fullmatch(r"kliyan-contacts-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(io.StringIO(file.read())))
    assert sorted(r[1] for r in rows[1:]) == ["'=HYPERLINK(\"http://x\",\"y\")", "Jean-Baptiste"]
    assert "+50937123456" in rows[1] + rows[2]

    desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(desktop, live_server.url)
    desktop.goto(f"{live_server.url}/contacts/")
    assert desktop.get_by_role("navigation", name="Export the list").is_visible()
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 1280
    desktop.context.close()
