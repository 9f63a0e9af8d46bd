"""Background work of campaigns. Tasks take ids (or nothing) and may run twice."""

from __future__ import annotations

from django_tasks import task


@task()
def run_campaigns() -> int:
    """Start due campaigns and continue any whose expansion stopped (every minute, and when one is scheduled for now)."""
    from kliyan.marketing.campaign_sending import run_campaigns as run

    return run()
