"""Writes of the duplicates app: start a scan, run it, keep its pairs, dismiss or reopen a pair.

Merging is in kliyan.dedupe.merge.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.core.audit import record
from kliyan.core.errors import Conflict, NotFound
from kliyan.core.models import AuditAction
from kliyan.dedupe.choices import PairStatus, ScanPhase, ScanStatus
from kliyan.dedupe.finding import FindResult, FoundPair, Limits, find_pairs
from kliyan.dedupe.models import DuplicatePair, DuplicateScan

logger = logging.getLogger(__name__)

# A scan queued or running for longer than this lost its worker: it blocks no new scan.
ABANDONED_AFTER = dt.timedelta(hours=6)
# Progress is written at most this often (seconds): each write is a commit.
PROGRESS_EVERY = 1.0
WRITE_CHUNK = 1000


def active_scan() -> DuplicateScan | None:
    return DuplicateScan.objects.filter(
        status__in=[ScanStatus.QUEUED, ScanStatus.RUNNING], enqueued_at__gte=timezone.now() - ABANDONED_AFTER,
    ).first()


def scan_request(*, actor: Any) -> tuple[DuplicateScan, bool]:
    """Queue a scan unless one is already queued or running; return the scan and whether it is new."""
    with transaction.atomic():
        running = active_scan()
        if running is not None:
            return running, False
        scan = DuplicateScan.objects.create(requested_by=actor if getattr(actor, "is_authenticated", False) else None)
        record(actor=actor, action=AuditAction.CREATE, instance=scan, label=_("Duplicate scan"))
        transaction.on_commit(lambda: _enqueue_scan(scan.pk), robust=True)
    return scan, True


def _enqueue_scan(scan_id: int) -> None:
    from kliyan.dedupe.tasks import scan_duplicates_task

    scan_duplicates_task.enqueue(scan_id)


def run_scan(*, scan_id: int, limits: Limits | None = None) -> DuplicateScan:
    """Run a queued scan: find the pairs, keep them, record the counts. A scan not queued is left alone."""
    now = timezone.now()
    claimed = DuplicateScan.objects.filter(pk=scan_id, status=ScanStatus.QUEUED).update(
        status=ScanStatus.RUNNING, started_at=now, phase=ScanPhase.EMAILS, percent=0,
    )
    if not claimed:
        return DuplicateScan.objects.get(pk=scan_id)
    last_write = [0.0]

    def progress(phase: str, percent: int) -> None:
        if time.monotonic() - last_write[0] >= PROGRESS_EVERY or percent >= 90:
            DuplicateScan.objects.filter(pk=scan_id).update(phase=phase, percent=percent)
            last_write[0] = time.monotonic()

    try:
        result = find_pairs(limits=limits, progress=progress)
        progress(ScanPhase.SAVING, 90)
        new = save_pairs(result.pairs)
    except Exception as error:  # noqa: BLE001 — the scan must end "failed", whatever broke
        logger.exception("Duplicate scan %s failed", scan_id)
        DuplicateScan.objects.filter(pk=scan_id).update(
            status=ScanStatus.FAILED, finished_at=timezone.now(), error=str(error)[:2000],
        )
        return DuplicateScan.objects.get(pk=scan_id)
    _finish(scan_id, result, new)
    return DuplicateScan.objects.get(pk=scan_id)


def _finish(scan_id: int, result: FindResult, new: int) -> None:
    DuplicateScan.objects.filter(pk=scan_id).update(
        status=ScanStatus.DONE, finished_at=timezone.now(), phase=ScanPhase.SAVING, percent=100,
        contacts=result.contacts, pairs=len(result.pairs), new_pairs=new, skipped=result.skipped,
    )


@transaction.atomic
def save_pairs(found: list[FoundPair]) -> int:
    """Keep a scan's pairs; return how many are new.

    Open pairs take the new score and reasons, and open pairs the scan no longer finds go.
    Dismissed pairs stay dismissed (their score is refreshed, for the record); merged pairs
    are history and are left as they are. Rows are written a chunk at a time, so hundreds of
    thousands of pairs never become as many model instances at once.
    """
    existing = {
        (a, b): (pk, status, score, reasons)
        for pk, a, b, status, score, reasons in DuplicatePair.objects.values_list(
            "id", "contact_a_id", "contact_b_id", "status", "score", "reasons",
        ).iterator(chunk_size=WRITE_CHUNK)
    }
    now = timezone.now()
    to_create: list[DuplicatePair] = []
    to_update: list[DuplicatePair] = []
    created = 0
    for pair in found:
        known = existing.pop((pair.contact_a, pair.contact_b), None)
        if known is None:
            to_create.append(DuplicatePair(
                contact_a_id=pair.contact_a, contact_b_id=pair.contact_b, score=pair.score, reasons=pair.reasons,
            ))
        else:
            pk, status, score, reasons = known
            if status != PairStatus.MERGED and (score, reasons) != (pair.score, pair.reasons):
                to_update.append(DuplicatePair(pk=pk, score=pair.score, reasons=pair.reasons, updated_at=now))
        if len(to_create) >= WRITE_CHUNK:
            created += len(DuplicatePair.objects.bulk_create(to_create))
            to_create = []
        if len(to_update) >= WRITE_CHUNK:
            DuplicatePair.objects.bulk_update(to_update, ["score", "reasons", "updated_at"])
            to_update = []
    created += len(DuplicatePair.objects.bulk_create(to_create))
    DuplicatePair.objects.bulk_update(to_update, ["score", "reasons", "updated_at"], batch_size=WRITE_CHUNK)
    gone = [pk for pk, status, _score, _reasons in existing.values() if status == PairStatus.OPEN]
    for start in range(0, len(gone), WRITE_CHUNK):
        DuplicatePair.objects.filter(pk__in=gone[start:start + WRITE_CHUNK]).delete()
    return created


def get_pair(pk: Any) -> DuplicatePair:
    try:
        return DuplicatePair.objects.select_related("contact_a", "contact_b").get(pk=int(pk))
    except (DuplicatePair.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("There is no duplicate pair with id %(id)s.") % {"id": pk}) from None


@transaction.atomic
def pair_dismiss(*, actor: Any, pair: DuplicatePair) -> DuplicatePair:
    """Mark a pair "not duplicates": later scans keep it out of the list."""
    return _decide(actor=actor, pair=pair, status=PairStatus.DISMISSED)


@transaction.atomic
def pair_reopen(*, actor: Any, pair: DuplicatePair) -> DuplicatePair:
    """Put a dismissed pair back on the list (a "not duplicates" given by mistake)."""
    return _decide(actor=actor, pair=pair, status=PairStatus.OPEN)


def _decide(*, actor: Any, pair: DuplicatePair, status: str) -> DuplicatePair:
    pair = DuplicatePair.objects.select_for_update().select_related("contact_a", "contact_b").get(pk=pair.pk)
    if pair.status == status:
        return pair
    if pair.status == PairStatus.MERGED:
        raise Conflict(_("These contacts have been merged already."), code="pair_merged")
    before = {"status": pair.status}
    pair.status = status
    pair.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    pair.decided_at = timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    label = f"{pair.contact_a.display_name} / {pair.contact_b.display_name}"
    for contact_id in (pair.contact_a_id, pair.contact_b_id):
        record(
            actor=actor, action=AuditAction.UPDATE, instance=pair, contact_id=contact_id, label=label,
            before=before, after={"status": status, "contact_a": pair.contact_a_id, "contact_b": pair.contact_b_id},
        )
    return pair
