"""Template helpers for SLA states: where a ticket stands against its targets, badges' styles, durations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kliyan.core.templatetags.kliyan import icon, kdatetime

from kliyan.service import sla
from kliyan.service.choices import SLAState

register = template.Library()

STATE_STYLES = {
    SLAState.ON_TRACK: "", SLAState.AT_RISK: "badge--warn", SLAState.BREACHED: "badge--danger",
    SLAState.MET: "badge--ok", SLAState.MISSED: "badge--danger", SLAState.PAUSED: "badge--muted",
}


@register.simple_tag
def ticket_sla(ticket: Any, now: dt.datetime | None = None) -> list[sla.TargetStatus]:
    """Return both SLA targets of a ticket (first response, resolution) with their state."""
    return sla.ticket_sla(ticket, now)


@register.simple_tag
def next_sla(ticket: Any, now: dt.datetime | None = None) -> sla.TargetStatus | None:
    """Return the SLA target a queue row shows (the first response while owed, else the resolution)."""
    return sla.next_target(ticket, now)


@register.filter
def sla_style(state: str) -> str:
    return STATE_STYLES.get(state, "")


@register.simple_tag
def sla_badge(target: sla.TargetStatus | None, short: bool = False) -> SafeString | str:
    """Return one SLA target as a badge: "First response: At risk · due 14:30" (the time in the viewer's zone).

    Built in Python rather than by an included template: the queue shows one per row.
    """
    if target is None:
        return ""
    due = ""
    if target.due is not None and target.state not in (SLAState.MET, SLAState.MISSED):
        due = format_html(
            ' · <time datetime="{}">{}</time>', timezone.localtime(target.due).isoformat(),
            _("due %(when)s") % {"when": kdatetime(target.due, "short")},
        )
    text = target.state_label if short else f"{target.label}: {target.state_label}"
    return format_html(
        '<span class="badge sla-badge {}" title="{}: {}">{}{}{}</span>',
        STATE_STYLES.get(target.state, ""), target.label, target.state_label, icon("clock"), text, due,
    )


@register.filter
def business_duration(seconds: float | None) -> str:
    """Format seconds as "2 d 3 h", "3 h 05 min" or "12 min" (a median, a budget)."""
    if seconds is None or seconds == "":
        return "—"
    minutes = int(round(float(seconds) / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f} %"
