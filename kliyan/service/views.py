"""Pages of the service desk: the queue, the board, a ticket, a new ticket, categories, teams.

They parse, call a service or a query, render; permissions are checked on every view.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts import teams as team_services
from kliyan.accounts.access import Perm, can
from kliyan.accounts.models import Team
from kliyan.contacts.models import Contact
from kliyan.contacts.queries import search_contacts
from kliyan.core.errors import KliyanError
from kliyan.core.pagination import keyset_page
from kliyan.core.registry import render_page_panels
from kliyan.core.web import apply_errors, is_htmx, perm_required
from kliyan.service import categories, outbox, queries, services
from kliyan.service.attachments import uploads_size_ok
from kliyan.service.choices import TicketStatus
from kliyan.service.downloads import download
from kliyan.service.forms import (
    QUEUE_TABS,
    SORTS,
    CategoryForm,
    NoteForm,
    QueueFilterForm,
    ReplyForm,
    TeamForm,
    TicketForm,
    TicketPropertiesForm,
    queue_filters,
)
from kliyan.service.models import Ticket, TicketAttachment, TicketCategory
from kliyan.service.ticket_extras import ticket_page_extras


def _status(form: Any) -> int:
    return 422 if form.errors else 200


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# --- Queue and board ------------------------------------------------------------------------


def _queue_context(request: HttpRequest) -> tuple[QueueFilterForm, dict[str, Any], queries.TicketFilters]:
    form = QueueFilterForm(request.GET, categories=queries.category_choices())
    values = form.values()
    return form, values, queue_filters(values, request.user)


@perm_required(Perm.VIEW_TICKETS)
def queue(request: HttpRequest) -> HttpResponse:
    """The agents' queue: tabs (mine, my team, unassigned, all open, breaching soon), filters, pages."""
    form, values, filters = _queue_context(request)
    tickets = queries.list_tickets(filters)
    cursor = request.GET.get("cursor") or None
    try:
        page = keyset_page(tickets, ordering=SORTS[values["sort"]], cursor=cursor, size=settings.KLIYAN_PAGE_SIZE)
    except KliyanError:
        cursor = None
        page = keyset_page(tickets, ordering=SORTS[values["sort"]], cursor=None, size=settings.KLIYAN_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("cursor", None)
    now = timezone.now()
    context = {
        "now": now, "soon": now + queries.BREACHING_WINDOW,
        "form": form, "values": values, "page": page, "cursor": cursor, "filter_query": query.urlencode(),
    }
    if is_htmx(request):  # the filters changed: only the results are redrawn
        return render(request, "service/queue.html#results", context)
    team_ids = filters.team_ids if values["tab"] == "team" and filters.team_ids is not None else team_services.team_ids_of(request.user)
    counts = queries.tab_counts(request.user, list(team_ids))
    without_tab = query.copy()
    without_tab.pop("tab", None)
    context.update({
        "tabs": [(key, label, counts.get(key)) for key, label in QUEUE_TABS], "tab_query": without_tab.urlencode(),
        "has_team": bool(team_ids),
    })
    return render(request, "service/queue.html", context)


@perm_required(Perm.VIEW_TICKETS)
def board(request: HttpRequest) -> HttpResponse:
    """Tickets by status in columns (desktop); on a phone the columns stack into a list."""
    form, values, filters = _queue_context(request)
    query = request.GET.copy()
    query.pop("tab", None)
    now = timezone.now()
    context = {
        "now": now, "soon": now + queries.BREACHING_WINDOW,
        "form": form, "values": values, "columns": queries.board(filters), "tabs": QUEUE_TABS, "tab_query": query.urlencode(),
    }
    return render(request, "service/board.html", context)


# --- One ticket ----------------------------------------------------------------------------------


def _ticket_or_404(pk: int) -> Ticket:
    ticket = queries.ticket_for_page(pk)
    if ticket is None:
        raise Http404
    return ticket


def _ticket_page(request: HttpRequest, ticket: Ticket, *, status: int = 200, **forms: Any) -> HttpResponse:
    may_work = can(request.user, Perm.WORK_TICKETS)
    options = queries.category_choices() if may_work else []
    context = {
        "ticket": ticket,
        "conversation": queries.conversation(ticket),
        "loose_attachments": queries.loose_attachments(ticket),
        "history": queries.history(ticket),
        "may_work": may_work,
        "properties_form": forms.get("properties_form") or (TicketPropertiesForm(ticket=ticket, categories=options) if may_work else None),
        "reply_form": forms.get("reply_form") or (ReplyForm(ticket=ticket) if may_work else None),
        "note_form": forms.get("note_form") or (NoteForm() if may_work else None),
        "is_closed": ticket.status == TicketStatus.CLOSED,
        "recipient": outbox.recipient_for(ticket) if may_work else "",
        # Boxes other apps add to the ticket page (customer feedback's CSAT box, …): core.registry.
        "panels": render_page_panels("ticket", request, ticket),
        **ticket_page_extras(request, ticket),  # known issues, its problem, linked articles
    }
    return render(request, "service/ticket_detail.html", context, status=status)


@perm_required(Perm.VIEW_TICKETS)
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A ticket: the conversation (internal notes marked), the history, and the side panel to change it."""
    return _ticket_page(request, _ticket_or_404(pk))


@require_POST
@perm_required(Perm.WORK_TICKETS)
def ticket_properties(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(pk)
    form = TicketPropertiesForm(request.POST, ticket=ticket, categories=queries.category_choices())
    if form.is_valid():
        try:
            services.ticket_update(actor=request.user, ticket=ticket, data=form.changed_data_for_service())
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Ticket saved."))
            return _redirect(request, ticket.get_absolute_url())
    return _ticket_page(request, ticket, status=422, properties_form=form)


@require_POST
@perm_required(Perm.WORK_TICKETS)
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(pk)
    form = ReplyForm(request.POST, request.FILES, ticket=ticket)
    if form.is_valid():
        try:
            uploads_size_ok(form.cleaned_data["files"])
            message = services.ticket_reply(
                actor=request.user, ticket=ticket, body=form.cleaned_data["body"], status=form.cleaned_data["status"],
                files=form.cleaned_data["files"],
            )
        except KliyanError as error:
            apply_errors(form, error, {"file": "files", "attachments": "files"})
        else:
            sent = _("Reply saved and being e-mailed to %(address)s.") % {"address": message.to_address}
            messages.success(request, sent if message.to_address else _("Reply saved (the contact has no e-mail address)."))
            return _redirect(request, ticket.get_absolute_url() + f"#message-{message.pk}")
    return _ticket_page(request, ticket, status=422, reply_form=form)


@require_POST
@perm_required(Perm.WORK_TICKETS)
def ticket_note(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(pk)
    form = NoteForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            uploads_size_ok(form.cleaned_data["files"])
            message = services.ticket_add_note(
                actor=request.user, ticket=ticket, body=form.cleaned_data["body"], files=form.cleaned_data["files"],
            )
        except KliyanError as error:
            apply_errors(form, error, {"file": "files", "attachments": "files"})
        else:
            messages.success(request, _("Internal note added."))
            return _redirect(request, ticket.get_absolute_url() + f"#message-{message.pk}")
    return _ticket_page(request, ticket, status=422, note_form=form)


@perm_required(Perm.VIEW_TICKETS)
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a ticket's file to someone who may see the ticket."""
    return download(get_object_or_404(TicketAttachment, pk=pk))


# --- New ticket ----------------------------------------------------------------------------------


@perm_required(Perm.WORK_TICKETS)
def ticket_create(request: HttpRequest) -> HttpResponse:
    """Open a ticket for a contact (?contact=), or first find the contact."""
    raw = request.POST.get("contact") or request.GET.get("contact") or ""
    contact = Contact.objects.filter(pk=int(raw)).select_related("company").first() if raw.isdigit() and len(raw) < 19 else None
    if contact is None:
        q = request.GET.get("q", "").strip()[:100]
        found = search_contacts(q, limit=20) if q else []
        return render(request, "service/ticket_pick_contact.html", {"q": q, "found": found})
    form = TicketForm(request.POST or None, request.FILES or None, categories=queries.category_choices())
    if request.method == "POST" and form.is_valid():
        try:
            uploads_size_ok(form.cleaned_data["files"])
            ticket = services.ticket_create(
                actor=request.user, contact=contact, data=form.service_data(), files=form.cleaned_data["files"],
            )
        except KliyanError as error:
            apply_errors(form, error, {"file": "files", "attachments": "files"})
        else:
            messages.success(request, _("Ticket %(reference)s opened.") % {"reference": ticket.reference})
            return _redirect(request, ticket.get_absolute_url())
    return render(request, "service/ticket_form.html", {"form": form, "contact": contact}, status=_status(form))


# --- Categories and teams ---------------------------------------------------------------------------


@perm_required(Perm.MANAGE_SERVICE)
def category_list(request: HttpRequest) -> HttpResponse:
    """The category tree, and a form to add one."""
    tree = queries.category_tree()
    form = CategoryForm(request.POST or None, parents=[(n.category.pk, n.path) for n in tree])
    if request.method == "POST" and form.is_valid():
        try:
            categories.category_create(actor=request.user, data=form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Category added."))
            return redirect("service:category_list")
    return render(request, "service/category_list.html", {"tree": tree, "form": form}, status=_status(form))


@perm_required(Perm.MANAGE_SERVICE)
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(TicketCategory, pk=pk)
    tree = queries.category_tree()
    initial = {"name": category.name, "parent": category.parent_id or "", "active": category.active}
    form = CategoryForm(request.POST or None, initial=initial, parents=[(n.category.pk, n.path) for n in tree if n.category.pk != pk])
    if request.method == "POST" and form.is_valid():
        try:
            categories.category_update(actor=request.user, category=category, data=form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Category saved."))
            return redirect("service:category_list")
    return render(request, "service/category_form.html", {"form": form, "category": category}, status=_status(form))


@perm_required(Perm.MANAGE_SERVICE)
def team_list(request: HttpRequest) -> HttpResponse:
    """The teams, and a form to add one."""
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team_services.team_create(actor=request.user, data=form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Team added."))
            return redirect("service:team_list")
    return render(request, "service/team_list.html", {"teams": list(team_services.teams()), "form": form}, status=_status(form))


@perm_required(Perm.MANAGE_SERVICE)
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team.objects.prefetch_related("members"), pk=pk)
    member_ids = [member.pk for member in team.members.all()]
    initial = {"name": team.name, "manager": team.manager_id or "", "members": member_ids, "active": team.active}
    form = TeamForm(request.POST or None, initial=initial, keep=[*member_ids, team.manager_id or 0])
    if request.method == "POST" and form.is_valid():
        try:
            team_services.team_update(actor=request.user, team=team, data=form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Team saved."))
            return redirect("service:team_list")
    return render(request, "service/team_form.html", {"form": form, "team": team}, status=_status(form))

