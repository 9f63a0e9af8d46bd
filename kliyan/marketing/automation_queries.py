"""Reads of automations: the list and one automation, and the recent messages it stored."""

from __future__ import annotations

from django.db.models import QuerySet

from kliyan.marketing.models import Automation, Message

RECENT_MESSAGES = 20


def automation_list() -> QuerySet[Automation]:
    return Automation.objects.select_related("template", "segment", "category").order_by("name", "id")


def automation_detail(pk: int) -> Automation | None:
    return automation_list().select_related("created_by").filter(pk=pk).first()


def recent_messages(automation: Automation, limit: int = RECENT_MESSAGES) -> list[Message]:
    """Return the latest messages the automation stored."""
    return list(Message.objects.filter(automation=automation).select_related("contact").order_by("-id")[:limit])
