"""The knowledge base on a phone (360 px) and a desktop: editing in another language, the public help centre."""

from __future__ import annotations

import re

import pytest

from kliyan.accounts.models import Role, User
from kliyan.knowledge.demo import load_demo_knowledge
from kliyan.knowledge.models import ArticleTranslation
from kliyan.tests_browser.pages import PASSWORD, fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_translates_and_publishes_on_a_phone_and_customers_read_it(live_server, phone) -> None:
    manager = User.objects.create_user(username="mirlande", password=PASSWORD, role=Role.MANAGER)
    load_demo_knowledge(actor=manager)
    delivery = ArticleTranslation.objects.get(language="en", slug="delivery-times").article
    page = phone
    log_in(page, live_server.url, "mirlande")

    page.locator("details.menu summary").click()
    page.get_by_role("link", name="Knowledge base").click()
    page.wait_for_url(re.compile(r"/knowledge/$"))
    assert fits(page, 360)

    page.goto(f"{live_server.url}/knowledge/{delivery.pk}/en/")
    # A phone gets the language select, not six tabs.
    assert page.locator(".kb-lang-picker").is_visible() and not page.locator(".kb-tabs").is_visible()
    assert fits(page, 360)
    page.select_option("#kb-lang-picker", "ro")
    page.wait_for_url(re.compile(rf"/knowledge/{delivery.pk}/ro/$"))
    page.fill("input[name=title]", "Termene de livrare")
    page.fill("textarea[name=body]", "Livrăm în **1–2 zile lucrătoare** în oraș.")
    page.locator("form.form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/knowledge/{delivery.pk}/ro/$"))
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(rf"/knowledge/{delivery.pk}/ro/$"))
    assert fits(page, 360)

    page.goto(f"{live_server.url}/knowledge/{delivery.pk}/ro/history/")
    assert "Version 1" in page.inner_text("main") and fits(page, 360)

    # A customer, not logged in, reads it in Romanian and can switch language.
    customer = page.context.browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    customer.goto(f"{live_server.url}/kb/ro/termene-de-livrare/")
    assert customer.get_by_role("heading", level=1).inner_text() == "Termene de livrare"
    assert customer.locator(".kb-body strong").inner_text() == "1–2 zile lucrătoare"
    customer.get_by_role("link", name="Kreyòl ayisyen").click()
    customer.wait_for_url(re.compile(r"/kb/ht/dele-livrezon/$"))
    assert fits(customer, 360)
    customer.goto(f"{live_server.url}/kb/fr/?q=moncash")
    assert "Payer avec MonCash" in customer.inner_text("main") and fits(customer, 360)
    customer.context.close()


def test_the_desktop_editor_shows_language_tabs(live_server, browser) -> None:
    User.objects.create_user(username="agent", password=PASSWORD, role=Role.AGENT)
    load_demo_knowledge(actor=User.objects.create_user(username="boss", password=PASSWORD, role=Role.MANAGER))
    article = ArticleTranslation.objects.get(language="en", slug="returns-and-exchanges").article
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, live_server.url, "agent")
    page.goto(f"{live_server.url}/knowledge/{article.pk}/fr/")
    assert page.locator(".kb-tabs").is_visible() and not page.locator(".kb-lang-picker").is_visible()
    page.locator(".kb-tabs a", has_text="Kreyòl ayisyen").click()
    page.wait_for_url(re.compile(rf"/knowledge/{article.pk}/ht/$"))
    assert fits(page, 1280)
    context.close()
