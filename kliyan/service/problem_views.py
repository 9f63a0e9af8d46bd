"""Pages for problems and known issues: the list, a problem with its tickets, action plan and
history, recording a problem (from a ticket too), linking tickets and knowledge articles, and
the suggestions the new-ticket form shows as the agent types.

They parse, call a service or a query, render; permissions are checked on every view.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm, can
from kliyan.core.errors import KliyanError
from kliyan.core.pagination import keyset_page
from kliyan.core.web import apply_errors, is_htmx, perm_required
from kliyan.knowledge.queries import search_articles
from kliyan.service import known_issues, problem_queries, problems, queries, similar, ticket_articles
from kliyan.service.choices import PROBLEM_OPEN, ProblemStatus
from kliyan.service.forms import agent_choices
from kliyan.service.models import CorrectiveAction, Problem, Ticket, ticket_id_from_reference
from kliyan.service.problem_forms import (
    ActionForm,
    LinkArticleForm,
    LinkTicketForm,
    ProblemFilterForm,
    ProblemForm,
    TicketProblemForm,
    statuses_for,
)
from kliyan.service.ticket_search import stems
from kliyan.service.views import _ticket_page as ticket_page

SUGGESTION_TEXT_LIMIT = 5000


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _said(error: KliyanError) -> str:
    """Return what went wrong in one line (a page without a form to show it next to a field)."""
    return "; ".join(m for ms in error.field_errors.values() for m in ms) or error.message


def _refuse(error: KliyanError) -> None:
    """A refusal by role is a 403 page like any other; the other refusals are shown on the page."""
    if error.status == 403:
        raise PermissionDenied(error.message)


def _language(request: HttpRequest) -> str:
    return (getattr(request, "LANGUAGE_CODE", "") or get_language() or "en").split("-")[0]


# --- The list ---------------------------------------------------------------------------------


@perm_required(Perm.VIEW_TICKETS)
def problem_list(request: HttpRequest) -> HttpResponse:
    """Problems, not yet resolved first by default, with customers affected and the plan's progress."""
    form = ProblemFilterForm(request.GET, categories=queries.category_choices())
    values = form.values()
    filters = problem_queries.ProblemFilters(statuses=statuses_for(values["status"]), category_id=values["category"], text=values["q"])
    rows = problem_queries.list_problems(filters)
    cursor = request.GET.get("cursor") or None
    try:
        page = keyset_page(rows, ordering=problem_queries.ORDERING, cursor=cursor, size=settings.KLIYAN_PAGE_SIZE)
    except KliyanError:
        cursor = None
        page = keyset_page(rows, ordering=problem_queries.ORDERING, cursor=None, size=settings.KLIYAN_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {"form": form, "values": values, "page": page, "cursor": cursor, "filter_query": query.urlencode()}
    if is_htmx(request):
        return render(request, "service/problem_list.html#results", context)
    return render(request, "service/problem_list.html", context)


# --- Recording a problem ----------------------------------------------------------------------


def _ticket_or_404(pk: int) -> Ticket:
    ticket = queries.ticket_for_page(pk)
    if ticket is None:
        raise Http404
    return ticket


def _from_ticket(ticket: Ticket) -> dict[str, Any]:
    first = ticket.messages.filter(kind="customer").order_by("created_at", "id").values_list("body", flat=True).first()
    return {
        "title": ticket.subject, "description": (first or "")[:2000], "category": ticket.category_id or "",
        "product_sku": ticket.product.sku if ticket.product_id else "", "status": "open",
    }


@perm_required(Perm.MANAGE_SERVICE)
def problem_create(request: HttpRequest) -> HttpResponse:
    """Record a problem; from a ticket (?ticket=) it starts from the ticket's words and links it."""
    raw = request.POST.get("ticket") or request.GET.get("ticket") or ""
    ticket = _ticket_or_404(int(raw)) if raw.isdigit() and len(raw) < 19 else None
    initial = _from_ticket(ticket) if ticket is not None else {}
    form = ProblemForm(request.POST or None, initial=initial, categories=queries.category_choices())
    if request.method == "POST" and form.is_valid():
        try:
            problem = problems.problem_create(actor=request.user, data=form.service_data(changed_only=False), ticket=ticket)
        except KliyanError as error:
            apply_errors(form, error, {"product": "product_sku"})
        else:
            messages.success(request, _("Problem %(reference)s recorded.") % {"reference": problem.reference})
            return _redirect(request, problem.get_absolute_url())
    status = 422 if form.errors else 200
    return render(request, "service/problem_form.html", {"form": form, "ticket": ticket}, status=status)


# --- One problem ------------------------------------------------------------------------------


def _problem_or_404(pk: int) -> Problem:
    problem = problem_queries.problem_for_page(pk)
    if problem is None:
        raise Http404
    return problem


def _problem_page(request: HttpRequest, problem: Problem, *, status: int = 200, **forms: Any) -> HttpResponse:
    manages = can(request.user, Perm.MANAGE_SERVICE)
    tickets = problem_queries.problem_tickets(problem)
    owners = agent_choices() if manages else []
    actions = problem_queries.problem_actions(problem)
    is_closed = problem.status == ProblemStatus.CLOSED
    editable = manages and not is_closed

    def action_form(action: CorrectiveAction) -> ActionForm | None:
        if not editable:
            return None
        if forms.get("action_form_for") == action.pk:
            return forms["action_form"]  # the one that failed, with its errors
        return ActionForm(action=action, owner_choices=owners)

    context = {
        "problem": problem,
        "tickets": tickets,
        "ticket_count": problem_queries.linked_ticket_count(problem, len(tickets)),
        "actions": [(action, action_form(action)) for action in actions],
        "history": problem_queries.problem_history(problem),
        "manages": manages,
        "may_link": problems.may_link(request.user, problem),
        "is_closed": is_closed,
        "is_known_issue": problem.status in PROBLEM_OPEN,
        "problem_form": forms.get("problem_form") or (
            ProblemForm(problem=problem, categories=queries.category_choices()) if editable else None
        ),
        "new_action_form": forms.get("new_action_form") or (ActionForm(owner_choices=owners, prefix="new") if manages else None),
        "link_form": forms.get("link_form") or LinkTicketForm(),
    }
    return render(request, "service/problem_detail.html", context, status=status)


@perm_required(Perm.VIEW_TICKETS)
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A problem: what, why, what to tell customers, its tickets with their customers, the plan, the history."""
    return _problem_page(request, _problem_or_404(pk))


@require_POST
@perm_required(Perm.MANAGE_SERVICE)
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem_or_404(pk)
    form = ProblemForm(request.POST, problem=problem, categories=queries.category_choices())
    if form.is_valid():
        try:
            problems.problem_update(actor=request.user, problem=problem, data=form.service_data(changed_only=True))
        except KliyanError as error:
            apply_errors(form, error, {"product": "product_sku"})
        else:
            messages.success(request, _("Problem saved."))
            return _redirect(request, problem.get_absolute_url())
    return _problem_page(request, problem, status=422, problem_form=form)


def _ticket_from_reference(text: str) -> Ticket | None:
    raw = text.strip()
    pk = ticket_id_from_reference(raw) if raw.upper().startswith("T-") else (int(raw) if raw.isdigit() and len(raw) < 19 else None)
    return Ticket.objects.filter(pk=pk).first() if pk is not None else None


@require_POST
@perm_required(Perm.WORK_TICKETS)
def problem_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a ticket (by reference) to the problem: agents while it is open, managers until it is closed."""
    problem = _problem_or_404(pk)
    form = LinkTicketForm(request.POST)
    if form.is_valid():
        ticket = _ticket_from_reference(form.cleaned_data["ticket"])
        if ticket is None:
            form.add_error("ticket", _("There is no ticket “%(reference)s”.") % {"reference": form.cleaned_data["ticket"]})
        else:
            try:
                linked = problems.problem_link_ticket(actor=request.user, problem=problem, ticket=ticket)
            except KliyanError as error:
                _refuse(error)
                apply_errors(form, error)
            else:
                note = _("%(ticket)s linked.") if linked else _("%(ticket)s was already linked.")
                messages.success(request, note % {"ticket": ticket.reference})
                return _redirect(request, problem.get_absolute_url() + "#tickets")
    return _problem_page(request, problem, status=422, link_form=form)


@require_POST
@perm_required(Perm.WORK_TICKETS)
def problem_unlink(request: HttpRequest, pk: int, ticket_pk: int) -> HttpResponse:
    problem = _problem_or_404(pk)
    ticket = get_object_or_404(Ticket, pk=ticket_pk)
    try:
        problems.problem_unlink_ticket(actor=request.user, problem=problem, ticket=ticket)
    except KliyanError as error:
        _refuse(error)
        messages.error(request, _said(error))
        return _problem_page(request, problem, status=error.status)
    messages.success(request, _("%(ticket)s is no longer linked to this problem.") % {"ticket": ticket.reference})
    return _redirect(request, problem.get_absolute_url() + "#tickets")


@require_POST
@perm_required(Perm.MANAGE_SERVICE)
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem_or_404(pk)
    form = ActionForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            problems.action_create(actor=request.user, problem=problem, data=form.service_data(changed_only=False))
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Action added to the plan."))
            return _redirect(request, problem.get_absolute_url() + "#actions")
    return _problem_page(request, problem, status=422, new_action_form=form)


@require_POST
@perm_required(Perm.MANAGE_SERVICE)
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change one action in place: HTMX swaps the row (with its errors, if any); otherwise the page."""
    action = get_object_or_404(CorrectiveAction.objects.select_related("problem", "owner", "verified_by"), pk=pk)
    owners = agent_choices(keep=action.owner_id)
    form = ActionForm(request.POST, action=action, owner_choices=owners)
    failed = not form.is_valid()
    if not failed:
        try:
            action = problems.action_update(actor=request.user, action=action, data=form.service_data(changed_only=True))
        except KliyanError as error:
            apply_errors(form, error)
            failed = True
    if is_htmx(request):
        if not failed:
            action = CorrectiveAction.objects.select_related("problem", "owner", "verified_by").get(pk=action.pk)
            form = ActionForm(action=action, owner_choices=owners)
        context = {"action": action, "form": form, "saved": not failed}
        return render(request, "service/_action_row.html", context, status=422 if failed else 200)
    if failed:
        return _problem_page(request, _problem_or_404(action.problem_id), status=422, action_form=form, action_form_for=action.pk)
    messages.success(request, _("Action saved."))
    return redirect(action.problem.get_absolute_url() + f"#action-{action.pk}")


# --- On a ticket: its problem and its articles ------------------------------------------------------


@require_POST
@perm_required(Perm.WORK_TICKETS)
def ticket_problem(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the ticket to an open problem (or take it off its problem, with an empty choice)."""
    ticket = _ticket_or_404(pk)
    form = TicketProblemForm(request.POST, choices=problem_queries.link_choices())
    if not form.is_valid():
        messages.error(request, _("Choose one of the open problems."))
        return _redirect(request, ticket.get_absolute_url())
    chosen = form.cleaned_data["problem"]
    try:
        if chosen is None:
            if ticket.problem_id:
                problems.problem_unlink_ticket(actor=request.user, problem=ticket.problem, ticket=ticket)
                messages.success(request, _("The ticket is no longer linked to a problem."))
        else:
            problem = problems.get_problem(chosen)
            problems.problem_link_ticket(actor=request.user, problem=problem, ticket=ticket)
            messages.success(request, _("Ticket linked to %(problem)s.") % {"problem": problem.reference})
    except KliyanError as error:
        _refuse(error)
        messages.error(request, _said(error))
        return ticket_page(request, _ticket_or_404(pk), status=error.status)
    return _redirect(request, ticket.get_absolute_url())


@require_POST
@perm_required(Perm.WORK_TICKETS)
def ticket_article_link(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(pk)
    form = LinkArticleForm(request.POST)
    try:
        if not form.is_valid():
            raise KliyanError(_("Choose an article."))
        ticket_articles.ticket_link_article(actor=request.user, ticket=ticket, article=form.cleaned_data["article"],
                                            language=_language(request))
    except KliyanError as error:
        messages.error(request, _said(error))
        return ticket_page(request, _ticket_or_404(pk), status=error.status)
    else:
        messages.success(request, _("Article linked to the ticket."))
    return _redirect(request, ticket.get_absolute_url() + "#articles")


@require_POST
@perm_required(Perm.WORK_TICKETS)
def ticket_article_unlink(request: HttpRequest, pk: int, article_id: int) -> HttpResponse:
    ticket = _ticket_or_404(pk)
    if ticket_articles.ticket_unlink_article(actor=request.user, ticket=ticket, article_id=article_id, language=_language(request)):
        messages.success(request, _("Article taken off the ticket."))
    return _redirect(request, ticket.get_absolute_url() + "#articles")


@perm_required(Perm.WORK_TICKETS)
def ticket_article_find(request: HttpRequest, pk: int) -> HttpResponse:
    """Find articles to link (HTMX fragment): the words typed, or suggestions from the ticket itself."""
    ticket = _ticket_or_404(pk)
    q = request.GET.get("q", "").strip()[:200]
    language = _language(request)
    if q:
        hits = search_articles(q, language, public_only=False, limit=8)
    else:
        body = ticket.messages.filter(kind="customer").order_by("created_at", "id").values_list("body", flat=True).first() or ""
        found = similar.suggest_articles(stems(ticket.subject), stems(body)[:4], language, limit=5)
        hits = [item.hit for item in found]
    linked = set(ticket.article_links.values_list("article_id", flat=True))
    return render(request, "service/_article_results.html", {"ticket": ticket, "hits": hits, "linked": linked, "q": q})


# --- The new-ticket form: known issues and similar tickets as the agent types --------------------------


@perm_required(Perm.WORK_TICKETS)
def ticket_suggestions(request: HttpRequest) -> HttpResponse:
    """The new-ticket form's side panel (HTMX): known issues of the chosen category/product, and
    open tickets, problems and articles like what the agent has typed so far."""
    subject = request.GET.get("subject", "")[:SUGGESTION_TEXT_LIMIT]
    description = request.GET.get("description", "")[:SUGGESTION_TEXT_LIMIT]
    raw_category, raw_contact = request.GET.get("category", ""), request.GET.get("contact", "")
    category_id = int(raw_category) if raw_category.isdigit() and len(raw_category) < 19 else None
    contact_id = int(raw_contact) if raw_contact.isdigit() and len(raw_contact) < 19 else None
    product = known_issues.product_by_sku(request.GET.get("product_sku", ""))
    product_id = product.pk if product else None
    issues = known_issues.for_new_ticket(category_id=category_id, product_id=product_id)
    found = similar.suggest(
        f"{subject}\n{description}", subject=subject, category_id=category_id, product_id=product_id, contact_id=contact_id,
        language=_language(request),
    )
    known = {issue.id for issue in issues}
    found.problems = [p for p in found.problems if p.id not in known]  # already shown as known issues
    return render(request, "service/_ticket_suggestions.html", {"issues": issues, "found": found})
