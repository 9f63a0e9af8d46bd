"""The live screen pop in a real browser: a call announced by the phone system pops on the agent's open page.

The app runs under uvicorn (ASGI), as in production: pytest-django's live_server speaks
WSGI, which cannot stream Server-Sent Events.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest
from django.conf import settings
from django.test import Client

from kliyan.accounts.models import Role, TokenScope, User
from kliyan.accounts.services import token_create
from kliyan.core.tests.asgi_server import asgi_server
from kliyan.contacts.services import company_create, contact_create
from kliyan.core.models import Organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_incoming_call_pops_on_the_agents_open_page_within_a_second(phone) -> None:
    Organisation.objects.update_or_create(pk=1, defaults={"country": "HT"})
    agent = User.objects.create_user(username="mirlande", password="correct horse battery", role=Role.AGENT)
    company = company_create(actor=agent, data={"name": "Boulangerie Soleil"})
    contact = contact_create(
        actor=agent,
        data={"first_name": "Marie-Claire", "last_name": "Joseph", "company": company.pk, "language": "ht",
              "phones": [{"number": "+509 3712 3456"}]},
    )
    _token, pbx_token = token_create(actor=agent, user=agent, name="pbx", scope=TokenScope.WRITE)
    client = Client()
    client.force_login(agent)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    with asgi_server() as server:
        page = phone
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": server}])
        # The agent is on their day's page; the page has subscribed to the live stream.
        with page.expect_response(lambda response: "/pop/stream" in response.url) as stream:
            page.goto(f"{server}/my-day/")
        assert stream.value.status == 200
        # A second tab hears the calls through the first one: one stream per browser.
        other_tab = page.context.new_page()
        streams_of_other_tab: list[str] = []
        other_tab.on("request", lambda request: "/pop/stream" in request.url and streams_of_other_tab.append(request.url))
        other_tab.goto(f"{server}/tasks/")

        request = urllib.request.Request(
            f"{server}/api/v1/calls/incoming", method="POST",
            data=json.dumps({"from": "+509 3712 3456", "to": "+509 2800 0000", "call_id": "pbx-browser-1"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {pbx_token}"},
        )
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
        banner = page.locator(".call-pop")
        banner.wait_for(state="visible", timeout=2000)
        elapsed = time.monotonic() - started
        assert elapsed < 1.0, f"the pop took {elapsed:.2f} s"
        assert "Incoming call: Marie-Claire Joseph" in banner.inner_text()
        assert "Boulangerie Soleil" in banner.inner_text()
        other_tab.locator(".call-pop").wait_for(state="visible", timeout=1000)
        assert "Incoming call: Marie-Claire Joseph" in other_tab.locator(".call-pop").inner_text()
        assert streams_of_other_tab == []
        other_tab.close()
        # Nothing overflows sideways on a 360 px screen, banner included.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # One tap opens the screen pop: who it is, how to greet them, what to do.
        banner.get_by_role("link").click()
        page.wait_for_url(re.compile(r"/pop/\?phone=%2B50937123456$"))
        assert page.get_by_role("heading", level=1).inner_text().strip() == "Marie-Claire Joseph"
        assert "Kreyòl ayisyen" in page.locator("main").inner_text()
        page.get_by_role("link", name="Log this call").click()
        page.wait_for_url(re.compile(rf"/contacts/{contact.pk}/log/\?channel=phone$"))
        assert page.locator("input[name=channel][value=phone]").is_checked()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # An unknown number offers to create the contact, on a phone screen too.
        page.goto(f"{server}/pop/?phone=%2B50938990000")
        page.get_by_role("link", name="Create contact with +50938990000").click()
        page.wait_for_url(re.compile(r"/contacts/new/\?phone=%2B50938990000$"))
        assert page.locator("input[name='phones-0-number']").input_value() == "+50938990000"
        page.go_back()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.goto("about:blank")  # close the stream before the server stops
