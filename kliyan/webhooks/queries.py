"""Reads for the webhook pages and API."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from kliyan.core.errors import ValidationFailed
from kliyan.webhooks.choices import DeliveryStatus
from kliyan.webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoints_with_counts() -> QuerySet[WebhookEndpoint]:
    """Return every endpoint with how many of its deliveries failed for good or wait to be sent."""
    return WebhookEndpoint.objects.annotate(
        dead_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DEAD)),
        waiting_count=Count("deliveries", filter=Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])),
    ).order_by("-created_at", "-id")


def deliveries(*, endpoint_id: int | None = None, status: str = "") -> QuerySet[WebhookDelivery]:
    if status and status not in DeliveryStatus.values:
        raise ValidationFailed(field_errors={"status": [_("“%(value)s” is not a valid choice.") % {"value": status}]})
    qs = WebhookDelivery.objects.all()
    if endpoint_id is not None:
        qs = qs.filter(endpoint_id=endpoint_id)
    if status:
        qs = qs.filter(status=status)
    return qs
