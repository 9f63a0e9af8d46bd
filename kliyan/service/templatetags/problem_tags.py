"""Template helpers of the problem pages: badges' styles and one readable line per history event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kliyan.service.choices import ActionStatus, ProblemEventKind, ProblemStatus

register = template.Library()

PROBLEM_STYLES = {
    ProblemStatus.OPEN: "badge--danger", ProblemStatus.INVESTIGATING: "badge--warn", ProblemStatus.FIXING: "badge--warn",
    ProblemStatus.RESOLVED: "badge--ok", ProblemStatus.CLOSED: "badge--muted",
}
ACTION_STYLES = {ActionStatus.TODO: "", ActionStatus.DOING: "badge--warn", ActionStatus.DONE: "badge--ok"}
FIELD_LABELS = {
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("What is happening"),
    "root_cause": gettext_lazy("Root cause"),
    "customer_message": gettext_lazy("What to tell the customer"),
    "category": gettext_lazy("Category"),
    "product": gettext_lazy("Product"),
    "owner": gettext_lazy("Owner"),
    "status": gettext_lazy("Status"),
    "due_date": gettext_lazy("Due"),
    "verified": gettext_lazy("Did it work?"),
    "verification_note": gettext_lazy("How it was checked"),
}


@register.filter
def problem_style(status: str) -> str:
    return PROBLEM_STYLES.get(status, "")


@register.filter
def action_style(status: str) -> str:
    return ACTION_STYLES.get(status, "")


@register.simple_tag
def action_overdue(action: Any, today: dt.date | None = None) -> bool:
    """Whether an action not yet done is past its due date."""
    today = today or dt.date.today()
    return action.status != ActionStatus.DONE and action.due_date is not None and action.due_date < today


def _value(field: str, value: str) -> str:
    if not value:
        return "—"
    if field == "status":
        labels = {**dict(ProblemStatus.choices), **dict(ActionStatus.choices)}
        return str(labels.get(value, value))
    if field == "verified":
        return {"yes": _("it worked"), "no": _("it did not work")}.get(value, value)
    return value


@register.simple_tag
def problem_event_parts(event: Any) -> dict[str, str]:
    """Return what a history line says: {"label", "old", "new"} in the reader's language."""
    kind = event.kind
    label = str(dict(ProblemEventKind.choices).get(kind, kind))
    if kind in {ProblemEventKind.CHANGED, ProblemEventKind.ACTION_CHANGED, ProblemEventKind.ACTION_VERIFIED, ProblemEventKind.STATUS}:
        field = str(FIELD_LABELS.get(event.field, event.field))
        return {"label": f"{label} · {field}", "old": _value(event.field, event.old_value), "new": _value(event.field, event.new_value)}
    return {"label": label, "old": "", "new": event.new_value}
