"""The /pop/ page a softphone or PBX opens on an incoming call."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kliyan.accounts.models import User

pytestmark = pytest.mark.django_db

URL = "/pop/"


def test_a_known_caller_shows_name_greeting_language_company_sections_and_actions(client_as, agent, caller) -> None:
    response = client_as(agent).get(URL, {"phone": "+509 3712 3456"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="screen-pop__name" id="pop-name">Marie-Claire Joseph</h1>' in html
    assert "Greet them as “Marie-Claire”" in html
    assert "Kreyòl ayisyen" in html and "Boulangerie Soleil" in html
    assert "Ki lè nou louvri dimanch?" in html and "Rele l pou komand la" in html
    assert f'href="/contacts/{caller.pk}/"' in html
    assert f'href="/contacts/{caller.pk}/log/?channel=phone"' in html


def test_a_viewer_sees_the_pop_without_log_this_call(client_as, viewer, caller) -> None:
    html = client_as(viewer).get(URL, {"phone": "+50937123456"}).content.decode()
    assert "Marie-Claire Joseph" in html
    assert "/log/?channel=phone" not in html


def test_an_unknown_caller_is_offered_a_new_contact_with_the_number(client_as, agent, haiti) -> None:
    response = client_as(agent).get(URL, {"phone": "3899 0000"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Unknown caller" in html
    assert 'href="/contacts/new/?phone=%2B50938990000"' in html
    assert "Create contact with +50938990000" in html


def test_the_new_contact_page_is_prefilled_with_the_number(client_as, agent) -> None:
    html = client_as(agent).get("/contacts/new/", {"phone": "+50938990000"}).content.decode()
    assert 'name="phones-0-number" value="+50938990000"' in html


def test_log_this_call_preselects_the_phone_channel(client_as, agent, caller) -> None:
    html = client_as(agent).get(f"/contacts/{caller.pk}/log/", {"channel": "phone"}).content.decode()
    assert re.search(r'<input type="radio" name="channel" value="phone"[^>]* checked>', html)
    assert len(re.findall(r'name="channel"[^>]* checked', html)) == 1


def test_a_bad_number_shows_the_error_and_a_lookup_form(client_as, agent) -> None:
    response = client_as(agent).get(URL, {"phone": "abc"})
    assert response.status_code == 422
    assert "Enter a phone number with at least 6 digits." in response.content.decode()
    assert client_as(agent).get(URL).status_code == 200


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "viewer"])
def test_every_role_may_open_the_pop(client_as, users, caller, role) -> None:
    assert client_as(users[role]).get(URL, {"phone": "+50937123456"}).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in_and_users_without_a_role_are_refused(client_as, caller) -> None:
    response = Client().get(URL, {"phone": "+50937123456"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    nobody = User.objects.create_user(username="nobody", password="correct horse battery", role="")
    assert client_as(nobody).get(URL, {"phone": "+50937123456"}).status_code == 403


def test_the_page_costs_the_same_queries_as_the_api(
    client_as, agent, caller, only_channels_sections, django_assert_num_queries
) -> None:
    client = client_as(agent)
    # session + user, caller ID (the numbers with their contacts and companies), interactions and tasks
    with django_assert_num_queries(4):
        assert client.get(URL, {"phone": "+50937123456"}).status_code == 200
