"""Background work: write a backup queued from the page or the API. The task takes the backup's id."""

from __future__ import annotations

from django_tasks import task

from kliyan.core.audit import audit_context


@task()
def run_backup_task(backup_id: int) -> str:
    """Write the backup; a backup already taken by another run (a repeated task) does nothing."""
    from kliyan.backup.services import run_backup

    with audit_context(via="task"):
        return run_backup(backup_id=backup_id).status
