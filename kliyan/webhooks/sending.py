"""Sending deliveries: claim a due delivery, POST it signed, record the answer, schedule a retry.

A delivery is sent at least once and, while it is being sent, by one worker only: the
claim is a conditional UPDATE that moves `next_attempt_at` past the request's timeout,
so a second worker (or the periodic sweep) finds nothing due. If the sender dies, the
claim lapses and the delivery is sent again, with the same webhook-id.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kliyan.core.audit import record
from kliyan.core.models import AuditAction
from kliyan.webhooks import signing
from kliyan.webhooks.choices import DeliveryStatus
from kliyan.webhooks.models import WebhookDelivery, WebhookEndpoint
from kliyan.webhooks.services import signing_secrets

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# Longer than a request can take, so a claim never lapses while its request is under way.
CLAIM_SECONDS = 60
# After the first attempt: the back-off the Standard Webhooks spec suggests (about 36 hours).
RETRY_DELAYS = (
    dt.timedelta(seconds=5), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
    dt.timedelta(hours=5), dt.timedelta(hours=10), dt.timedelta(hours=14),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1
RESPONSE_KEPT = 2000
ERROR_KEPT = 500
USER_AGENT = "Kliyan-Webhooks/1"
SENDABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.SENDING)
KEEP_DELIVERED = dt.timedelta(days=30)
PRUNE_BATCH = 5000


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    body: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_delay(attempts: int) -> dt.timedelta:
    """Return the wait after the `attempts`-th failed attempt, give or take 10 % (jitter)."""
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - spreading load, not security


def due_delivery_ids(now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Return deliveries whose attempt is due (or whose sender's claim lapsed), oldest first."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status__in=SENDABLE, next_attempt_at__lte=now, endpoint__active=True)
        .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit]
    )


def claim(delivery_id: int, now: dt.datetime) -> bool:
    """Take a due delivery for sending; return False if it is not due or someone else has it.

    The UPDATE's conditions are on the delivery's own columns only: PostgreSQL re-checks
    those against a row another worker has just changed, but not a join's (it would let
    every racing worker win), so the endpoint is checked in a query of its own.
    """
    if not WebhookDelivery.objects.filter(pk=delivery_id, endpoint__active=True).exists():
        return False
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, status__in=SENDABLE, next_attempt_at__lte=now).update(
            status=DeliveryStatus.SENDING, next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS),
            attempts=F("attempts") + 1, last_attempt_at=now,
        )
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is a failure: the admin should fix the URL rather than we follow it (the spec)."""

    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirects())


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url`; return what came back (or why nothing did), never raise."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return Answer(response.status, _read(response), "")
    except urllib.error.HTTPError as error:
        return Answer(error.code, _read(error), f"HTTP {error.code}")
    except (urllib.error.URLError, socket.timeout, ConnectionError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Answer(None, "", f"{type(reason).__name__}: {reason}"[:ERROR_KEPT])


def _read(response) -> str:  # type: ignore[no-untyped-def]
    try:
        return response.read(RESPONSE_KEPT * 4).decode("utf-8", "replace")[:RESPONSE_KEPT]
    except (OSError, ValueError):
        return ""


def headers_for(delivery: WebhookDelivery, body: bytes, now: dt.datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            secrets_in_use=signing_secrets(delivery.endpoint, now), message_id=delivery.message_id,
            timestamp=timestamp, body=body,
        ),
    }


def attempt(delivery_id: int, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Claim and send one delivery; return it as recorded, or None if it was not ours to send."""
    now = now or timezone.now()
    if not claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = signing.body_bytes(delivery.payload)
    answer = post(delivery.endpoint.url, body, headers_for(delivery, body, now))
    _record_answer(delivery, answer, started=now)
    return delivery


def _record_answer(delivery: WebhookDelivery, answer: Answer, *, started: dt.datetime) -> None:
    # The clock may be behind `started` when a caller sends "as of" a later time (the sweep's slot).
    finished = max(timezone.now(), started)
    delivery.last_status_code = answer.status_code
    delivery.last_response_body = answer.body
    delivery.last_error = "" if answer.ok else (answer.error or f"HTTP {answer.status_code}")[:ERROR_KEPT]
    if answer.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = finished
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.DEAD
        delivery.next_attempt_at = None
        logger.warning("Webhook %s to endpoint %s gave up after %s attempts: %s",
                       delivery.message_id, delivery.endpoint_id, delivery.attempts, delivery.last_error)
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = finished + retry_delay(delivery.attempts)
    delivery.save(update_fields=[
        "status", "next_attempt_at", "last_status_code", "last_response_body", "last_error", "delivered_at",
    ])
    if answer.status_code == 410:
        _disable_gone(delivery.endpoint)


@transaction.atomic
def _disable_gone(endpoint: WebhookEndpoint) -> None:
    """410 Gone: the receiver wants no more; stop sending (the spec), and say so in the audit log."""
    if WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(active=False):
        record(
            actor=None, action=AuditAction.UPDATE, instance=endpoint,
            before={"active": True}, after={"active": False, "reason": "410 Gone"},
        )


def prune_delivered(now: dt.datetime | None = None, limit: int = PRUNE_BATCH) -> int:
    """Delete up to `limit` deliveries that succeeded more than KEEP_DELIVERED ago; return how many.

    The log of what arrived is only useful for a while; failures and give-ups are kept
    until someone replays them or deletes the endpoint. A bounded batch per run keeps each
    sweep short on a large table.
    """
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED, delivered_at__lt=now - KEEP_DELIVERED)
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).delete()
    return len(ids)


def deliver(delivery_ids: list[int], now: dt.datetime | None = None) -> int:
    """Send each delivery that is due and not taken; return how many succeeded."""
    succeeded = 0
    for delivery_id in delivery_ids:
        result = attempt(delivery_id, now)
        if result is not None and result.status == DeliveryStatus.SUCCEEDED:
            succeeded += 1
    return succeeded
