"""Pages for logging interactions, notes, tasks and My day. They parse, call a service or a query, render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm, can
from kliyan.contacts.models import Contact
from kliyan.core.choices import Channel
from kliyan.core.errors import KliyanError
from kliyan.core.pagination import keyset_page
from kliyan.core.web import apply_errors, is_htmx, perm_required
from kliyan.interactions import queries, services
from kliyan.interactions.forms import (
    InteractionLogForm,
    NoteForm,
    TaskFilterForm,
    TaskForm,
    due_filter,
)
from kliyan.interactions.models import Note, Task

RECENT_INTERACTIONS = 10
TASK_ORDERING = ["due_date", "id"]


def _contact_or_404(pk: int) -> Contact:
    return get_object_or_404(Contact.objects.only("id", "display_name", "company_id", "archived_at"), pk=pk)


def _contact_url(contact_id: int, anchor: str = "timeline") -> str:
    return reverse("contacts:contact_detail", args=[contact_id]) + f"#{anchor}"


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """Go to `url` after a save: an HX-Redirect for HTMX (a full page load), a 303 otherwise."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _next_url(request: HttpRequest, default: str) -> str:
    """Return the page to go back to (same site only), else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _status(form: Any) -> int:
    return 422 if form.errors else 200


# --- Interactions and notes ---------------------------------------------------------


@perm_required(Perm.LOG_INTERACTIONS)
def interaction_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a conversation with the contact, and optionally a follow-up task, in one step."""
    contact = _contact_or_404(pk)
    # ?channel=phone preselects the channel ("Log this call" from the screen pop).
    channel = request.GET.get("channel", "")
    initial = {"channel": channel} if channel in Channel.values else {}
    form = InteractionLogForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_log(actor=request.user, contact=contact, data=form.service_data())
        except KliyanError as error:
            apply_errors(form, error, InteractionLogForm.field_map())
        else:
            messages.success(request, _("Interaction saved."))
            return _redirect(request, _contact_url(contact.pk))
    context = {"contact": contact, "form": form}
    template = "interactions/interaction_log.html#form" if is_htmx(request) else "interactions/interaction_log.html"
    return render(request, template, context, status=_status(form))


@perm_required(Perm.LOG_INTERACTIONS)
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_or_404(pk)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.note_add(actor=request.user, contact=contact, body=form.cleaned_data["body"])
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Note added."))
            return _redirect(request, _contact_url(contact.pk))
    template = "interactions/note_form.html#form" if is_htmx(request) else "interactions/note_form.html"
    return render(request, template, {"contact": contact, "form": form}, status=_status(form))


@require_POST
@perm_required(Perm.ARCHIVE_CUSTOMERS)
def note_archive(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(Note, pk=pk)
    services.note_archive(actor=request.user, note=note)
    messages.success(request, _("Note archived."))
    return _redirect(request, _contact_url(note.contact_id))


# --- Tasks ------------------------------------------------------------------------


@perm_required(Perm.VIEW_CUSTOMERS)
def task_list(request: HttpRequest) -> HttpResponse:
    """List tasks, mine and open by default, soonest due first, a page at a time."""
    form = TaskFilterForm(request.GET)
    filters = form.values(request.user)
    tasks = queries.tasks(assignee_id=filters["assignee_id"], status=filters["status"])
    tasks = due_filter(tasks, filters["due"], timezone.localdate())
    cursor = request.GET.get("cursor") or None
    try:
        page = keyset_page(tasks, ordering=TASK_ORDERING, cursor=cursor, size=settings.KLIYAN_PAGE_SIZE)
    except KliyanError:
        page = keyset_page(tasks, ordering=TASK_ORDERING, cursor=None, size=settings.KLIYAN_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form, "page": page, "filter_query": query.urlencode(), "today": timezone.localdate(),
        "next": request.get_full_path(),
    }
    template = "interactions/task_list.html#results" if is_htmx(request) else "interactions/task_list.html"
    return render(request, template, context)


def _task_contact(request: HttpRequest) -> Contact | None:
    """Return the contact a new task is for (?contact=), if any."""
    raw = request.POST.get("contact") or request.GET.get("contact") or ""
    if not raw.isdigit():
        return None
    return Contact.objects.filter(pk=int(raw)).only("id", "display_name", "company_id").first()


@perm_required(Perm.LOG_INTERACTIONS)
def task_create(request: HttpRequest) -> HttpResponse:
    contact = _task_contact(request)
    form = TaskForm(request.POST or None, initial={"assignee": request.user.pk})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if contact is not None:
            data.update(contact=contact.pk, company=contact.company_id)
        try:
            services.task_create(actor=request.user, data=data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Task created."))
            default = _contact_url(contact.pk) if contact else reverse("interactions:task_list")
            return _redirect(request, _next_url(request, default))
    context = {"form": form, "contact": contact, "task": None, "next": _next_url(request, ""), "may_edit": True}
    return render(request, "interactions/task_form.html", context, status=_status(form))


def _task_or_404(pk: int) -> Task:
    return get_object_or_404(Task.objects.select_related("contact", "assignee"), pk=pk, archived_at__isnull=True)


@perm_required(Perm.VIEW_CUSTOMERS)
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a task; people who may only look (the timeline links here) see it read-only."""
    task = _task_or_404(pk)
    may_edit = can(request.user, Perm.LOG_INTERACTIONS)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied
    form = TaskForm(request.POST or None, initial=TaskForm.initial_for(task), keep_assignee=task.assignee_id)
    if not may_edit:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(actor=request.user, task=task, data=form.cleaned_data)
        except KliyanError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Task saved."))
            return _redirect(request, _next_url(request, reverse("interactions:task_list")))
    context = {"form": form, "contact": task.contact, "task": task, "next": _next_url(request, ""), "may_edit": may_edit}
    return render(request, "interactions/task_form.html", context, status=_status(form))


def _task_changed(request: HttpRequest, task: Task, message: str) -> HttpResponse:
    """Answer a task action: the updated row for HTMX, else back where the user was."""
    if is_htmx(request):
        task = _task_or_404(task.pk)
        context = {"task": task, "today": timezone.localdate(), "next": _next_url(request, "")}
        return render(request, "interactions/_task_item.html", context)
    messages.success(request, message)
    return redirect(_next_url(request, reverse("interactions:task_list")))


@require_POST
@perm_required(Perm.LOG_INTERACTIONS)
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = services.task_complete(actor=request.user, task=_task_or_404(pk))
    return _task_changed(request, task, _("Task done."))


@require_POST
@perm_required(Perm.LOG_INTERACTIONS)
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    task = services.task_reopen(actor=request.user, task=_task_or_404(pk))
    return _task_changed(request, task, _("Task reopened."))


@require_POST
@perm_required(Perm.ARCHIVE_CUSTOMERS)
def task_archive(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    services.task_archive(actor=request.user, task=task)
    if is_htmx(request):
        return HttpResponse("")  # the row disappears
    messages.success(request, _("Task archived."))
    return redirect(_next_url(request, reverse("interactions:task_list")))


# --- My day -----------------------------------------------------------------------


@dataclass
class Birthday:
    contact: Contact
    age: int | None
    whatsapp: str  # digits for wa.me, "" without a phone


def _birthday(contact: Contact, today: dt.date) -> Birthday:
    age = today.year - contact.birthday.year if contact.birthday else None
    return Birthday(contact=contact, age=age, whatsapp=contact.primary_phone.lstrip("+"))


@perm_required(Perm.VIEW_CUSTOMERS)
def my_day(request: HttpRequest) -> HttpResponse:
    """Show what needs doing today: overdue and today's tasks, birthdays, my latest conversations."""
    day = queries.my_day(request.user)
    recent = list(
        queries.interactions().filter(staff_id=request.user.pk).order_by("-occurred_at", "-id")[:RECENT_INTERACTIONS]
    )
    context = {
        "day": day,
        "today": day.today,
        "birthdays": [_birthday(contact, day.today) for contact in day.birthdays],
        "recent": recent,
        "next": request.get_full_path(),
    }
    return render(request, "interactions/my_day.html", context)


def contact_tasks_panel(request: HttpRequest, contact: Contact) -> dict[str, Any]:
    """Fill the "Open tasks" panel of the contact page."""
    tasks = list(queries.tasks(contact_id=contact.pk, status="open").order_by(*TASK_ORDERING)[:20])
    return {"tasks": tasks, "today": timezone.localdate(), "next": reverse("contacts:contact_detail", args=[contact.pk])}
