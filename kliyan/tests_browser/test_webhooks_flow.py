"""An admin on a phone adds a webhook endpoint, copies its secret, sends a test event and replays it."""

from __future__ import annotations

import re

import pytest
from standardwebhooks.webhooks import Webhook

from kliyan.accounts.models import Role, User
from kliyan.webhooks.models import WebhookEndpoint
from kliyan.webhooks.tests.conftest import receiver  # noqa: F401 - a real HTTP receiver on a local port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def test_admin_adds_an_endpoint_sends_a_test_event_and_replays_it(live_server, phone, receiver) -> None:  # noqa: F811
    User.objects.create_user(username="admin", password=PASSWORD, role=Role.ADMIN)
    page = phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/my-day/"))

    # The menu leads to the webhooks.
    page.locator("details.menu summary").click()
    page.get_by_role("link", name="Webhooks").click()
    page.wait_for_url(re.compile(r"/webhooks/$"))
    page.get_by_role("link", name=re.compile("Add endpoint")).first.click()
    page.fill("input[name=url]", receiver.url)
    page.fill("input[name=description]", "Accounting")
    page.locator("label", has_text="contact.created").click()
    page.locator("form.form button[type=submit]").click()

    secret = page.locator("#webhook-secret").inner_text().strip()
    endpoint = WebhookEndpoint.objects.get()
    assert secret == endpoint.secret and endpoint.events == ["contact.created"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("link", name=re.compile("Go to the endpoint")).click()
    page.get_by_role("button", name="Send test event").click()
    page.wait_for_url(re.compile(r"/webhooks/deliveries/\d+/$"))
    assert len(receiver.requests) == 1
    body = Webhook(secret).verify(receiver.requests[0].body, receiver.requests[0].header_dict())
    assert body["type"] == "webhook.test"
    page.reload()
    assert "Succeeded" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("button", name="Replay").click()
    page.wait_for_url(re.compile(r"/webhooks/deliveries/\d+/$"))
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    assert "2" in page.locator("dl.kv").inner_text()
