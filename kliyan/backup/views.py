"""The Backups page (admins): start a backup, follow its progress, download the files made.

Restoring is done from the command line (`kliyan restore`), into an empty database; the
page says how.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kliyan.accounts.access import Perm
from kliyan.backup import queries, services
from kliyan.backup.downloads import download
from kliyan.core.errors import KliyanError
from kliyan.core.pagination import keyset_page
from kliyan.core.web import is_htmx, perm_required

BACKUPS_PER_PAGE = 25
ORDERING = ["-created_at", "-id"]


@perm_required(Perm.MANAGE_BACKUPS)
def backup_list(request: HttpRequest) -> HttpResponse:
    """Show the backups made, newest first; HTMX polls the list itself while one is running."""
    cursor = request.GET.get("cursor") or None
    try:
        page = keyset_page(queries.backups_for_list(), ordering=ORDERING, cursor=cursor, size=BACKUPS_PER_PAGE)
    except KliyanError:
        cursor = None
        page = keyset_page(queries.backups_for_list(), ordering=ORDERING, cursor=None, size=BACKUPS_PER_PAGE)
    context = {"page": page, "cursor": cursor, "polling": cursor is None and any(b.is_active for b in page.items)}
    template = "backup/partials/_list.html" if is_htmx(request) else "backup/list.html"
    return render(request, template, context)


@require_POST
@perm_required(Perm.MANAGE_BACKUPS)
def backup_start(request: HttpRequest) -> HttpResponse:
    try:
        services.backup_start(actor=request.user)
    except KliyanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The backup has started. It runs in the background; you may leave this page."))
    return redirect("backup:list")


@perm_required(Perm.MANAGE_BACKUPS)
def backup_download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        return download(actor=request.user, backup=services.get_backup(pk))
    except KliyanError as error:
        raise Http404(error.message) from error
