"""Problems and their action plans (services): validation named by field, history, audit, events,
the closing rule, who may link tickets, and linking that is retried safely."""

from __future__ import annotations

import pytest

from kliyan.core.errors import AccessDenied, Conflict, ValidationFailed
from kliyan.core.events import subscribe
from kliyan.core.models import AuditEntry
from kliyan.service import categories, problems, services
from kliyan.service.models import CorrectiveAction, Problem, ProblemEvent, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(manager):
    return categories.category_create(actor=manager, data={"name": "Livrare"})


@pytest.fixture
def problem(manager, category):
    return problems.problem_create(actor=manager, data={
        "title": "Curierul nu livrează în Cluj", "category": category.pk,
        "customer_message": "Spuneți-le că livrările reîncep luni.",
    })


@pytest.fixture
def events():
    seen: list[tuple[str, dict]] = []

    def listen(name, payloads):
        seen.extend((name, payload) for payload in payloads)

    subscribe(listen)
    return seen


def field_errors(excinfo) -> set[str]:
    return set(excinfo.value.field_errors)


def test_a_problem_is_recorded_with_its_history_audit_and_event(manager, category, ticket, events) -> None:
    problem = problems.problem_create(actor=manager, ticket=ticket, data={
        "title": "  Curierul   nu livrează ", "category": category.pk, "description": "Din 3 martie.", "owner": manager.pk,
    })
    assert (problem.title, problem.status, problem.owner, problem.reference) == (
        "Curierul nu livrează", "open", manager, f"P-{problem.pk:06d}",
    )
    assert list(ProblemEvent.objects.filter(problem=problem).values_list("kind", flat=True)) == ["created", "ticket_linked"]
    assert AuditEntry.objects.filter(object_type="service.problem", object_id=str(problem.pk), action="create").count() == 1
    ticket.refresh_from_db()
    assert ticket.problem == problem
    assert TicketEvent.objects.filter(ticket=ticket, kind="problem", new_label__contains="Curierul").exists()
    names = [name for name, _payload in events]
    assert names.count("problem.created") == 1 and "ticket.updated" in names
    assert next(p for n, p in events if n == "ticket.updated")["problem_id"] == problem.pk


def test_bad_input_is_named_by_field_and_nothing_is_written(manager, agent) -> None:
    before = (Problem.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationFailed) as excinfo:
        problems.problem_create(actor=manager, data={
            "title": "", "status": "sideways", "category": 999999, "product_sku": "NOPE", "owner": 0, "tickets": [999999],
            "colour": "red",
        })
    assert field_errors(excinfo) == {"title", "status", "category", "product", "owner", "tickets.0", "colour"}
    with pytest.raises(ValidationFailed) as excinfo:
        problems.problem_create(actor=manager, data={"title": "x", "status": "closed"})
    assert field_errors(excinfo) == {"status"}
    assert (Problem.objects.count(), AuditEntry.objects.count()) == before


def test_a_viewer_cannot_own_a_problem(manager, viewer) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        problems.problem_create(actor=manager, data={"title": "x", "owner": viewer.pk})
    assert field_errors(excinfo) == {"owner"}


def test_changes_are_history_lines_with_labels_and_one_audit_entry(manager, agent, problem, events) -> None:
    problems.problem_update(actor=manager, problem=problem, data={
        "root_cause": "Contractul cu curierul a expirat.", "owner": agent.pk, "status": "investigating",
    })
    problem.refresh_from_db()
    lines = {(e.kind, e.field): (e.old_value, e.new_value) for e in ProblemEvent.objects.filter(problem=problem)}
    assert lines[("changed", "root_cause")] == ("", "Contractul cu curierul a expirat.")
    assert lines[("changed", "owner")] == ("", str(agent))
    assert lines[("status", "status")] == ("open", "investigating")
    entry = AuditEntry.objects.get(object_type="service.problem", action="update")
    assert entry.after == {"root_cause": "Contractul cu curierul a expirat.", "owner_id": agent.pk, "status": "investigating"}
    assert [p["changed"] for n, p in events if n == "problem.updated"] == [["root_cause", "owner_id", "status"]]
    # The same values again change nothing and write nothing.
    problems.problem_update(actor=manager, problem=problem, data={"owner": agent.pk, "status": "investigating"})
    assert AuditEntry.objects.filter(object_type="service.problem", action="update").count() == 1


def test_a_problem_closes_only_when_every_action_is_done_and_verified(manager, agent, problem) -> None:
    first = problems.action_create(actor=manager, problem=problem, data={"description": "Alt curier pentru Cluj", "owner": agent.pk})
    second = problems.action_create(actor=manager, problem=problem, data={"description": "Anunț pe site", "due_date": "2026-12-01"})
    with pytest.raises(ValidationFailed) as excinfo:
        problems.problem_change_status(actor=manager, problem=problem, status="closed")
    message = excinfo.value.field_errors["status"][0]
    assert "Alt curier pentru Cluj" in message and "Anunț pe site" in message
    problems.action_update(actor=manager, action=first, data={"status": "done", "verified": True, "verification_note": "10 colete livrate"})
    problems.action_update(actor=manager, action=second, data={"status": "done", "verified": False})
    with pytest.raises(ValidationFailed) as excinfo:
        problems.problem_change_status(actor=manager, problem=problem, status="closed")
    assert "Anunț pe site" in excinfo.value.field_errors["status"][0] and "Alt curier" not in excinfo.value.field_errors["status"][0]
    problem.refresh_from_db()
    assert problem.status == "open" and problem.closed_at is None
    problems.action_update(actor=manager, action=second, data={"verified": True})
    problems.problem_change_status(actor=manager, problem=problem, status="closed")
    problem.refresh_from_db()
    assert problem.status == "closed" and problem.closed_at and problem.resolved_at


def test_a_closed_problem_is_final(manager, problem, ticket, agent) -> None:
    problems.problem_change_status(actor=manager, problem=problem, status="closed")  # no actions: nothing stands in the way
    for change in ({"status": "open"}, {"title": "Other"}):
        with pytest.raises(Conflict):
            problems.problem_update(actor=manager, problem=problem, data=change)
    with pytest.raises(Conflict):
        problems.action_create(actor=manager, problem=problem, data={"description": "Too late"})
    with pytest.raises(Conflict):
        problems.problem_link_ticket(actor=manager, problem=problem, ticket=ticket)
    assert not CorrectiveAction.objects.exists() and not Ticket.objects.filter(problem=problem).exists()


def test_resolving_sets_the_date_and_reopening_clears_it(manager, problem) -> None:
    problems.problem_change_status(actor=manager, problem=problem, status="resolved")
    problem.refresh_from_db()
    assert problem.resolved_at is not None
    problems.problem_change_status(actor=manager, problem=problem, status="fixing")
    problem.refresh_from_db()
    assert (problem.status, problem.resolved_at) == ("fixing", None)


def test_whether_an_action_worked_is_asked_once_it_is_done_and_signed(manager, agent, problem) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        problems.action_create(actor=manager, problem=problem, data={"description": "Verifică", "verified": True})
    assert field_errors(excinfo) == {"verified"}
    action = problems.action_create(actor=manager, problem=problem, data={"description": "Verifică depozitul"})
    with pytest.raises(ValidationFailed) as excinfo:
        problems.action_update(actor=manager, action=action, data={"verified": "maybe", "status": "finished", "due_date": "31/12"})
    assert field_errors(excinfo) == {"verified", "status", "due_date"}
    problems.action_update(actor=manager, action=action, data={"status": "done", "verified": "yes"})
    action.refresh_from_db()
    assert (action.verified, action.verified_by, action.done_at is not None) == (True, manager, True)
    assert ProblemEvent.objects.filter(kind="action_verified", action=action, new_value="yes").exists()
    # Undone: what was checked no longer holds.
    problems.action_update(actor=manager, action=action, data={"status": "doing"})
    action.refresh_from_db()
    assert (action.status, action.verified, action.verified_by, action.verified_at, action.done_at) == ("doing", None, None, None, None)


def test_agents_link_tickets_to_open_problems_only_managers_after_resolution(agent, manager, problem, ticket) -> None:
    assert problems.problem_link_ticket(actor=agent, problem=problem, ticket=ticket) is True
    assert problems.problem_link_ticket(actor=agent, problem=problem, ticket=ticket) is False  # a retry writes nothing
    assert ProblemEvent.objects.filter(kind="ticket_linked").count() == 1
    problems.problem_change_status(actor=manager, problem=problem, status="resolved")
    with pytest.raises(AccessDenied):
        problems.problem_unlink_ticket(actor=agent, problem=problem, ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.problem == problem
    assert problems.problem_unlink_ticket(actor=manager, problem=problem, ticket=ticket) is True
    ticket.refresh_from_db()
    assert ticket.problem is None
    assert problems.problem_unlink_ticket(actor=manager, problem=problem, ticket=ticket) is False


def test_moving_a_ticket_to_another_problem_writes_both_histories(manager, problem, ticket) -> None:
    problems.problem_link_ticket(actor=manager, problem=problem, ticket=ticket)
    other = problems.problem_create(actor=manager, data={"title": "Depozit inundat"})
    problems.problem_link_ticket(actor=manager, problem=other, ticket=ticket)
    assert ProblemEvent.objects.filter(problem=problem, kind="ticket_unlinked", ticket=ticket).exists()
    assert ProblemEvent.objects.filter(problem=other, kind="ticket_linked", ticket=ticket).exists()
    entry = AuditEntry.objects.filter(object_type="service.ticket", action="update").latest("id")
    assert (entry.before, entry.after, entry.contact_id) == ({"problem_id": problem.pk}, {"problem_id": other.pk}, ticket.contact_id)


def test_a_problem_with_tickets_that_cannot_be_linked_is_not_recorded(manager, ticket) -> None:
    closed = problems.problem_create(actor=manager, data={"title": "Old"}, ticket=ticket)
    problems.problem_change_status(actor=manager, problem=closed, status="closed")
    with pytest.raises(Conflict):
        problems.problem_create(actor=manager, data={"title": "New", "tickets": [ticket.pk]})
    assert Problem.objects.count() == 1


def test_the_tickets_search_text_follows_its_subject_and_first_message(agent, contact) -> None:
    ticket = services.ticket_create(actor=agent, data={"contact": contact.pk, "subject": "Colet întârziat"})
    assert ticket.search_text == "colet intarziat"
    services.ticket_customer_message(actor=None, ticket=ticket, body="Comanda SO-77 nu a sosit.")
    ticket.refresh_from_db()
    assert ticket.search_text == "colet intarziat comanda so 77 nu a sosit"
    services.ticket_customer_message(actor=None, ticket=ticket, body="Alo?")  # later messages do not change what it is about
    services.ticket_update(actor=agent, ticket=ticket, data={"subject": "Livrare ratată"})
    ticket.refresh_from_db()
    assert ticket.search_text == "livrare ratata comanda so 77 nu a sosit"
