"""What feedback adds elsewhere: the ticket page's CSAT box, the contact's panel and timeline, the screen pop."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kliyan.contacts.models import Contact
from kliyan.core.registry import contact_timeline
from kliyan.feedback import outbox
from kliyan.feedback.registrations import satisfaction_section

pytestmark = pytest.mark.django_db


def test_the_ticket_page_shows_the_survey_status_and_the_link_to_staff_who_hand_it_over(users, ticket, invitation, client_as) -> None:
    for role, user in users.items():
        page = client_as(user).get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
        assert 'id="csat"' in page, role
        assert (outbox.survey_url(invitation) in page) == (role != "viewer"), role


def test_the_ticket_page_shows_the_score_and_comment_once_answered(agent, client, ticket, invitation, client_as) -> None:
    client.post(outbox.survey_path(invitation), {"score": "2", "comment": "Curierul a întârziat iar."})
    page = client_as(agent).get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert ">2/5<" in page and "Curierul a întârziat iar." in page
    assert "/s/" not in page  # an answered survey's link is of no use any more


def test_an_unresolved_ticket_says_when_the_customer_will_be_asked(agent, ticket, client_as) -> None:
    page = client_as(agent).get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert 'id="csat"' in page and "/s/" not in page


def test_the_contact_page_lists_surveys_with_answers_and_links(agent, viewer, contact, survey, invitation, client_as) -> None:
    survey("nps", 9, "Prețuri bune")
    page = client_as(agent).get(contact.get_absolute_url()).content.decode()
    assert 'id="satisfaction"' in page and ">9/10<" in page and "Prețuri bune" in page
    assert outbox.survey_url(invitation) in page
    assert outbox.survey_url(invitation) not in client_as(viewer).get(contact.get_absolute_url()).content.decode()


def test_the_timeline_shows_surveys_sent_and_answers_given(contact, survey, ticket, invitation, client) -> None:
    client.post(outbox.survey_path(invitation), {"score": "5", "comment": "Mulțumesc!"})
    entries = contact_timeline(contact.pk, kinds=["survey", "survey_answer"])
    assert [e.kind for e in entries] == ["survey_answer", "survey"]
    answer, sent = entries
    assert "5/5" in answer.title and answer.body == "Mulțumesc!" and answer.url.endswith(f"/tickets/{ticket.pk}/")
    assert ticket.reference in sent.title and sent.data["status"] == "answered"


def test_the_pop_section_gives_the_last_csat_and_nps_in_one_query(contact, survey, django_assert_num_queries) -> None:
    def caller() -> Contact:  # a new object each time: a pop reads once per caller object
        return Contact.objects.get(pk=contact.pk)

    assert satisfaction_section(caller()) is None
    survey("csat", 2, "old")
    survey("csat", 4, "Better this time")
    survey("nps", 10, "")
    survey("nps")  # not answered
    satisfaction_section(caller())  # compiled once per connection
    calling = caller()
    with django_assert_num_queries(1):
        section = satisfaction_section(calling)
    assert (section["csat"]["score"], section["csat"]["comment"], section["csat"]["out_of"]) == (4, "Better this time", 5)
    assert (section["nps"]["score"], section["nps"]["out_of"]) == (10, 10)


def test_the_screen_pop_api_and_page_carry_the_section(agent, contact, survey, client_as) -> None:
    survey("csat", 5, "Super")
    api = client_as(agent).get("/api/v1/screenpop", {"phone": "+40721234567"})
    assert api.status_code == 200, api.content
    assert api.json()["sections"]["satisfaction"]["csat"]["score"] == 5
    page = client_as(agent).get(reverse("channels:pop"), {"phone": "+40721234567"}).content.decode()
    assert 'id="pop-satisfaction"' in page and "Super" in page


def test_a_page_panel_whose_context_is_none_is_left_out(monkeypatch, rf, agent) -> None:
    from kliyan.core import registry

    monkeypatch.setattr(registry, "_page_panels", {})
    registry.register_page_panel("ticket", registry.PagePanel(name="hidden", template="x.html", context=lambda r, o: None))
    registry.register_page_panel("ticket", registry.PagePanel(name="csat", template="feedback/_ticket_panel.html",
                                                              context=lambda r, o: {"survey": None, "url": ""}, order=1))
    request = rf.get("/")
    request.user = agent
    [html] = registry.render_page_panels("ticket", request, object())
    assert 'id="csat"' in html and registry.page_panels("board") == []
