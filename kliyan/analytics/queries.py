"""Reads of the analytics app for the managers' page: top pairs and the rebuild history."""

from __future__ import annotations

from django.db.models import F, QuerySet

from kliyan.analytics.models import PendingCustomer, ProductPair, RecommendationRun, RunStatus


def top_pairs(limit: int = 50) -> QuerySet[ProductPair]:
    """Return the pairs bought together by the most customers, each pair once (the partial index)."""
    return (
        ProductPair.objects.filter(product_a__lt=F("product_b"))
        .select_related("product_a", "product_b")
        .order_by("-co_count", "-score")[:limit]
    )


def latest_runs(limit: int = 5) -> list[RecommendationRun]:
    return list(RecommendationRun.objects.select_related("requested_by")[:limit])


def last_finished_run() -> RecommendationRun | None:
    return RecommendationRun.objects.filter(status=RunStatus.DONE).order_by("-finished_at").first()


def pending_customers() -> int:
    """Return how many order changes wait for the incremental refresh."""
    return PendingCustomer.objects.count()
