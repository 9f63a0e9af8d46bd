"""Helpers of the SLA tests: a settable clock, calendars, policies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kliyan.service import sla

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = {"time_zone": "UTC", "weekly_hours": {day: [["00:00", "24:00"]] for day in DAYS}, "holidays": []}
OFFICE = {"time_zone": "Europe/Bucharest", "weekly_hours": {day: [["09:00", "17:00"]] for day in DAYS[:5]}, "holidays": []}


class Clock:
    """Stands in for django.utils.timezone.now; `advance` moves it."""

    def __init__(self, start: dt.datetime) -> None:
        self.at = start

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> dt.datetime:
        self.at += dt.timedelta(**delta)
        return self.at


def install_clock(monkeypatch: Any, start: dt.datetime) -> Clock:
    clock = Clock(start)
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def make_policy(actor: Any, **data: Any) -> Any:
    """Create a policy: the default one unless a priority or a category is given (24/7, 1 h / 8 h)."""
    scoped = "priority" in data or "category" in data
    values = {"name": "Default", "is_default": not scoped, "first_response_minutes": 60, "resolution_minutes": 480, "calendar": ALWAYS}
    values.update(data)
    return sla.sla_policy_create(actor=actor, data=values)
