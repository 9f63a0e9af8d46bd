"""The SLA policy form and the reports' filter form. They only parse: kliyan.service.sla validates.

A calendar is edited as one line of opening hours per weekday ("09:00-12:00, 13:00-17:00"),
a time zone and a list of holiday dates, so each error shows next to the day or field it is about.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from kliyan.service import business_hours as bh
from kliyan.service import sla
from kliyan.service.choices import Priority
from kliyan.service.models import SLAPolicy

# How the service's error names map to the form's fields.
ERROR_FIELDS = {
    "first_response_minutes": "first_response", "resolution_minutes": "resolution",
    "calendar.time_zone": "time_zone", "calendar.holidays": "holidays", "calendar.weekly_hours": "hours_mon",
    **{f"calendar.weekly_hours.{day}": f"hours_{day}" for day in bh.DAY_KEYS},
}
_INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")
BUDGET_HELP = _("Business time, e.g. 4h, 1h30m or 90 (minutes).")


def format_day(intervals: list[list[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals)


class SLAPolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=sla.NAME_LIMIT)
    is_default = forms.BooleanField(label=_("Default policy (for every ticket no other policy covers)"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False, choices=[("", _("Any"))] + list(Priority.choices))
    category = forms.TypedChoiceField(label=_("Category (and its subcategories)"), required=False, coerce=int, empty_value=None)
    first_response = forms.CharField(label=_("First response within"), max_length=20, help_text=BUDGET_HELP)
    resolution = forms.CharField(label=_("Resolution within"), max_length=20, help_text=BUDGET_HELP)
    warn_at_percent = forms.IntegerField(
        label=_("Warn when this share is used (%)"), required=False, min_value=1, max_value=99,
        help_text=_("Warn the assignee, e.g. at 80 %."),
    )
    warn_minutes_before = forms.IntegerField(
        label=_("…or this many business minutes before"), required=False, min_value=1, max_value=sla.MAX_BUDGET_MINUTES,
        help_text=_("With both, the earlier warning counts."),
    )
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, help_text=_("An IANA name such as Europe/Bucharest or America/Port-au-Prince."))
    holidays = forms.CharField(
        label=_("Holidays"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Dates closed all day (YYYY-MM-DD), one a line or separated by commas."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any"))] + categories
        for weekday, day in enumerate(bh.DAY_KEYS):
            self.fields[f"hours_{day}"] = forms.CharField(
                label=WEEKDAYS[weekday], required=False, max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "09:00-17:00", "inputmode": "numeric"}),
            )
        self.fields["hours_mon"].help_text = _("Opening hours, e.g. 09:00-12:00, 13:00-17:00; empty means closed; 24:00 is the end of the day.")

    @property
    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"hours_{day}"] for day in bh.DAY_KEYS]

    @classmethod
    def initial_for(cls, policy: SLAPolicy | None) -> dict[str, Any]:
        from kliyan.service.models import default_calendar

        calendar = policy.calendar if policy is not None else default_calendar()
        initial: dict[str, Any] = {
            "time_zone": calendar.get("time_zone", "UTC"),
            "holidays": "\n".join(calendar.get("holidays", [])),
            **{f"hours_{day}": format_day(calendar.get("weekly_hours", {}).get(day, [])) for day in bh.DAY_KEYS},
        }
        if policy is not None:
            initial.update({
                "name": policy.name, "is_default": policy.is_default, "priority": policy.priority,
                "category": policy.category_id or "", "active": policy.active,
                "first_response": sla.format_minutes(sla.minutes_of(policy.first_response_within)),
                "resolution": sla.format_minutes(sla.minutes_of(policy.resolution_within)),
                "warn_at_percent": policy.warn_at_percent, "warn_minutes_before": policy.warn_minutes_before,
            })
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("first_response", "resolution"):
            if data.get(name) and sla.parse_minutes(data[name]) is None:
                self.add_error(name, _("“%(value)s” is not a duration (e.g. 4h, 1h30m or 90).") % {"value": data[name]})
        for day in bh.DAY_KEYS:
            text = data.get(f"hours_{day}") or ""
            for part in filter(None, (piece.strip() for piece in text.split(","))):
                if not _INTERVAL.match(part):
                    self.add_error(f"hours_{day}", _("“%(value)s” is not a span such as 09:00-17:00.") % {"value": part})
        return data

    def service_data(self) -> dict[str, Any]:
        """Return what kliyan.service.sla expects (budgets in minutes, the calendar as JSON)."""
        data = self.cleaned_data
        weekly: dict[str, list[list[str]]] = {}
        for day in bh.DAY_KEYS:
            pairs = [_INTERVAL.match(part) for part in (data.get(f"hours_{day}") or "").split(",") if part.strip()]
            if pairs:
                weekly[day] = [[match.group(1).zfill(5), match.group(2).zfill(5)] for match in pairs if match]
        holidays = [item for item in re.split(r"[\s,;]+", data.get("holidays") or "") if item]
        return {
            "name": data["name"], "is_default": data["is_default"], "priority": data["priority"], "category": data["category"],
            "first_response_minutes": sla.parse_minutes(data["first_response"]),
            "resolution_minutes": sla.parse_minutes(data["resolution"]),
            "warn_at_percent": data["warn_at_percent"], "warn_minutes_before": data["warn_minutes_before"],
            "active": data["active"],
            "calendar": {"time_zone": data["time_zone"].strip(), "weekly_hours": weekly, "holidays": holidays},
        }


class ReportFilterForm(forms.Form):
    """The reports' period (?from=&to=, dates) and team; a bad value falls back to the default."""

    # A number, not a choice: a team the user may not see is refused (403) rather than ignored.
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1, max_value=2**63 - 1, widget=forms.Select)

    def __init__(self, *args: Any, teams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: these two fields are added by name.
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
        self.order_fields(["from", "to", "team"])
        self.fields["team"].widget.choices = [("", _("All"))] + teams

    @property
    def period_fields(self) -> list[forms.BoundField]:
        return [self["from"], self["to"]]

    def values(self) -> tuple[dt.date | None, dt.date | None, int | None]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("from"), data.get("to"), data.get("team")
