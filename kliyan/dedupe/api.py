"""API v1: likely duplicates, the scan that finds them, "not duplicates", and merging contacts.

Endpoints parse, check the permission, call a service or query, and render.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kliyan.accounts.access import Perm
from kliyan.contacts.api import LIMIT
from kliyan.contacts.models import Contact
from kliyan.contacts.queries import contact_details
from kliyan.contacts.schemas import contact_out
from kliyan.core.api_auth import actor
from kliyan.core.errors import NotFound, ValidationFailed
from kliyan.dedupe import queries, services
from kliyan.dedupe.choices import PairStatus
from kliyan.dedupe.merge import contact_merge
from kliyan.dedupe.models import DuplicateScan
from kliyan.dedupe.schemas import MergeIn, MergeOut, PairOut, PairPage, ScanOut, pair_out, scan_out

router = Router(tags=["duplicates"])


@router.get("/duplicates", response=PairPage, summary="List likely duplicate pairs, best score first")
def pair_list(
    request: HttpRequest,
    status: str = Query("open", description="open, dismissed or merged"),
    min_score: int = Query(0, ge=0, le=100, description="Only pairs scoring at least this"),
    cursor: str | None = None,
    limit: int = LIMIT,
) -> dict[str, Any]:
    actor(request, Perm.MERGE_CUSTOMERS)
    if status not in PairStatus.values:
        raise ValidationFailed(field_errors={"status": [_("Choose open, dismissed or merged.")]})
    page = queries.pair_page(status=status, min_score=min_score, cursor=cursor, size=limit)
    return {"items": [pair_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.post("/duplicates/scan", response={202: ScanOut}, summary="Search the whole database for duplicates (in the background)")
def scan_start(request: HttpRequest) -> Status[dict[str, Any]]:
    """Start a scan, or answer the one already queued or running; follow it with GET /duplicates/scans/{id}."""
    user = actor(request, Perm.MERGE_CUSTOMERS)
    scan, _created = services.scan_request(actor=user)
    scan.refresh_from_db()
    return Status(202, scan_out(scan))


@router.get("/duplicates/scans/{int:scan_id}", response=ScanOut, summary="Read a scan: status, progress and counts")
def scan_detail(request: HttpRequest, scan_id: int) -> dict[str, Any]:
    actor(request, Perm.MERGE_CUSTOMERS)
    scan = DuplicateScan.objects.filter(pk=scan_id).first()
    if scan is None:
        raise NotFound(_("There is no duplicate scan with id %(id)s.") % {"id": scan_id})
    return scan_out(scan)


@router.post("/duplicates/{int:pair_id}/dismiss", response=PairOut, summary="Mark a pair as not duplicates")
def pair_dismiss(request: HttpRequest, pair_id: int) -> dict[str, Any]:
    """The pair stays dismissed whatever later scans find."""
    user = actor(request, Perm.MERGE_CUSTOMERS)
    return pair_out(services.pair_dismiss(actor=user, pair=services.get_pair(pair_id)))


@router.post("/duplicates/{int:pair_id}/reopen", response=PairOut, summary="Put a dismissed pair back on the list")
def pair_reopen(request: HttpRequest, pair_id: int) -> dict[str, Any]:
    user = actor(request, Perm.MERGE_CUSTOMERS)
    return pair_out(services.pair_reopen(actor=user, pair=services.get_pair(pair_id)))


@router.post("/contacts/merge", response=MergeOut, tags=["contacts"], summary="Merge contacts into one")
def merge(request: HttpRequest, payload: MergeIn) -> dict[str, Any]:
    """Move every record of `merged_ids` to `survivor_id` and archive them (they keep `merged_into_id`).

    All or nothing: a bad id or field is refused (422, naming it) and nothing changes.
    Send an `Idempotency-Key` to make a retry safe.
    """
    user = actor(request, Perm.MERGE_CUSTOMERS)
    result = contact_merge(actor=user, survivor_id=payload.survivor_id, merged_ids=payload.merged_ids, fields=payload.fields)
    survivor = Contact.objects.select_related("company", "owner").get(pk=result.survivor.pk)
    return {
        "survivor": contact_out(survivor, contact_details([survivor])[survivor.pk]), "merged_ids": result.merged_ids,
        "fields": result.fields, "moved": result.moved, "left_on_merged": result.left_on_merged, "removed": result.removed,
    }
