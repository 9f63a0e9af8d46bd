"""API shapes of automations: one automation, a page of them, and who it would write to now."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import Input, PageOut
from kliyan.marketing.models import Automation


class AutomationIn(Input):
    name: str | None = None
    trigger: str | None = Field(
        None, description="birthday, anniversary, after_purchase, win_back, category or ticket_resolved")
    days: int | None = Field(None, description="Delay after the event; for win_back, the days without a purchase")
    local_hour: int | None = Field(None, description="0–23: birthdays and anniversaries go at this hour, contact's time")
    category_id: int | None = Field(None, description="The category trigger: purchases from it or any category below")
    channel: str | None = Field(None, description="email, sms, whatsapp, facebook or instagram")
    template_id: int | None = None
    segment_id: int | None = Field(None, description="Only contacts in this saved segment; null: every contact")
    active: bool | None = None


class AutomationOut(Schema):
    id: int
    name: str
    trigger: str
    days: int
    local_hour: int
    category_id: int | None
    channel: str
    template_id: int
    segment_id: int | None
    active: bool
    last_run_at: dt.datetime | None
    stored: int = Field(description="Messages stored by all runs")
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class AutomationPage(PageOut):
    items: list[AutomationOut]


class PreviewContact(Schema):
    id: int
    name: str


class PreviewOut(Schema):
    count: int = Field(description="Contacts the automation would write to if it ran now")
    contacts: list[PreviewContact] = Field(description="The first 10 of them, by id")


FIELDS = ("id", "name", "trigger", "days", "local_hour", "category_id", "channel", "template_id", "segment_id",
          "active", "last_run_at", "stored", "created_by_id", "created_at", "updated_at")


def automation_out(automation: Automation) -> dict[str, Any]:
    return {name: getattr(automation, "pk" if name == "id" else name) for name in FIELDS}
