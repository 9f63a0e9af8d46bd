"""What the ticket page shows about problems and knowledge articles: the known issues of the
ticket, the open problems it may be linked to, and the articles linked to it.

Kept apart from views.py so the ticket page stays one function call away from it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language

from kliyan.accounts.access import Perm, can
from kliyan.service import known_issues, problem_queries, problems, ticket_articles
from kliyan.service.models import Ticket
from kliyan.service.problem_forms import TicketProblemForm


def ticket_page_extras(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    """Return the ticket page's known issues, problem link and articles: two queries, three with a problem
    form, two more when articles are linked."""
    may_work = can(request.user, Perm.WORK_TICKETS)
    issues = known_issues.for_ticket(ticket)
    language = (getattr(request, "LANGUAGE_CODE", "") or get_language() or "en").split("-")[0]
    form = None
    if may_work:
        choices = problem_queries.link_choices(first=[issue.id for issue in issues])
        initial = ticket.problem_id if ticket.problem_id in dict(choices) else None
        form = TicketProblemForm(initial={"problem": initial}, choices=choices)
    return {
        "known_issues": issues,
        "ticket_problem_form": form,
        "may_unlink_problem": bool(ticket.problem_id) and may_work and problems.may_link(request.user, ticket.problem),
        "may_record_problem": can(request.user, Perm.MANAGE_SERVICE),
        "linked_articles": ticket_articles.linked_articles(ticket, language, customer_language=ticket.contact.language),
    }
