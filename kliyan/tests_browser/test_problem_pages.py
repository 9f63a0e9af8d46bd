"""Problems and known issues in a real browser, on a phone: the new-ticket form warns about the
known issue and suggests the similar ticket as the agent types; a manager checks an action in place."""

from __future__ import annotations

import re

import pytest

from kliyan.accounts.models import Role, User
from kliyan.contacts.services import contact_create
from kliyan.service import categories, problems, services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
SAY = "Your parcel is safe at our depot; a second courier takes it this week."


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/my-day/"))


def make_problem() -> dict:
    manager = User.objects.create_user(username="nadege", password=PASSWORD, role=Role.MANAGER, first_name="Nadège")
    agent = User.objects.create_user(username="mirlande", password=PASSWORD, role=Role.AGENT, first_name="Mirlande")
    late = categories.category_create(actor=manager, data={"name": "Late delivery"})
    customer = contact_create(actor=agent, data={"first_name": "Jean-Baptiste", "last_name": "Célestin"})
    other = contact_create(actor=agent, data={"first_name": "Rose", "last_name": "Pierre"})
    ticket = services.ticket_create(actor=agent, data={
        "contact": other.pk, "subject": "Kòmand mwen an poko rive", "category": late.pk,
        "description": "Mwen te pase kòmand lan depi lendi, li poko rive nan Okap.",
    })
    problem = problems.problem_create(actor=manager, ticket=ticket, data={
        "title": "Parcels held at the Cap-Haïtien depot", "category": late.pk, "customer_message": SAY, "status": "fixing",
    })
    action = problems.action_create(actor=manager, problem=problem, data={"description": "Hire a second courier", "status": "doing"})
    return {"late": late, "customer": customer, "ticket": ticket, "problem": problem, "action": action}


def test_the_new_ticket_form_warns_and_suggests_on_a_phone(live_server, phone) -> None:
    made = make_problem()
    page = phone
    log_in(page, live_server, "mirlande")
    page.goto(f"{live_server.url}/service/tickets/new/?contact={made['customer'].pk}")
    page.select_option("select[name=category]", str(made["late"].pk))
    page.wait_for_selector("#ticket-suggestions .known-issue")
    assert SAY in page.locator("#ticket-suggestions").inner_text()
    page.fill("input[name=subject]", "komand poko rive")
    page.wait_for_selector(f"#ticket-suggestions >> text={made['ticket'].reference}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(f"{live_server.url}/service/tickets/{made['ticket'].pk}/")
    assert "1 customer affected" in page.locator(".known-issue").first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_manager_checks_an_action_in_place_on_a_phone(live_server, phone) -> None:
    made = make_problem()
    page = phone
    log_in(page, live_server, "nadege")
    page.goto(f"{live_server.url}/service/problems/{made['problem'].pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    row = page.locator(f"#action-{made['action'].pk}")
    row.locator("summary").click()
    prefix = f"action-{made['action'].pk}"
    row.locator(f"select[name={prefix}-status]").select_option("done")
    row.locator(f"select[name={prefix}-verified]").select_option("yes")
    row.locator(f"textarea[name={prefix}-verification_note]").fill("All 12 parcels delivered on Friday.")
    row.get_by_role("button", name=re.compile("Save")).click()
    page.wait_for_selector(f"#action-{made['action'].pk} >> text=It worked")
    assert "checked by Nadège" in page.locator(f"#action-{made['action'].pk}").inner_text()
    assert page.url.endswith(f"/service/problems/{made['problem'].pk}/")  # swapped in place, no reload
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
