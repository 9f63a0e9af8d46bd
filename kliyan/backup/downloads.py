"""Answer a request for a backup's file: the page and the API share this, after checking the permission."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse

from kliyan.backup import services
from kliyan.backup.models import Backup


def download(*, actor: Any, backup: Backup) -> FileResponse:
    """Answer with the backup's file as a download, audited as an export of the whole database."""
    path = services.backup_file_for_download(actor=actor, backup=backup)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=backup.file_name, content_type="application/zip")
    # Every customer's data: never kept by a browser's or a proxy's cache.
    response["Cache-Control"] = "private, no-store"
    return response
