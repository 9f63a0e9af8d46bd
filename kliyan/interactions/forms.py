"""Forms for logging interactions, notes and tasks. They only parse input: the services validate.

Dates stay plain strings here (the browser's date and datetime-local inputs send ISO text)
so that every rule lives once in the services and the page shows the service's own message
next to the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kliyan.contacts.forms import split_names, user_choices
from kliyan.core.choices import Channel
from kliyan.interactions.choices import Direction, Outcome, TaskStatus
from kliyan.interactions.models import Task

EMPTY = [("", "—")]
FOLLOW_UP_PREFIX = "follow_up_"
FOLLOW_UP_FIELDS = ("title", "due_date", "assignee", "remind_at")

def local_now_input() -> str:
    """Return now in the active (organisation's) time zone, as a datetime-local input wants it."""
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _date_input() -> forms.TextInput:
    return forms.TextInput(attrs={"type": "date"})


def _datetime_input() -> forms.TextInput:
    return forms.TextInput(attrs={"type": "datetime-local"})


class InteractionLogForm(forms.Form):
    """The quick "log an interaction" form, with an optional follow-up task."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, widget=forms.RadioSelect)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Direction.choices, initial=Direction.INBOUND, widget=forms.RadioSelect,
    )
    occurred_at = forms.CharField(label=_("When"), max_length=40, widget=_datetime_input())
    question = forms.CharField(
        label=_("What the customer asked"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
    )
    answer = forms.CharField(
        label=_("Answer given"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=EMPTY + list(Outcome.choices))
    interests = forms.CharField(
        label=_("Interests shown"), required=False, max_length=1000,
        help_text=_("What the customer showed interest in, e.g. school bags. Separate with commas."),
    )
    follow_up_title = forms.CharField(label=_("Follow-up task"), required=False, max_length=200)
    follow_up_due_date = forms.CharField(label=_("Due date"), required=False, max_length=40, widget=_date_input())
    follow_up_assignee = forms.TypedChoiceField(label=_("Assigned to"), required=False, coerce=int, empty_value=None)
    follow_up_remind_at = forms.CharField(
        label=_("Reminder"), required=False, max_length=40, widget=_datetime_input(),
        help_text=_("An e-mail is sent to the assignee at this time."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {"occurred_at": local_now_input(), "follow_up_assignee": user.pk, **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.fields["follow_up_assignee"].choices = EMPTY + user_choices()

    def wants_follow_up(self) -> bool:
        """Return whether a follow-up was asked for (the assignee alone, preset to me, does not count)."""
        data = self.cleaned_data
        return any(data.get(FOLLOW_UP_PREFIX + name) for name in ("title", "due_date", "remind_at"))

    def service_data(self) -> dict[str, Any]:
        """Return the input in the shape `interaction_log` takes."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            name: data[name] for name in ("channel", "direction", "occurred_at", "question", "answer", "outcome")
        }
        if data["interests"]:
            out["interests"] = split_names(data["interests"])
        if self.wants_follow_up():
            out["follow_up"] = {name: data[FOLLOW_UP_PREFIX + name] for name in FOLLOW_UP_FIELDS}
        return out

    def has_follow_up_input(self) -> bool:
        """Return whether the follow-up part should be shown open (it was filled or has errors)."""
        if any(self.errors.get(FOLLOW_UP_PREFIX + name) for name in FOLLOW_UP_FIELDS):
            return True
        return self.is_bound and any(self.data.get(FOLLOW_UP_PREFIX + n) for n in ("title", "due_date", "remind_at"))

    @staticmethod
    def field_map() -> dict[str, str]:
        """Map the service's error keys ("follow_up.title") to this form's fields."""
        return {f"follow_up.{name}": FOLLOW_UP_PREFIX + name for name in FOLLOW_UP_FIELDS}


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 5}))


class TaskForm(forms.Form):
    """Create or change a task. The contact is fixed by the page it was opened from."""

    title = forms.CharField(label=_("Title"), max_length=200)
    due_date = forms.CharField(label=_("Due date"), max_length=40, widget=_date_input())
    assignee = forms.TypedChoiceField(label=_("Assigned to"), required=False, coerce=int, empty_value=None)
    remind_at = forms.CharField(
        label=_("Reminder"), required=False, max_length=40, widget=_datetime_input(),
        help_text=_("An e-mail is sent to the assignee at this time."),
    )
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, keep_assignee: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = EMPTY + user_choices(keep=keep_assignee)

    @staticmethod
    def initial_for(task: Task) -> dict[str, Any]:
        remind_at = timezone.localtime(task.remind_at).strftime("%Y-%m-%dT%H:%M") if task.remind_at else ""
        return {
            "title": task.title, "due_date": task.due_date.isoformat(), "assignee": task.assignee_id or "",
            "remind_at": remind_at, "description": task.description,
        }


ASSIGNEE_ME = "me"
ASSIGNEE_ANYONE = "anyone"
TASK_STATUS_CHOICES = [(TaskStatus.OPEN, _("Open")), (TaskStatus.DONE, _("Done")), ("all", _("All"))]
DUE_CHOICES = [("", _("Any time")), ("overdue", _("Overdue")), ("today", _("Today")), ("week", _("Next 7 days"))]


class TaskFilterForm(forms.Form):
    """The filters of the task list: whose, which status, due when. Mine and open by default."""

    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=TASK_STATUS_CHOICES)
    due = forms.ChoiceField(label=_("Due"), required=False, choices=DUE_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [(str(pk), name) for pk, name in user_choices()]
        self.fields["assignee"].choices = [(ASSIGNEE_ME, _("Me")), (ASSIGNEE_ANYONE, _("Anyone"))] + people

    def values(self, user: Any) -> dict[str, Any]:
        """Return the valid filters (a bad one falls back to its default, not an error page)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        assignee = data.get("assignee") or ASSIGNEE_ME
        if assignee == ASSIGNEE_ME:
            assignee_id = user.pk
        elif assignee == ASSIGNEE_ANYONE:
            assignee_id = None
        else:
            assignee_id = int(assignee)
        return {"assignee_id": assignee_id, "status": data.get("status") or TaskStatus.OPEN, "due": data.get("due") or ""}


def due_filter(queryset: QuerySet[Task], due: str, today: dt.date) -> QuerySet[Task]:
    """Narrow tasks to those overdue, due today or due within the next seven days."""
    if due == "overdue":
        return queryset.filter(due_date__lt=today)
    if due == "today":
        return queryset.filter(due_date=today)
    if due == "week":
        return queryset.filter(due_date__gte=today, due_date__lte=today + dt.timedelta(days=6))
    return queryset
