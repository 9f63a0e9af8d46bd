"""The public survey page on a phone with JavaScript off: big buttons, an answer, the thank-you; results at 360 px."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from kliyan.accounts.models import Role, User
from kliyan.contacts.services import contact_create
from kliyan.feedback import outbox
from kliyan.feedback.models import SurveyResponse
from kliyan.feedback.services import new_invitation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_customer_answers_an_nps_survey_on_a_phone_without_javascript(live_server, browser) -> None:
    agent = User.objects.create_user(username="agent", password=PASSWORD, role=Role.AGENT)
    customer = contact_create(actor=agent, data={"first_name": "Mirlande", "emails": [{"email": "m@example.org"}], "language": "fr"})
    invitation = new_invitation(kind="nps", contact_id=customer.pk, language="fr", channel="email", now=timezone.now())
    invitation.save()
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + outbox.survey_path(invitation))
        assert page.locator("html").get_attribute("lang") == "fr" and fits(page, 360)
        boxes = page.locator(".score__box")
        assert boxes.count() == 11
        smallest = min(boxes.nth(n).bounding_box()["height"] for n in range(11))
        assert smallest >= 44  # a thumb, not a stylus
        page.locator(".score", has=page.locator("input[value='9']")).tap()
        page.fill("textarea[name=comment]", "Toujours aimables.")
        page.locator("button[type=submit]").tap()
        page.wait_for_url(re.compile(r"done=1"))
        assert page.locator("[data-state=thanks]").is_visible() and fits(page, 360)
        answer = SurveyResponse.objects.get()
        assert (answer.score, answer.comment, answer.language) == (9, "Toujours aimables.", "fr")
    finally:
        context.close()


def test_the_results_page_fits_a_phone(live_server, phone) -> None:
    User.objects.create_user(username="lead", password=PASSWORD, role=Role.MANAGER)
    page = phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/my-day/"))
    page.goto(f"{live_server.url}/feedback/?kind=csat&group_by=agent")
    assert page.locator(".feedback-figures").is_visible() and fits(page, 360)
