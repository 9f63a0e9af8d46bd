"""A manager on a phone imports a spreadsheet: upload, mapping and preview, import, results; then on a desktop."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kliyan.accounts.models import Role, User
from kliyan.contacts.models import Contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
CSV = "Non;Siyati;Telefòn;Imel;Konpayi\nJean-Baptiste;Pélissier;3712 3456;jb@example.ht;Boulangerie Lakay Pétion-Ville\nMarie;Joseph;12;marie@\n"


def log_in(page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/my-day/"))


def test_manager_imports_a_spreadsheet_on_a_phone(live_server, phone, browser, tmp_path: Path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    User.objects.create_user(username="manager", password=PASSWORD, role=Role.MANAGER)
    source = tmp_path / "kliyan.csv"
    source.write_text(CSV, encoding="utf-8")
    page = phone
    log_in(page, live_server.url)

    page.locator("details.menu summary").click()
    page.get_by_role("link", name="Imports").click()
    page.wait_for_url(re.compile(r"/imports/$"))
    page.get_by_role("link", name=re.compile("Import a file")).first.click()
    page.set_input_files("input[name=file]", str(source))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"))

    assert page.locator("select[name=column_0]").input_value() == "first_name"
    assert "+50937123456" in page.locator(".import-preview").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    page.reload()
    assert "Done" in page.locator("main").inner_text()
    assert Contact.objects.get().display_name == "Jean-Baptiste Pélissier"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    desktop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(desktop, live_server.url)
    desktop.goto(page.url)
    assert "row 3" in desktop.locator("main").inner_text()
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 1280
    desktop.context.close()
