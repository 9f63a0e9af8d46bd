"""Reads of segments: the saved list, and the contacts a rule selects, a page at a time."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kliyan.contacts.models import Contact
from kliyan.core.pagination import Page, keyset_page
from kliyan.marketing.models import Segment
from kliyan.marketing.segments import contacts_in

# Contacts are listed by name, the id breaking ties (the contacts list's own index).
CONTACT_ORDER = ["display_name", "id"]


def segment_list() -> QuerySet[Segment]:
    return Segment.objects.order_by("name", "id")


def segment_page(*, cursor: str | None, size: int) -> Page:
    return keyset_page(Segment.objects.all(), ordering=["name", "id"], cursor=cursor, size=size)


def preview(rule: Any, size: int) -> list[Contact]:
    """Return the first `size` contacts of the rule by name (one query; ValidationFailed for a bad rule)."""
    if size <= 0:
        return []
    return list(contacts_in(rule).select_related("company").order_by(*CONTACT_ORDER)[:size])


def contact_page(rule: Any, *, cursor: str | None, size: int) -> Page:
    """Return one page of the rule's contacts by name, with their companies (one query)."""
    return keyset_page(contacts_in(rule).select_related("company"), ordering=CONTACT_ORDER, cursor=cursor, size=size)
