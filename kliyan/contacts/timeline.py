"""Contribute consent changes to the contact timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import gettext as _

from kliyan.contacts.models import ConsentEvent
from kliyan.core.registry import TimelineEntry, register_timeline_source


def consent_entries(contact_id: int, limit: int, before: dt.datetime | None) -> Iterable[TimelineEntry]:
    qs = ConsentEvent.objects.filter(contact_id=contact_id).select_related("recorded_by")
    if before is not None:
        qs = qs.filter(at__lt=before)
    for event in qs.order_by("-at", "-id")[:limit]:
        title = (
            _("Consent granted: %(channel)s") if event.status == "granted" else _("Consent withdrawn: %(channel)s")
        ) % {"channel": event.get_channel_display()}
        yield TimelineEntry(
            kind="consent", id=event.pk, at=event.at, title=title,
            body=" — ".join(p for p in [str(event.get_method_display()), event.note] if p),
            actor=str(event.recorded_by) if event.recorded_by else "", channel=event.channel, icon="shield",
            data={"channel": event.channel, "status": event.status, "method": event.method},
        )


def register() -> None:
    register_timeline_source("consent", consent_entries)
