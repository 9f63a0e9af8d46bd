"""API v1: start a backup, follow it, list the backups made, download one. Admins only.

Restoring is not in the API: it needs an empty database and runs from the command line
(`kliyan restore FILE`, docs/backup.md).
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Router, Status

from kliyan.accounts.access import Perm
from kliyan.backup import queries, services
from kliyan.backup.downloads import download
from kliyan.backup.schemas import BackupOut, BackupPage, backup_out
from kliyan.contacts.api import LIMIT
from kliyan.core.api_auth import actor
from kliyan.core.pagination import keyset_page

router = Router(tags=["backups"])
ORDERING = ["-created_at", "-id"]


@router.get("/backups", response=BackupPage, summary="List the backups made, newest first")
def backup_list(request: HttpRequest, cursor: str | None = None, limit: int = LIMIT) -> dict[str, Any]:
    actor(request, Perm.MANAGE_BACKUPS)
    page = keyset_page(queries.backups_for_list(), ordering=ORDERING, cursor=cursor, size=limit)
    return {"items": [backup_out(b) for b in page.items], "next_cursor": page.next_cursor}


@router.post("/backups", response={202: BackupOut}, summary="Start a backup of the whole database and the stored files")
def backup_create(request: HttpRequest) -> Status[dict[str, Any]]:
    """Queue a backup; it runs in the background (follow it with GET /backups/{id}). 409 while another one runs."""
    user = actor(request, Perm.MANAGE_BACKUPS)
    backup = services.backup_start(actor=user)
    return Status(202, backup_out(services.get_backup(backup.pk)))


@router.get("/backups/{int:backup_id}", response=BackupOut, summary="Read a backup: status and progress")
def backup_detail(request: HttpRequest, backup_id: int) -> dict[str, Any]:
    actor(request, Perm.MANAGE_BACKUPS)
    return backup_out(services.get_backup(backup_id))


@router.get(
    "/backups/{int:backup_id}/download", response={200: None}, url_name="backup_download",
    summary="Download a finished backup (ZIP)",
    openapi_extra={"responses": {"200": {"description": "the backup file", "content": {
        "application/zip": {"schema": {"type": "string", "format": "binary"}}}}}},
)
def backup_download(request: HttpRequest, backup_id: int) -> FileResponse:
    user = actor(request, Perm.MANAGE_BACKUPS)
    return download(actor=user, backup=services.get_backup(backup_id))
