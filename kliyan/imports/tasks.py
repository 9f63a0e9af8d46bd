"""Background work: run an import (or its dry run) and undo one. Tasks take ids and a runner token."""

from __future__ import annotations

from django_tasks import task

from kliyan.core.audit import audit_context


@task()
def run_import_task(import_id: int, runner: str) -> str:
    """Run the import held by `runner`; a stale runner (the import was resumed elsewhere) does nothing."""
    from kliyan.imports.services import run_import

    with audit_context(via="task"):
        return run_import(import_id=import_id, runner=runner).status


@task()
def undo_import_task(import_id: int, runner: str, actor_id: int | None = None) -> str:
    from kliyan.accounts.models import User
    from kliyan.imports.services import run_undo

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    with audit_context(via="task"):
        return run_undo(import_id=import_id, runner=runner, actor=actor).status


@task()
def purge_import_files() -> int:
    """The nightly deletion of the files of imports idle for KLIYAN_IMPORT_FILE_DAYS."""
    from kliyan.imports.retention import purge_import_files as purge

    with audit_context(via="task"):
        return purge()
