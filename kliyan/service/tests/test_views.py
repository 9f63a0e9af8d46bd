"""Service desk pages: who may open them, what they show, forms that name bad fields, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kliyan.accounts.teams import team_create
from kliyan.core.models import AuditEntry
from kliyan.service import categories, services
from kliyan.service.models import Ticket, TicketAttachment, TicketCategory, TicketMessage

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
EVERYONE = {"admin", "manager", "agent", "viewer"}
WORKERS = {"admin", "manager", "agent"}
MANAGERS = {"admin", "manager"}


@pytest.fixture
def category(manager):
    return categories.category_create(actor=manager, data={"name": "Livrare"})


@pytest.fixture
def team(manager, agent):
    return team_create(actor=manager, data={"name": "Desk", "members": [agent.pk], "manager": manager.pk})


def get_pages(ticket, category, team) -> list[tuple[str, set[str]]]:
    return [
        (reverse("service:queue"), EVERYONE),
        (reverse("service:queue") + "?tab=mine", EVERYONE),
        (reverse("service:board"), EVERYONE),
        (reverse("service:ticket_detail", args=[ticket.pk]), EVERYONE),
        (reverse("service:ticket_create"), WORKERS),
        (reverse("service:ticket_create") + f"?contact={ticket.contact_id}", WORKERS),
        (reverse("service:category_list"), MANAGERS),
        (reverse("service:category_edit", args=[category.pk]), MANAGERS),
        (reverse("service:team_list"), MANAGERS),
        (reverse("service:team_edit", args=[team.pk]), MANAGERS),
    ]


def test_each_role_opens_the_pages_it_may_and_gets_403_on_the_others(ticket, category, team, users, client_as) -> None:
    for url, allowed in get_pages(ticket, category, team):
        for role, user in users.items():
            status = client_as(user).get(url).status_code
            assert status == (200 if role in allowed else 403), (url, role, status)


def test_anonymous_visitors_are_sent_to_log_in(ticket, category, team, client) -> None:
    for url, _allowed in get_pages(ticket, category, team):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    for name in ("ticket_properties", "ticket_reply", "ticket_note"):
        response = client.post(reverse(f"service:{name}", args=[ticket.pk]), {"body": "x"})
        assert response.status_code == 302


def test_a_viewer_can_change_nothing(viewer, ticket, client_as) -> None:
    client = client_as(viewer)
    before = (AuditEntry.objects.count(), TicketMessage.objects.count())
    assert client.post(reverse("service:ticket_properties", args=[ticket.pk]), {"status": "open"}).status_code == 403
    assert client.post(reverse("service:ticket_reply", args=[ticket.pk]), {"body": "Hi"}).status_code == 403
    assert client.post(reverse("service:ticket_note", args=[ticket.pk]), {"body": "Hi"}).status_code == 403
    assert client.post(reverse("service:ticket_create") + f"?contact={ticket.contact_id}", {"subject": "x"}).status_code == 403
    assert (AuditEntry.objects.count(), TicketMessage.objects.count()) == before
    page = client.get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert 'action="/service/tickets/' not in page


def test_unknown_objects_are_404(agent, manager, client_as) -> None:
    for name in ("ticket_detail", "attachment_download"):
        assert client_as(agent).get(reverse(f"service:{name}", args=[999999])).status_code == 404
    for name in ("category_edit", "team_edit"):
        assert client_as(manager).get(reverse(f"service:{name}", args=[999999])).status_code == 404


def test_the_queue_tabs_show_mine_my_team_and_unassigned(agent, manager, contact, team, client_as) -> None:
    mine = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Mine", "assignee": agent.pk})
    teams = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Team's", "team": team.pk, "assignee": manager.pk})
    loose = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Nobody's"})
    done = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Done", "assignee": agent.pk})
    services.ticket_change_status(actor=agent, ticket=done, status="resolved")
    client = client_as(agent)

    def shown(**params) -> set[int]:
        response = client.get(reverse("service:queue"), params, **HTMX)
        assert response.status_code == 200
        return {t.pk for t in response.context["page"].items}

    assert shown(tab="mine") == {mine.pk}
    assert shown(tab="team") == {teams.pk}
    assert shown(tab="unassigned") == {loose.pk}
    assert shown(tab="open") == {mine.pk, teams.pk, loose.pk}
    assert shown(tab="mine", status="resolved") == {done.pk}
    assert shown(tab="all", status="all") == {mine.pk, teams.pk, loose.pk, done.pk}
    assert shown(tab="open", q=mine.reference) == {mine.pk}
    assert shown(tab="open", q="team") == {teams.pk}
    counts = {key: count for key, _label, count in client.get(reverse("service:queue")).context["tabs"]}
    assert (counts["mine"], counts["team"], counts["unassigned"], counts["open"]) == (1, 1, 1, 3)


def test_the_queue_filters_by_priority_category_and_subcategories(agent, manager, contact, category, client_as) -> None:
    child = categories.category_create(actor=manager, data={"name": "Late", "parent": category.pk})
    urgent = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "A", "priority": "urgent", "category": child.pk})
    services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "B"})
    client = client_as(agent)
    for params in ({"priority": "urgent"}, {"category": category.pk}, {"category": child.pk}):
        assert [t.pk for t in client.get(reverse("service:queue"), params).context["page"].items] == [urgent.pk]


def test_a_bad_filter_or_cursor_falls_back_instead_of_failing(agent, ticket, client_as) -> None:
    response = client_as(agent).get(reverse("service:queue"), {"status": "nonsense", "priority": "x", "category": "abc",
                                                                "cursor": "!!", "sort": "sideways", "tab": "evil"})
    assert response.status_code == 200 and [t.pk for t in response.context["page"].items] == [ticket.pk]


@pytest.mark.parametrize("count", [3, 12])
def test_the_queue_costs_the_same_queries_for_any_page_size(count, agent, manager, contact, team, category, client_as,
                                                            django_assert_num_queries) -> None:
    for n in range(count):
        services.ticket_create(actor=agent, data={
            "contact": contact.pk, "subject": f"T{n}", "assignee": agent.pk, "team": team.pk, "category": category.pk,
        })
    client = client_as(agent)
    # session, user, categories (filter), team ids, tab counts, the page of tickets with their relations
    with django_assert_num_queries(6):
        response = client.get(reverse("service:queue"), {"tab": "team"})
    assert len(response.context["page"].items) == count


def test_the_queue_pages_with_a_cursor(agent, contact, client_as, settings) -> None:
    settings.KLIYAN_PAGE_SIZE = 2
    made = [services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": f"T{n}"}).pk for n in range(5)]
    client = client_as(agent)
    seen, cursor = [], None
    while True:
        response = client.get(reverse("service:queue"), {"cursor": cursor} if cursor else {})
        seen += [t.pk for t in response.context["page"].items]
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
    assert seen == made  # oldest first


def test_the_ticket_page_shows_the_conversation_notes_marked_and_the_history(agent, ticket, client_as) -> None:
    services.ticket_add_note(actor=agent, ticket=ticket, body="Courier says Tuesday.")
    services.ticket_reply(actor=agent, ticket=ticket, body="It arrives Tuesday.")
    page = client_as(agent).get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Comanda SO-1042 nu a sosit." in page and "It arrives Tuesday." in page
    assert 'class="msg msg--note"' in page and "Internal note" in page and "Courier says Tuesday." in page
    assert "Ticket opened" in page and "History" in page
    assert ticket.reference in page


@pytest.mark.parametrize("count", [1, 8])
def test_the_ticket_page_costs_the_same_queries_however_long_the_conversation(count, agent, ticket, client_as,
                                                                              django_assert_num_queries) -> None:
    for n in range(count):
        services.ticket_add_note(actor=agent, ticket=ticket, body=f"note {n}",
                                 files=[SimpleUploadedFile(f"f{n}.txt", b"x", content_type="text/plain")])
    client = client_as(agent)
    # session, user, ticket, messages, their files, loose files, history, categories, agents, teams, recipient,
    # known issues, open problems to link to, linked articles (ticket_extras.py)
    with django_assert_num_queries(14):
        assert client.get(reverse("service:ticket_detail", args=[ticket.pk])).status_code == 200


def test_the_side_panel_changes_status_priority_and_assignee(agent, manager, ticket, category, team, client_as) -> None:
    response = client_as(agent).post(reverse("service:ticket_properties", args=[ticket.pk]), {
        "status": "open", "priority": "high", "kind": "complaint", "assignee": manager.pk, "team": team.pk,
        "category": category.pk, "product_sku": "",
    })
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee, ticket.team, ticket.category) == ("open", "high", manager, team, category)


def test_a_status_the_ticket_cannot_take_is_named_and_nothing_changes(agent, ticket, client_as) -> None:
    services.ticket_change_status(actor=agent, ticket=ticket, status="resolved")
    response = client_as(agent).post(reverse("service:ticket_properties", args=[ticket.pk]), {
        "status": "waiting", "priority": "urgent", "kind": "complaint",
    })
    assert response.status_code == 422
    assert "status" in response.context["properties_form"].errors
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("resolved", "normal")


def test_an_unknown_product_sku_is_named(agent, ticket, client_as) -> None:
    response = client_as(agent).post(reverse("service:ticket_properties", args=[ticket.pk]), {
        "status": "new", "priority": "normal", "kind": "complaint", "product_sku": "NOPE-1",
    })
    assert response.status_code == 422
    assert "There is no product with SKU" in response.content.decode()


def test_replying_from_the_page_with_a_file(agent, ticket, client_as, mailoutbox, django_capture_on_commit_callbacks) -> None:
    upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff jpeg", content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(agent).post(reverse("service:ticket_reply", args=[ticket.pk]), {
            "body": "Iată poza coletului.", "status": "waiting", "files": [upload],
        })
    assert response.status_code == 302
    reply = TicketMessage.objects.get(kind="reply")
    assert reply.attachments.get().name == "photo.jpg"
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    assert len(mailoutbox) == 1 and mailoutbox[0].attachments[0][0] == "photo.jpg"


def test_an_empty_reply_is_named_and_nothing_is_stored(agent, ticket, client_as) -> None:
    response = client_as(agent).post(reverse("service:ticket_reply", args=[ticket.pk]), {"body": ""})
    assert response.status_code == 422 and "body" in response.context["reply_form"].errors
    assert not TicketMessage.objects.filter(kind="reply").exists()


def test_a_file_over_the_limit_is_named_and_nothing_is_stored(agent, ticket, client_as, settings) -> None:
    settings.KLIYAN_ATTACHMENT_MAX_BYTES = 4
    upload = SimpleUploadedFile("big.bin", b"0123456789")
    response = client_as(agent).post(reverse("service:ticket_note", args=[ticket.pk]), {"body": "See file", "files": [upload]})
    assert response.status_code == 422 and "files" in response.context["note_form"].errors
    assert not TicketAttachment.objects.exists() and not TicketMessage.objects.filter(kind="note").exists()


def test_attachments_download_for_those_who_may_see_the_ticket(agent, viewer, ticket, client_as, client) -> None:
    note = services.ticket_add_note(actor=agent, ticket=ticket, body="x", files=[
        SimpleUploadedFile("<script>.html", b"<script>alert(1)</script>", content_type="text/html")])
    attachment = note.attachments.get()
    url = reverse("service:attachment_download", args=[attachment.pk])
    response = client_as(viewer).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert client.get(url).status_code == 302


def test_a_new_ticket_from_the_contact_page(agent, contact, category, client_as) -> None:
    client = client_as(agent)
    panel = client.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert f'{reverse("service:ticket_create")}?contact={contact.pk}' in panel
    response = client.post(reverse("service:ticket_create") + f"?contact={contact.pk}", {
        "kind": "complaint", "subject": "Pantofi defecți", "description": "Talpa s-a dezlipit.", "channel": "store",
        "priority": "high", "category": category.pk, "files": [SimpleUploadedFile("talpa.jpg", b"jpg", content_type="image/jpeg")],
    })
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    assert (ticket.contact, ticket.channel, ticket.category, ticket.priority) == (contact, "store", category, "high")
    first = ticket.messages.get()
    assert first.body == "Talpa s-a dezlipit." and first.attachments.get().name == "talpa.jpg"
    page = client.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert "Pantofi defecți" in page  # the panel and the timeline


def test_a_new_ticket_with_bad_input_names_the_fields(agent, contact, client_as) -> None:
    response = client_as(agent).post(reverse("service:ticket_create") + f"?contact={contact.pk}", {
        "kind": "complaint", "subject": "", "channel": "phone", "priority": "normal", "product_sku": "NONE",
    })
    assert response.status_code == 422
    assert {"subject"} <= set(response.context["form"].errors)
    assert not Ticket.objects.exists()


def test_a_new_ticket_starts_by_finding_the_customer(agent, contact, client_as) -> None:
    response = client_as(agent).get(reverse("service:ticket_create"), {"q": "Popescu"})
    assert response.status_code == 200 and f"?contact={contact.pk}" in response.content.decode()


def test_managers_add_and_edit_categories(manager, category, client_as) -> None:
    client = client_as(manager)
    assert client.post(reverse("service:category_list"), {"name": "Late", "parent": category.pk, "active": "on"}).status_code == 302
    child = TicketCategory.objects.get(name="Late")
    assert child.parent == category
    response = client.post(reverse("service:category_edit", args=[category.pk]), {"name": "Livrare", "parent": child.pk})
    assert response.status_code == 422 and "parent" in response.context["form"].errors
    assert client.post(reverse("service:category_edit", args=[child.pk]), {"name": "Delayed", "parent": ""}).status_code == 302
    child.refresh_from_db()
    assert (child.name, child.parent, child.active) == ("Delayed", None, False)


def test_managers_add_and_edit_teams(manager, agent, team, client_as) -> None:
    client = client_as(manager)
    assert client.post(reverse("service:team_list"), {"name": "Night shift", "manager": manager.pk, "members": [agent.pk],
                                                      "active": "on"}).status_code == 302
    response = client.post(reverse("service:team_list"), {"name": "desk", "active": "on"})
    assert response.status_code == 422 and "name" in response.context["form"].errors
    assert client.post(reverse("service:team_edit", args=[team.pk]), {"name": "Day desk", "members": [], "active": "on"}).status_code == 302
    team.refresh_from_db()
    assert (team.name, list(team.members.all()), team.manager) == ("Day desk", [], None)
    entry = AuditEntry.objects.filter(object_type="accounts.team", action="update").get()
    assert entry.before["members"] == [agent.pk] and entry.after["members"] == []


def test_the_board_shows_columns_by_status(agent, contact, client_as) -> None:
    fresh = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Fresh"})
    waiting = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Waiting"})
    services.ticket_change_status(actor=agent, ticket=waiting, status="waiting")
    Ticket.objects.filter(pk=fresh.pk).update(resolution_due=timezone.now() - dt.timedelta(minutes=1))
    response = client_as(agent).get(reverse("service:board"))
    columns = dict(response.context["columns"])
    assert [t.pk for t in columns["new"]] == [fresh.pk] and [t.pk for t in columns["waiting"]] == [waiting.pk]
    assert "board__card--late" in response.content.decode()


def test_all_tickets_of_a_contact_from_their_page(agent, contact, ticket, client_as) -> None:
    from kliyan.contacts.services import contact_create

    other = contact_create(actor=agent, data={"first_name": "Someone", "last_name": "Else"})
    services.ticket_create(actor=agent, data={"contact": other.pk, "subject": "Not theirs"})
    services.ticket_change_status(actor=agent, ticket=ticket, status="closed")
    response = client_as(agent).get(reverse("service:queue"), {"tab": "all", "status": "all", "contact": contact.pk})
    assert [t.pk for t in response.context["page"].items] == [ticket.pk]
