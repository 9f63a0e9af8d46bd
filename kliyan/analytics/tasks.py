"""Background work: rebuild the recommendation numbers, or refresh the customers whose orders changed."""

from __future__ import annotations

from django_tasks import task

from kliyan.analytics import services


@task()
def rebuild_recommendations(run_id: int | None = None) -> dict[str, int]:
    """Recount every pair from all purchase orders (nightly, or "Recompute now" with its run id)."""
    run = services.rebuild_run(run_id)
    return {"run": run.pk, "customers": run.customers, "pairs": run.pairs}


@task()
def refresh_recommendations() -> int:
    """Recount the customers marked pending by order changes; return how many were recounted."""
    return services.refresh_pending()
