"""The demo records one open problem with its plan, linked to demo tickets, so the known issue shows."""

from __future__ import annotations

import pytest

from kliyan.core.demo import load_demo
from kliyan.service import known_issues
from kliyan.service.models import Problem

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_open_problem_with_two_actions_and_linked_tickets(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        load_demo(people=15, companies=3, seed=7)
    problem = Problem.objects.get()
    assert problem.status == "fixing" and problem.customer_message
    assert sorted(problem.actions.values_list("status", "verified")) == [("doing", None), ("done", True)]
    linked = list(problem.tickets.all())
    assert 1 <= len(linked) <= 3
    assert known_issues.for_ticket(linked[0])[0].id == problem.pk
