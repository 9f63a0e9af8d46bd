"""Writes for webhook endpoints and deliveries. Each change to an endpoint audits itself.

`record_event` is the domain-event subscriber: it writes the outbox rows in the emitting
transaction and asks for them to be sent once that transaction commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.core.audit import record, snapshot
from kliyan.core.errors import Conflict, FieldErrors, NotFound
from kliyan.core.events import Payload, event_types
from kliyan.core.models import AuditAction
from kliyan.webhooks import signing
from kliyan.webhooks.choices import DeliveryStatus
from kliyan.webhooks.models import WebhookDelivery, WebhookEndpoint

TEST_EVENT = "webhook.test"
# How long a rotated-out secret still signs, so receivers can switch without losing messages.
ROTATION_OVERLAP = dt.timedelta(hours=24)
BULK_BATCH = 500
URL_MAX = 500
DESCRIPTION_MAX = 200
# What the audit log shows of an endpoint: never the secret.
AUDITED_FIELDS = ["url", "description", "all_events", "events", "active"]


# --- Endpoints ------------------------------------------------------------------------

def _clean_endpoint(data: Mapping[str, Any], *, endpoint: WebhookEndpoint | None) -> dict[str, Any]:
    """Return the cleaned fields present in `data` (all fields when creating)."""
    errors = FieldErrors()
    for key in data:
        if key not in {"url", "description", "events", "all_events", "active"}:
            errors.add(key, _("Unknown field."))
    partial = endpoint is not None
    present = (lambda k: k in data) if partial else (lambda k: True)
    out: dict[str, Any] = {}
    if present("url"):
        url = str(data.get("url") or "").strip()
        if not url:
            errors.add("url", _("This field is required."))
        elif len(url) > URL_MAX:
            errors.add("url", _("Use at most %(max)s characters.") % {"max": URL_MAX})
        else:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except DjangoValidationError:
                errors.add("url", _("Enter a full http:// or https:// address."))
        out["url"] = url
    if present("description"):
        description = str(data.get("description") or "").strip()
        if len(description) > DESCRIPTION_MAX:
            errors.add("description", _("Use at most %(max)s characters.") % {"max": DESCRIPTION_MAX})
        out["description"] = description
    if present("all_events"):
        out["all_events"] = bool(data.get("all_events"))
    if present("events"):
        out["events"] = _clean_events(data.get("events"), errors)
    if "active" in data:
        out["active"] = bool(data.get("active"))
    all_events = out.get("all_events", endpoint.all_events if endpoint else False)
    events = out.get("events", endpoint.events if endpoint else [])
    if not all_events and not events and "events" not in errors.errors:
        errors.add("events", _("Choose at least one event, or all events."))
    errors.raise_if_any()
    return out


def _clean_events(value: Any, errors: FieldErrors) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        errors.add("events", _("Give a list of event names."))
        return []
    known = {e.name for e in event_types()}
    names: list[str] = []
    for name in value:
        if not isinstance(name, str) or name not in known:
            errors.add("events", _("“%(value)s” is not an event Kliyan sends.") % {"value": name})
        elif name not in names:
            names.append(name)
    return sorted(names)


@transaction.atomic
def endpoint_create(*, actor: Any, data: Mapping[str, Any]) -> WebhookEndpoint:
    """Register an endpoint with a new signing secret (the caller shows it once)."""
    cleaned = _clean_endpoint(data, endpoint=None)
    endpoint = WebhookEndpoint.objects.create(
        **cleaned, secret=signing.new_secret(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record(actor=actor, action=AuditAction.CREATE, instance=endpoint, after=snapshot(endpoint, AUDITED_FIELDS))
    return endpoint


@transaction.atomic
def endpoint_update(*, actor: Any, endpoint: WebhookEndpoint, data: Mapping[str, Any]) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    cleaned = _clean_endpoint(data, endpoint=endpoint)
    before = snapshot(endpoint, AUDITED_FIELDS)
    for key, value in cleaned.items():
        setattr(endpoint, key, value)
    endpoint.save()
    after = snapshot(endpoint, AUDITED_FIELDS)
    if after != before:
        record(actor=actor, action=AuditAction.UPDATE, instance=endpoint, before=before, after=after)
    return endpoint


def endpoint_set_active(*, actor: Any, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    """Disable (nothing is sent, new events are not queued) or enable an endpoint."""
    return endpoint_update(actor=actor, endpoint=endpoint, data={"active": active})


@transaction.atomic
def endpoint_rotate_secret(*, actor: Any, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Give the endpoint a new secret; the old one keeps signing too for ROTATION_OVERLAP."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    endpoint.secret = signing.new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    record(
        actor=actor, action=AuditAction.UPDATE, instance=endpoint,
        before={"secret": "…"}, after={"secret": "rotated", "previous_secret_expires_at": endpoint.previous_secret_expires_at},
    )
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: Any, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log; the audit entry stays."""
    record(actor=actor, action=AuditAction.DELETE, instance=endpoint, before=snapshot(endpoint, AUDITED_FIELDS))
    endpoint.delete()


def signing_secrets(endpoint: WebhookEndpoint, now: dt.datetime) -> list[str]:
    """Return the secrets that sign a message now: the current one, and a recent old one."""
    keys = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        keys.append(endpoint.previous_secret)
    return keys


# --- The outbox -----------------------------------------------------------------------

def envelope(event: str, data: Payload, at: dt.datetime) -> dict[str, Any]:
    """Return the body Standard Webhooks recommends: type, when it happened, and the data."""
    return {"type": event, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": signing.json_safe(data)}


def record_event(name: str, payloads: Sequence[Payload]) -> None:
    """Write one delivery per payload for each active endpoint that wants `name`.

    Called inside the emitting transaction (kliyan.core.events): the rows commit or roll
    back with the change. One query finds the endpoints and one insert per BULK_BATCH
    rows writes the deliveries, however many records a bulk path announces.
    """
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True).only("id", "all_events", "events") if e.wants(name)]
    if not endpoints:
        return
    now = timezone.now()
    bodies = [envelope(name, payload, now) for payload in payloads]
    rows = [
        WebhookDelivery(
            endpoint_id=endpoint.pk, event=name, message_id=signing.new_message_id(), payload=body,
            status=DeliveryStatus.PENDING, next_attempt_at=now,
        )
        for endpoint in endpoints
        for body in bodies
    ]
    _write_and_send(rows)


def _write_and_send(rows: list[WebhookDelivery]) -> list[WebhookDelivery]:
    from kliyan.webhooks.tasks import enqueue_deliveries

    created = WebhookDelivery.objects.bulk_create(rows, batch_size=BULK_BATCH)
    ids = [row.pk for row in created]
    if None in ids:
        # A backend that cannot return ids from a bulk insert: read them back by message id.
        ids = list(WebhookDelivery.objects.filter(message_id__in=[r.message_id for r in rows]).values_list("pk", flat=True))
    transaction.on_commit(lambda: enqueue_deliveries(ids))
    return created


@transaction.atomic
def endpoint_send_test(*, actor: Any, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a "webhook.test" message to the endpoint, whatever events it chose."""
    if not endpoint.active:
        raise Conflict(_("This endpoint is disabled; enable it to send to it."))
    now = timezone.now()
    data = {"id": endpoint.pk, "message": _("Test event from Kliyan."), "sent_by": getattr(actor, "username", "")}
    row = WebhookDelivery(
        endpoint=endpoint, event=TEST_EVENT, message_id=signing.new_message_id(), payload=envelope(TEST_EVENT, data, now),
        status=DeliveryStatus.PENDING, next_attempt_at=now,
    )
    return _write_and_send([row])[0]


@transaction.atomic
def delivery_replay(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, with the same webhook-id, whatever its status."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    now = timezone.now()
    if delivery.status == DeliveryStatus.SENDING and delivery.next_attempt_at and delivery.next_attempt_at > now:
        raise Conflict(_("This delivery is being sent right now; try again in a minute."))
    if not delivery.endpoint.active:
        raise Conflict(_("This endpoint is disabled; enable it to send to it."))
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.save(update_fields=["status", "next_attempt_at"])
    record(
        actor=actor, action=AuditAction.UPDATE, instance=delivery, label=f"{delivery.event} {delivery.message_id}",
        before=before, after={"status": delivery.status, "replayed": True},
    )
    from kliyan.webhooks.tasks import enqueue_deliveries

    transaction.on_commit(lambda: enqueue_deliveries([delivery.pk]))
    return delivery


def get_endpoint(pk: Any) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.get(pk=int(pk))
    except (WebhookEndpoint.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("There is no webhook endpoint with id %(id)s.") % {"id": pk}) from None


def get_delivery(pk: Any) -> WebhookDelivery:
    try:
        return WebhookDelivery.objects.select_related("endpoint").get(pk=int(pk))
    except (WebhookDelivery.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("There is no webhook delivery with id %(id)s.") % {"id": pk}) from None
