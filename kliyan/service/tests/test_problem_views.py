"""Problem pages: who may open and change what, forms that name bad fields and write nothing,
in-place action edits, problems recorded from a ticket, tickets linked from both sides, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kliyan.contacts.services import contact_create
from kliyan.core.models import AuditEntry
from kliyan.service import categories, problems, services
from kliyan.service.models import CorrectiveAction, Problem, ProblemEvent, Ticket

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
EVERYONE = {"admin", "manager", "agent", "viewer"}
MANAGERS = {"admin", "manager"}


@pytest.fixture
def category(manager):
    return categories.category_create(actor=manager, data={"name": "Livrare"})


@pytest.fixture
def problem(manager, category):
    return problems.problem_create(actor=manager, data={
        "title": "Curierul nu livrează în Cluj", "category": category.pk, "customer_message": "Livrările reîncep luni.",
    })


@pytest.fixture
def action(manager, problem):
    return problems.action_create(actor=manager, problem=problem, data={"description": "Alt curier pentru Cluj"})


def test_each_role_opens_the_pages_it_may_and_gets_403_on_the_others(problem, ticket, users, client_as) -> None:
    pages = [
        (reverse("service:problem_list"), EVERYONE),
        (reverse("service:problem_list") + "?status=all&q=Cluj", EVERYONE),
        (reverse("service:problem_detail", args=[problem.pk]), EVERYONE),
        (reverse("service:problem_create"), MANAGERS),
        (reverse("service:problem_create") + f"?ticket={ticket.pk}", MANAGERS),
        (reverse("service:ticket_article_find", args=[ticket.pk]), {"admin", "manager", "agent"}),
    ]
    for url, allowed in pages:
        for role, user in users.items():
            status = client_as(user).get(url).status_code
            assert status == (200 if role in allowed else 403), (url, role, status)


def test_anonymous_visitors_are_sent_to_log_in(problem, action, ticket, client) -> None:
    gets = [reverse("service:problem_list"), reverse("service:problem_detail", args=[problem.pk]), reverse("service:problem_create"),
            reverse("service:ticket_suggestions")]
    posts = [
        reverse("service:problem_edit", args=[problem.pk]), reverse("service:problem_link", args=[problem.pk]),
        reverse("service:problem_unlink", args=[problem.pk, ticket.pk]), reverse("service:action_add", args=[problem.pk]),
        reverse("service:action_edit", args=[action.pk]), reverse("service:ticket_problem", args=[ticket.pk]),
        reverse("service:ticket_article_link", args=[ticket.pk]),
    ]
    for url in gets:
        assert "/accounts/login/" in client.get(url)["Location"], url
    for url in posts:
        assert "/accounts/login/" in client.post(url, {})["Location"], url


def test_viewers_and_agents_cannot_change_problems_and_nothing_changes(problem, action, viewer, agent, client_as) -> None:
    clients = {"viewer": client_as(viewer), "agent": client_as(agent)}  # signing in is audited too
    before = (AuditEntry.objects.count(), ProblemEvent.objects.count())
    for client in clients.values():
        assert client.post(reverse("service:problem_create"), {"title": "x", "status": "open"}).status_code == 403
        assert client.post(reverse("service:problem_edit", args=[problem.pk]), {"title": "y", "status": "open"}).status_code == 403
        assert client.post(reverse("service:action_add", args=[problem.pk]), {"new-description": "z"}).status_code == 403
        assert client.post(reverse("service:action_edit", args=[action.pk]), {}).status_code == 403
    assert clients["viewer"].post(reverse("service:problem_link", args=[problem.pk]), {"ticket": "T-1"}).status_code == 403
    assert (AuditEntry.objects.count(), ProblemEvent.objects.count()) == before
    page = clients["agent"].get(reverse("service:problem_detail", args=[problem.pk])).content.decode()
    assert reverse("service:problem_edit", args=[problem.pk]) not in page and reverse("service:problem_link", args=[problem.pk]) in page


def test_unknown_problems_and_actions_are_404(manager, client_as) -> None:
    client = client_as(manager)
    assert client.get(reverse("service:problem_detail", args=[999999])).status_code == 404
    assert client.post(reverse("service:action_edit", args=[999999]), {}).status_code == 404
    assert client.get(reverse("service:problem_create") + "?ticket=999999").status_code == 404


@pytest.mark.parametrize("count", [2, 9])
def test_the_list_costs_the_same_queries_for_any_number_of_problems(count, manager, category, client_as,
                                                                   django_assert_num_queries) -> None:
    for n in range(count):
        made = problems.problem_create(actor=manager, data={"title": f"P{n}", "category": category.pk, "owner": manager.pk})
        problems.action_create(actor=manager, problem=made, data={"description": "a"})
    client = client_as(manager)
    client.get(reverse("service:problem_list"))  # the organisation's settings are cached after the first page
    # session, user, categories (filter), the page of problems with their figures
    with django_assert_num_queries(4):
        response = client.get(reverse("service:problem_list"))
    assert len(response.context["page"].items) == count
    assert "0 of 1 actions done and checked" in response.content.decode()


def test_the_list_filters_by_status_and_words(manager, problem, client_as) -> None:
    done = problems.problem_create(actor=manager, data={"title": "Depozit inundat"})
    problems.problem_change_status(actor=manager, problem=done, status="resolved")
    client = client_as(manager)

    def shown(**params) -> list[int]:
        return [p.pk for p in client.get(reverse("service:problem_list"), params, **HTMX).context["page"].items]

    assert shown() == [problem.pk]
    assert shown(status="resolved") == [done.pk]
    assert shown(status="all", q="inundat") == [done.pk]
    assert shown(status="all", q=done.reference) == [done.pk]
    assert shown(status="nonsense", cursor="!!") == [problem.pk]  # a bad filter falls back


@pytest.mark.parametrize("count", [1, 6])
def test_the_problem_page_costs_the_same_queries_however_many_tickets_and_actions(count, manager, agent, problem, client_as,
                                                                                django_assert_num_queries) -> None:
    for n in range(count):
        person = contact_create(actor=agent, data={"first_name": f"Client{n}", "last_name": "Test"})
        made = services.ticket_create(actor=agent, data={"contact": person.pk, "subject": f"T{n}"})
        problems.problem_link_ticket(actor=agent, problem=problem, ticket=made)
        problems.action_create(actor=manager, problem=problem, data={"description": f"Action {n}", "owner": agent.pk})
    client = client_as(manager)
    client.get(reverse("service:problem_list"))  # the organisation's settings are cached after the first page
    # session, user, problem with figures, tickets with customers, agents (action forms), actions, history,
    # categories and agents (the problem's form)
    with django_assert_num_queries(9):
        page = client.get(reverse("service:problem_detail", args=[problem.pk])).content.decode()
    assert "Client0 Test" in page and "Action 0" in page and f"{count} customer{'s' if count > 1 else ''} affected" in page


def test_a_manager_records_a_problem_from_a_ticket(manager, agent, contact, category, client_as) -> None:
    ticket = services.ticket_create(actor=agent, data={
        "contact": contact.pk, "subject": "Colet pierdut", "category": category.pk, "description": "Curierul l-a pierdut.",
    })
    client = client_as(manager)
    page = client.get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    create = reverse("service:problem_create") + f"?ticket={ticket.pk}"
    assert create in page
    form = client.get(create)
    assert form.context["form"]["title"].value() == "Colet pierdut" and form.context["form"]["category"].value() == category.pk
    response = client.post(reverse("service:problem_create"), {
        "ticket": ticket.pk, "title": "Colete pierdute de curier", "status": "investigating", "category": category.pk,
        "customer_message": "Trimitem alt colet.",
    })
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == problem.get_absolute_url()
    ticket.refresh_from_db()
    assert (problem.status, ticket.problem) == ("investigating", problem)


def test_a_new_problem_with_bad_input_names_the_fields_and_writes_nothing(manager, client_as) -> None:
    response = client_as(manager).post(reverse("service:problem_create"), {"title": "", "status": "open", "product_sku": "NOPE"})
    assert response.status_code == 422
    assert {"title"} <= set(response.context["form"].errors)
    response = client_as(manager).post(reverse("service:problem_create"), {"title": "Ok", "status": "open", "product_sku": "NOPE"})
    assert response.status_code == 422 and "product_sku" in response.context["form"].errors
    assert not Problem.objects.exists()


def test_closing_with_an_unfinished_plan_is_refused_on_the_page(manager, problem, action, client_as) -> None:
    response = client_as(manager).post(reverse("service:problem_edit", args=[problem.pk]), {
        "title": problem.title, "status": "closed", "category": problem.category_id,
        "customer_message": problem.customer_message,
    })
    assert response.status_code == 422
    assert "Alt curier pentru Cluj" in response.context["problem_form"].errors["status"][0]
    problem.refresh_from_db()
    assert problem.status == "open"


def test_an_action_is_changed_in_place_and_the_row_comes_back(manager, agent, problem, action, client_as) -> None:
    client = client_as(manager)
    prefix = f"action-{action.pk}"
    response = client.post(reverse("service:action_edit", args=[action.pk]), {
        f"{prefix}-description": action.description, f"{prefix}-status": "done", f"{prefix}-owner": agent.pk,
        f"{prefix}-due_date": "2026-12-01", f"{prefix}-verified": "yes", f"{prefix}-verification_note": "20 colete livrate",
    }, **HTMX)
    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith(f'<li class="list__item action-row" id="action-{action.pk}"') and "It worked" in row
    action.refresh_from_db()
    assert (action.status, action.verified, action.verified_by, action.owner) == ("done", True, manager, agent)


def test_a_bad_action_edit_comes_back_with_the_field_named(manager, problem, action, client_as) -> None:
    prefix = f"action-{action.pk}"
    response = client_as(manager).post(reverse("service:action_edit", args=[action.pk]), {
        f"{prefix}-description": action.description, f"{prefix}-status": "todo", f"{prefix}-verified": "yes",
    }, **HTMX)
    assert response.status_code == 422 and "verified" in response.context["form"].errors
    assert "<details" in response.content.decode() and " open>" in response.content.decode()
    action.refresh_from_db()
    assert action.verified is None


def test_actions_are_added_from_the_problem_page(manager, problem, client_as) -> None:
    client = client_as(manager)
    assert client.post(reverse("service:action_add", args=[problem.pk]), {"new-description": "", "new-status": "todo"}).status_code == 422
    response = client.post(reverse("service:action_add", args=[problem.pk]), {
        "new-description": "Anunț pe site", "new-status": "doing", "new-due_date": "2026-12-24",
    })
    assert response.status_code == 302
    assert list(CorrectiveAction.objects.values_list("description", "status")) == [("Anunț pe site", "doing")]


def test_agents_link_a_ticket_by_reference_and_unlink_it(agent, problem, ticket, client_as) -> None:
    client = client_as(agent)
    assert client.post(reverse("service:problem_link", args=[problem.pk]), {"ticket": ticket.reference}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.problem == problem
    response = client.post(reverse("service:problem_link", args=[problem.pk]), {"ticket": "T-999999"})
    assert response.status_code == 422 and "ticket" in response.context["link_form"].errors
    assert client.post(reverse("service:problem_unlink", args=[problem.pk, ticket.pk])).status_code == 302
    ticket.refresh_from_db()
    assert ticket.problem is None


def test_agents_cannot_change_the_tickets_of_a_resolved_problem(agent, manager, problem, ticket, client_as) -> None:
    problems.problem_link_ticket(actor=manager, problem=problem, ticket=ticket)
    problems.problem_change_status(actor=manager, problem=problem, status="resolved")
    client = client_as(agent)
    assert client.post(reverse("service:problem_unlink", args=[problem.pk, ticket.pk])).status_code == 403
    other = services.ticket_create(actor=agent, data={"contact": ticket.contact_id, "subject": "x"})
    assert client.post(reverse("service:problem_link", args=[problem.pk]), {"ticket": other.reference}).status_code == 403
    assert Ticket.objects.filter(problem=problem).count() == 1
    problems.problem_change_status(actor=manager, problem=problem, status="closed")
    response = client_as(manager).post(reverse("service:problem_unlink", args=[problem.pk, ticket.pk]))
    assert response.status_code == 409 and Ticket.objects.filter(problem=problem).count() == 1


def test_an_agent_links_the_ticket_from_its_page_to_an_open_problem(agent, problem, ticket, client_as) -> None:
    client = client_as(agent)
    page = client.get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert f'<option value="{problem.pk}">{problem.reference} · {problem.title}</option>' in page
    assert client.post(reverse("service:ticket_problem", args=[ticket.pk]), {"problem": problem.pk}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.problem == problem
    page = client.get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Known issue" in page and "linked to this ticket" in page and "Livrările reîncep luni." in page
    assert client.post(reverse("service:ticket_problem", args=[ticket.pk]), {"problem": 999999}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.problem == problem  # an unknown choice changes nothing
    assert client.post(reverse("service:ticket_problem", args=[ticket.pk]), {"problem": ""}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.problem is None


def test_the_queue_links_to_the_problems(agent, client_as) -> None:
    assert reverse("service:problem_list") in client_as(agent).get(reverse("service:queue")).content.decode()
