"""Forms of the service desk pages. They only parse input: the services validate and name bad fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kliyan.accounts.models import Role, Team, User
from kliyan.core.choices import Channel
from kliyan.service import queries
from kliyan.service.choices import Priority, TicketKind, TicketStatus, allowed_transitions

EMPTY = [("", "—")]
QUEUE_TABS = [
    ("mine", _("Mine")), ("team", _("My team")), ("unassigned", _("Unassigned")), ("open", _("All open")),
    ("breaching", _("Breaching soon")), ("all", _("All")),
]
SORTS = {
    "oldest": ["created_at", "id"],
    "newest": ["-created_at", "-id"],
    "updated": ["-updated_at", "-id"],
}
SORT_CHOICES = [("oldest", _("Oldest first")), ("newest", _("Newest first")), ("updated", _("Recently changed"))]


def agent_choices(keep: int | None = None) -> list[tuple[Any, str]]:
    """Return the staff who may work on tickets (not viewers), plus `keep` (the current assignee)."""
    workers = Q(is_active=True) & (Q(role__in=[Role.AGENT, Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True))
    users = User.objects.filter(workers | Q(pk=keep)).order_by("first_name", "last_name", "username")
    return [(user.pk, user.get_full_name() or user.get_username()) for user in users]


def team_choices(keep: int | None = None) -> list[tuple[Any, str]]:
    return list(Team.objects.filter(Q(active=True) | Q(pk=keep)).order_by("name", "id").values_list("pk", "name"))


class QueueFilterForm(forms.Form):
    """The queue's tab and filters; a bad value falls back to its default, not an error page."""

    tab = forms.ChoiceField(label=_("Queue"), required=False, choices=QUEUE_TABS, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("T-000123 or words of the subject")}))
    status = forms.ChoiceField(label=_("Status"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False, choices=[("", _("Any"))] + list(Priority.choices))
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=SORT_CHOICES)
    contact = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Not resolved")), *TicketStatus.choices, ("all", _("Any status"))]
        self.fields["category"].choices = [("", _("Any"))] + categories

    def values(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "tab": data.get("tab") or "open", "q": (data.get("q") or "").strip(), "status": data.get("status") or "",
            "priority": data.get("priority") or "", "category": data.get("category"), "sort": data.get("sort") or "oldest",
            "contact": data.get("contact"),
        }


def queue_filters(values: dict[str, Any], user: Any) -> queries.TicketFilters:
    """Return the tickets a tab shows, narrowed by the filters; a chosen status replaces "not resolved"."""
    filters = queries.tab_filters(values["tab"], user)
    if values["status"] == "all":
        filters.statuses = ()
    elif values["status"]:
        filters.statuses = (values["status"],)
    filters.priority = values["priority"]
    if values["category"]:
        filters.category_ids = queries.category_with_descendants(values["category"])
    filters.text = values["q"]
    filters.contact_id = values["contact"]
    return filters


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class TicketForm(forms.Form):
    """Open a ticket for a contact (the contact comes from the page it was opened from)."""

    kind = forms.ChoiceField(label=_("Type"), choices=TicketKind.choices, initial=TicketKind.COMPLAINT, widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = forms.CharField(
        label=_("What the customer says"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Their words, as they reported it: the first message of the ticket."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    product_sku = forms.CharField(label=_("Product (SKU)"), required=False, max_length=64)
    assignee = forms.TypedChoiceField(label=_("Assigned to"), required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = EMPTY + categories
        self.fields["assignee"].choices = EMPTY + agent_choices()
        self.fields["team"].choices = EMPTY + team_choices()

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in (
            "kind", "subject", "description", "channel", "priority", "category", "product_sku", "assignee", "team",
        )}


class TicketPropertiesForm(forms.Form):
    """The side panel of a ticket: where it stands and who has it."""

    status = forms.ChoiceField(label=_("Status"))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    kind = forms.ChoiceField(label=_("Type"), choices=TicketKind.choices)
    assignee = forms.TypedChoiceField(label=_("Assigned to"), required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    product_sku = forms.CharField(label=_("Product (SKU)"), required=False, max_length=64)

    def __init__(self, *args: Any, ticket: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {
            "status": ticket.status, "priority": ticket.priority, "kind": ticket.kind, "assignee": ticket.assignee_id or "",
            "team": ticket.team_id or "", "category": ticket.category_id or "",
            "product_sku": ticket.product.sku if ticket.product_id else "",
        })
        super().__init__(*args, **kwargs)
        statuses = dict(TicketStatus.choices)
        self.fields["status"].choices = [(ticket.status, statuses[ticket.status])] + [
            (value, statuses[value]) for value in allowed_transitions(ticket.status)
        ]
        self.fields["assignee"].choices = EMPTY + agent_choices(keep=ticket.assignee_id)
        self.fields["team"].choices = EMPTY + team_choices(keep=ticket.team_id)
        keep = [] if ticket.category_id is None or ticket.category_id in dict(categories) else [(ticket.category_id, str(ticket.category))]
        self.fields["category"].choices = EMPTY + categories + keep

    def changed_data_for_service(self) -> dict[str, Any]:
        """Return only the fields the person changed (so an untouched field never counts as a change)."""
        data = self.cleaned_data
        return {name: data[name] for name in self.changed_data if name in data}


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 5}))
    status = forms.ChoiceField(label=_("Then"), required=False)
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: Any, ticket: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        statuses = dict(TicketStatus.choices)
        targets = [value for value in allowed_transitions(ticket.status) if value != TicketStatus.CLOSED]
        self.fields["status"].choices = [("", _("Keep working on it"))] + [
            (value, _("Set to “%(status)s”") % {"status": statuses[value]}) for value in targets
        ]


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Only staff see notes; they are never sent to the customer."))
    files = MultipleFileField(label=_("Attachments"))


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = forms.TypedChoiceField(label=_("Under"), required=False, coerce=int, empty_value=None)
    active = forms.BooleanField(label=_("Offered for new tickets"), required=False, initial=True)

    def __init__(self, *args: Any, parents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("(top level)"))] + parents


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    manager = forms.TypedChoiceField(label=_("Manager"), required=False, coerce=int, empty_value=None)
    members = forms.TypedMultipleChoiceField(label=_("Members"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, keep: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = [(user.pk, user.get_full_name() or user.get_username())
                 for user in User.objects.filter(Q(is_active=True) | Q(pk__in=keep or [])).order_by("first_name", "last_name", "username")]
        self.fields["manager"].choices = EMPTY + users
        self.fields["members"].choices = users
