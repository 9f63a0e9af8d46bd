"""Background work: the duplicate scan. Tasks take ids and are idempotent (a scan runs once)."""

from __future__ import annotations

from django_tasks import task

from kliyan.core.audit import audit_context


@task()
def scan_duplicates_task(scan_id: int) -> str:
    """Run the queued scan `scan_id`; a scan already started or finished is left alone."""
    from kliyan.dedupe.services import run_scan

    with audit_context(via="task"):
        return run_scan(scan_id=scan_id).status


@task()
def scheduled_duplicate_scan() -> int:
    """Queue the nightly scan (kliyan.core.schedule) unless one is already on its way; return its id."""
    from kliyan.dedupe.services import scan_request

    with audit_context(via="task"):
        scan, _created = scan_request(actor=None)
    return scan.pk
