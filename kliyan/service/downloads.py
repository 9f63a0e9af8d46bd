"""Answer a request for an attachment: the page and the API share this, and both check who may see it first."""

from __future__ import annotations

from django.http import FileResponse

from kliyan.service.models import TicketAttachment


def download(attachment: TicketAttachment) -> FileResponse:
    """Answer with the file, always as a download: a file from a customer is never shown inline."""
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name, content_type=attachment.content_type,
    )
    # Should a browser render it anyway, it runs in a sandbox with nothing allowed.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
