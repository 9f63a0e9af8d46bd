"""Background work of automations. Tasks take ids (or nothing) and may run twice."""

from __future__ import annotations

from django_tasks import task


@task()
def run_automations() -> int:
    """Store the messages every active automation owes now (every 15 minutes; a second run stores nothing twice)."""
    from kliyan.marketing.automation_running import run_automations as run

    return run()
