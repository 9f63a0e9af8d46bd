"""Forms of the problem pages. They only parse input: the services validate and name bad fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kliyan.service.choices import PROBLEM_OPEN, ActionStatus, ProblemStatus, problem_transitions
from kliyan.service.forms import EMPTY, agent_choices

ANY_OPEN = "open"
STATUS_FILTERS = [(ANY_OPEN, _("Not resolved")), *ProblemStatus.choices, ("all", _("Any status"))]
VERIFIED_CHOICES = [("", _("Not checked yet")), ("yes", _("Yes, it worked")), ("no", _("No, it did not"))]


class ProblemFilterForm(forms.Form):
    """The list's filters; a bad value falls back to its default, not an error page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("P-000012 or words of the title")}))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_FILTERS)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any"))] + categories

    def values(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"q": (data.get("q") or "").strip(), "status": data.get("status") or ANY_OPEN, "category": data.get("category")}


def statuses_for(value: str) -> tuple[str, ...]:
    if value == "all":
        return ()
    if value == ANY_OPEN:
        return tuple(PROBLEM_OPEN)
    return (value,)


class ProblemForm(forms.Form):
    """Record or change a problem (the status offers only the moves it may make)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    status = forms.ChoiceField(label=_("Status"))
    description = forms.CharField(label=_("What is happening"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    root_cause = forms.CharField(label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Why it happens, once known."))
    customer_message = forms.CharField(
        label=_("What to tell the customer"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to every agent who meets a customer with this problem; in your own words."),
    )
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    product_sku = forms.CharField(label=_("Product (SKU)"), required=False, max_length=64)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, categories: list[tuple[int, str]], problem: Any = None, **kwargs: Any) -> None:
        if problem is not None:
            kwargs.setdefault("initial", {
                "title": problem.title, "status": problem.status, "description": problem.description,
                "root_cause": problem.root_cause, "customer_message": problem.customer_message,
                "category": problem.category_id or "", "product_sku": problem.product.sku if problem.product_id else "",
                "owner": problem.owner_id or "",
            })
        super().__init__(*args, **kwargs)
        labels = dict(ProblemStatus.choices)
        if problem is None:
            self.fields["status"].choices = [(value, labels[value]) for value in PROBLEM_OPEN]
        else:
            self.fields["status"].choices = [(problem.status, labels[problem.status])] + [
                (value, labels[value]) for value in problem_transitions(problem.status)
            ]
        keep = []
        if problem is not None and problem.category_id and problem.category_id not in dict(categories):
            keep = [(problem.category_id, str(problem.category))]
        self.fields["category"].choices = EMPTY + categories + keep
        self.fields["owner"].choices = EMPTY + agent_choices(keep=problem.owner_id if problem is not None else None)

    def service_data(self, *, changed_only: bool) -> dict[str, Any]:
        """Return the fields for the service: all of them, or only those the person changed."""
        data = self.cleaned_data
        names = self.changed_data if changed_only else list(self.fields)
        return {name: data[name] for name in names if name in data}


class ActionForm(forms.Form):
    """One corrective action: added under the plan, or changed in place on the problem page."""

    description = forms.CharField(label=_("What"), max_length=500)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    due_date = forms.DateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices, initial=ActionStatus.TODO)
    verified = forms.ChoiceField(label=_("Did it work?"), required=False, choices=VERIFIED_CHOICES)
    verification_note = forms.CharField(label=_("How it was checked"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, action: Any = None, owner_choices: list[tuple[Any, str]] | None = None, **kwargs: Any) -> None:
        if action is not None:
            kwargs.setdefault("prefix", f"action-{action.pk}")
            kwargs.setdefault("initial", {
                "description": action.description, "owner": action.owner_id or "", "due_date": action.due_date,
                "status": action.status, "verified": {True: "yes", False: "no"}.get(action.verified, ""),
                "verification_note": action.verification_note,
            })
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = EMPTY + (owner_choices if owner_choices is not None else agent_choices())

    def service_data(self, *, changed_only: bool) -> dict[str, Any]:
        data = self.cleaned_data
        names = self.changed_data if changed_only else list(self.fields)
        return {name: data[name] for name in names if name in data}


class LinkTicketForm(forms.Form):
    ticket = forms.CharField(label=_("Ticket"), max_length=30,
                             widget=forms.TextInput(attrs={"placeholder": _("T-000123")}))


class TicketProblemForm(forms.Form):
    """On a ticket: the open problem it is a case of."""

    problem = forms.TypedChoiceField(label=_("Problem"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem"].choices = EMPTY + choices


class LinkArticleForm(forms.Form):
    article = forms.IntegerField(label=_("Article"), min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
