"""The task pages, the contact page's "Open tasks" panel and My day."""

from __future__ import annotations

import datetime as dt

import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from kliyan.contacts.services import contact_create
from kliyan.core.organisation import get_organisation
from kliyan.interactions.models import Task
from kliyan.interactions.services import interaction_log, task_create

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def org_today() -> dt.date:
    """Return today where the organisation is: the pages' "today", whatever the test machine's zone."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(get_organisation().timezone))


def make_task(actor, *, title="Call back", due=None, assignee=None, contact=None, **extra) -> Task:
    data = {"title": title, "due_date": due or org_today(), **extra}
    if assignee is not None:
        data["assignee"] = assignee.pk
    if contact is not None:
        data["contact"] = contact.pk
    return task_create(actor=actor, data=data)


def person(actor, name: str, birthday: str | None = None, phone: str | None = None):
    data = {"first_name": name, "last_name": "Test"}
    if birthday:
        data["birthday"] = birthday
    if phone:
        data["phones"] = [{"number": phone}]
    return contact_create(actor=actor, data=data, allow_duplicate=True)


# --- Access ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["interactions:task_list", "interactions:my_day", "interactions:task_create"])
def test_anonymous_visitor_is_sent_to_log_in(client, name) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_home_redirects_to_my_day(agent, client_as) -> None:
    response = client_as(agent).get(reverse("core:home"))
    assert response.status_code == 302
    assert response.url == reverse("interactions:my_day")


@pytest.mark.parametrize("role", ["viewer", "agent", "manager", "admin"])
def test_everyone_with_a_role_sees_tasks_and_my_day(role, users, client_as) -> None:
    client = client_as(users[role])
    assert client.get(reverse("interactions:task_list")).status_code == 200
    assert client.get(reverse("interactions:my_day")).status_code == 200


def test_viewer_may_not_create_complete_or_edit_tasks(agent, viewer, client_as) -> None:
    task = make_task(agent, assignee=viewer)
    client = client_as(viewer)
    assert client.post(reverse("interactions:task_create"), {"title": "X", "due_date": "2030-01-01"}).status_code == 403
    assert client.post(reverse("interactions:task_complete", args=[task.pk])).status_code == 403
    assert client.post(reverse("interactions:task_edit", args=[task.pk]), {"title": "Y", "due_date": "2030-01-01"}).status_code == 403
    task.refresh_from_db()
    assert (Task.objects.count(), task.title, task.status) == (1, "Call back", "open")
    assert "task_complete" not in client.get(reverse("interactions:task_list")).content.decode()


def test_viewer_sees_a_task_read_only(agent, viewer, client_as) -> None:
    """The timeline links every task here, so a viewer sees it, without a way to save."""
    task = make_task(agent, title="Ring back")
    response = client_as(viewer).get(reverse("interactions:task_edit", args=[task.pk]))
    assert response.status_code == 200
    assert all(field.disabled for field in response.context["form"].fields.values())
    assert "Save task" not in response.content.decode()


def test_only_managers_archive_tasks(agent, manager, client_as) -> None:
    task = make_task(agent)
    url = reverse("interactions:task_archive", args=[task.pk])
    assert client_as(agent).post(url).status_code == 403
    task.refresh_from_db()
    assert task.archived_at is None
    assert client_as(manager).post(url).status_code == 302
    task.refresh_from_db()
    assert task.archived_at is not None


# --- List -------------------------------------------------------------------------------


def test_list_shows_my_open_tasks_by_default(agent, manager, client_as) -> None:
    mine = make_task(agent, title="Mine")
    make_task(agent, title="Theirs", assignee=manager)
    done = make_task(agent, title="Done already")
    done.status = "done"
    done.save()
    response = client_as(agent).get(reverse("interactions:task_list"))
    assert [t.pk for t in response.context["page"].items] == [mine.pk]


def test_list_filters_by_assignee_status_and_due(agent, manager, client_as) -> None:
    today = org_today()
    late = make_task(agent, title="Late", due=today - dt.timedelta(days=2), assignee=manager)
    now = make_task(agent, title="Now", due=today, assignee=manager)
    soon = make_task(agent, title="Soon", due=today + dt.timedelta(days=5), assignee=manager)
    make_task(agent, title="Later", due=today + dt.timedelta(days=30), assignee=manager)
    client = client_as(agent)

    def titles(**params) -> list[str]:
        return [t.title for t in client.get(reverse("interactions:task_list"), params).context["page"].items]

    assert titles() == []
    assert titles(assignee=manager.pk) == ["Late", "Now", "Soon", "Later"]
    assert titles(assignee="anyone", due="overdue") == ["Late"]
    assert titles(assignee="anyone", due="today") == ["Now"]
    assert titles(assignee="anyone", due="week") == ["Now", "Soon"]
    assert titles(assignee="anyone", status="done") == []
    assert {late.pk, now.pk, soon.pk} < {t.pk for t in client.get(reverse("interactions:task_list"), {"assignee": "anyone", "status": "all"}).context["page"].items}


def test_list_filters_answer_htmx_with_the_results_only(agent, client_as) -> None:
    make_task(agent, title="Fragment me")
    response = client_as(agent).get(reverse("interactions:task_list"), {"due": "today"}, **HTMX)
    html = response.content.decode()
    assert "Fragment me" in html
    assert "<html" not in html and 'class="filters"' not in html


def test_list_pages_with_a_cursor(agent, client_as, settings) -> None:
    settings.KLIYAN_PAGE_SIZE = 2
    tasks = [make_task(agent, title=f"T{n}", due=org_today() + dt.timedelta(days=n)) for n in range(3)]
    client = client_as(agent)
    first = client.get(reverse("interactions:task_list"))
    assert [t.pk for t in first.context["page"].items] == [tasks[0].pk, tasks[1].pk]
    second = client.get(reverse("interactions:task_list"), {"cursor": first.context["page"].next_cursor})
    assert [t.pk for t in second.context["page"].items] == [tasks[2].pk]
    assert client.get(reverse("interactions:task_list"), {"cursor": "garbage"}).status_code == 200


def test_list_query_count_does_not_grow_with_rows(agent, contact, client_as, django_assert_max_num_queries) -> None:
    client = client_as(agent)
    make_task(agent, contact=contact)
    with django_assert_max_num_queries(6) as few:
        client.get(reverse("interactions:task_list"))
    for n in range(15):
        make_task(agent, title=f"Task {n}", contact=person(agent, f"P{n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("interactions:task_list"))
    assert len(response.context["page"].items) == 16


# --- Create, edit, complete ---------------------------------------------------------------


def test_agent_creates_a_task_for_a_contact(agent, manager, contact, client_as) -> None:
    client = client_as(agent)
    form = client.get(reverse("interactions:task_create"), {"contact": contact.pk})
    assert form.context["form"]["assignee"].value() == agent.pk
    response = client.post(reverse("interactions:task_create"), {
        "contact": contact.pk, "title": "Send samples", "due_date": "2030-02-03", "assignee": manager.pk,
        "remind_at": "2030-02-03T08:30", "description": "Two colours",
    })
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.contact, task.title, task.due_date, task.assignee, task.description) == (
        contact, "Send samples", dt.date(2030, 2, 3), manager, "Two colours")


def test_bad_due_date_is_named_and_nothing_is_saved(agent, client_as) -> None:
    response = client_as(agent).post(reverse("interactions:task_create"), {"title": "X", "due_date": "soon"})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["due_date"]
    assert not Task.objects.exists()


def test_agent_edits_a_task(agent, client_as) -> None:
    nine_am = dt.datetime(2030, 1, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo(get_organisation().timezone))
    task = make_task(agent, title="Old", remind_at=nine_am)
    client = client_as(agent)
    form = client.get(reverse("interactions:task_edit", args=[task.pk])).context["form"]
    assert form.initial["remind_at"] == "2030-01-01T09:00"
    response = client.post(reverse("interactions:task_edit", args=[task.pk]), {
        "title": "New", "due_date": "2030-03-04", "assignee": agent.pk, "remind_at": "", "description": "",
    })
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.due_date, task.remind_at) == ("New", dt.date(2030, 3, 4), None)


def test_complete_with_htmx_swaps_the_row(agent, client_as) -> None:
    task = make_task(agent, title="Ring Mrs Dupont")
    response = client_as(agent).post(reverse("interactions:task_complete", args=[task.pk]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li class="list__item task-item task-item--done" id="task-{task.pk}"')
    assert "<html" not in html
    assert reverse("interactions:task_reopen", args=[task.pk]) in html
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at is not None


def test_complete_without_htmx_goes_back(agent, client_as) -> None:
    task = make_task(agent)
    back = reverse("interactions:my_day")
    response = client_as(agent).post(reverse("interactions:task_complete", args=[task.pk]), {"next": back})
    assert (response.status_code, response.url) == (302, back)
    outside = client_as(agent).post(reverse("interactions:task_reopen", args=[task.pk]), {"next": "https://evil.example/"})
    assert outside.url == reverse("interactions:task_list")
    task.refresh_from_db()
    assert task.status == "open" and task.completed_at is None


def test_complete_is_post_only(agent, client_as) -> None:
    task = make_task(agent)
    assert client_as(agent).get(reverse("interactions:task_complete", args=[task.pk])).status_code == 405
    task.refresh_from_db()
    assert task.status == "open"


# --- Contact page panel and timeline link ----------------------------------------------


def test_contact_page_shows_open_tasks_panel(agent, contact, client_as) -> None:
    open_task = make_task(agent, title="Open one", contact=contact)
    done = make_task(agent, title="Finished one", contact=contact)
    done.status = "done"
    done.save()
    body = client_as(agent).get(contact.get_absolute_url()).content.decode()
    assert 'id="open-tasks"' in body
    assert f'id="task-{open_task.pk}"' in body
    assert f'id="task-{done.pk}"' not in body
    assert reverse("interactions:task_create") + f"?contact={contact.pk}" in body


def test_timeline_task_entry_links_to_the_task(agent, contact) -> None:
    from kliyan.core.registry import contact_timeline

    task = make_task(agent, contact=contact)
    entry = next(e for e in contact_timeline(contact.pk) if e.kind == "task")
    assert entry.url == reverse("interactions:task_edit", args=[task.pk])


# --- My day -----------------------------------------------------------------------------


def test_my_day_shows_overdue_today_and_todays_birthdays(agent, manager, client_as) -> None:
    today = org_today()
    overdue = make_task(agent, title="Overdue call", due=today - dt.timedelta(days=3))
    due_today = make_task(agent, title="Today's visit", due=today)
    make_task(agent, title="Next week", due=today + dt.timedelta(days=7))
    make_task(agent, title="Someone else's", due=today, assignee=manager)
    born = today.replace(year=today.year - 30) if not (today.month == 2 and today.day == 29) else dt.date(today.year - 28, 2, 29)
    tomorrow = today + dt.timedelta(days=1)
    birthday_person = person(agent, "Céline", birthday=born.isoformat(), phone="+509 3712 3456")
    person(agent, "Tomorrow", birthday=tomorrow.replace(year=1990).isoformat() if not (tomorrow.month == 2 and tomorrow.day == 29) else "1992-02-29")

    response = client_as(agent).get(reverse("interactions:my_day"))
    assert response.status_code == 200
    day = response.context["day"]
    assert [t.pk for t in day.overdue] == [overdue.pk]
    assert [t.pk for t in day.due_today] == [due_today.pk]
    birthdays = response.context["birthdays"]
    assert [b.contact.pk for b in birthdays] == [birthday_person.pk]
    assert birthdays[0].age == today.year - born.year
    html = response.content.decode()
    assert "Overdue call" in html and "Today&#x27;s visit" in html
    assert "Next week" not in html and "Someone else" not in html
    assert "Tomorrow Test" not in html
    assert reverse("contacts:contact_detail", args=[birthday_person.pk]) in html
    assert 'href="https://wa.me/50937123456"' in html
    assert 'href="tel:+50937123456"' in html


def test_my_day_lists_interactions_i_logged(agent, manager, contact, client_as) -> None:
    interaction_log(actor=agent, contact=contact, data={"channel": "whatsapp", "question": "Price of rice?"})
    interaction_log(actor=manager, contact=contact, data={"channel": "phone", "question": "Manager's call"})
    response = client_as(agent).get(reverse("interactions:my_day"))
    assert [i.question for i in response.context["recent"]] == ["Price of rice?"]


def test_my_day_query_count_does_not_grow(agent, contact, client_as, django_assert_max_num_queries) -> None:
    today = org_today()
    client = client_as(agent)
    make_task(agent, due=today, contact=contact)
    interaction_log(actor=agent, contact=contact, data={"channel": "sms", "question": "Q"})
    with django_assert_max_num_queries(7) as few:
        client.get(reverse("interactions:my_day"))
    for n in range(8):
        other = person(agent, f"P{n}", birthday=today.replace(year=1980 + n).isoformat() if not (today.month == 2 and today.day == 29) else f"{1980 + 4 * n}-02-29", phone=f"+40 721 000 1{n:02d}")
        make_task(agent, title=f"Late {n}", due=today - dt.timedelta(days=n + 1), contact=other)
        make_task(agent, title=f"Today {n}", due=today, contact=other)
        interaction_log(actor=agent, contact=other, data={"channel": "email", "question": f"Q{n}"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("interactions:my_day"))
    assert len(response.context["day"].overdue) == 8
    assert len(response.context["birthdays"]) == 8
