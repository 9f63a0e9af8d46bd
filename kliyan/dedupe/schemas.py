"""API shapes of the duplicates: pairs, scans, the merge request and its answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from kliyan.contacts.schemas import ContactOut, PageOut
from kliyan.dedupe.models import DuplicatePair, DuplicateScan
from kliyan.dedupe.queries import reason_labels


class PairContact(Schema):
    id: int
    name: str
    company: str | None
    primary_email: str
    primary_phone: str


class ReasonOut(Schema):
    code: str = Field(description="email, phone, name_birthday, name_company, name, similar_name_company, similar_name or other_birthday")
    label: str
    value: Any = Field(None, description="the shared e-mail or phone, or the name similarity (0–100)")


class PairOut(Schema):
    id: int
    contact_a: PairContact = Field(description="the contact with the smaller id")
    contact_b: PairContact
    score: int = Field(description="0–100: how likely the two are the same person")
    reasons: list[ReasonOut]
    status: str = Field(description="open, dismissed (not duplicates) or merged")
    found_at: dt.datetime
    updated_at: dt.datetime
    decided_at: dt.datetime | None


class PairPage(PageOut):
    items: list[PairOut]


class ScanOut(Schema):
    id: int
    status: str = Field(description="queued, running, done or failed")
    phase: str
    percent: int
    contacts: int = Field(description="active contacts compared")
    pairs: int
    new_pairs: int
    skipped: dict[str, int] = Field(description="groups too large to compare, per kind (a placeholder e-mail, a very common name)")
    error: str
    enqueued_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class MergeIn(Schema):
    survivor_id: int = Field(description="the contact kept")
    merged_ids: list[int] = Field(description="the contacts merged into it (at most 10)")
    fields: dict[str, int] = Field(
        default_factory=dict,
        description="field → id of the contact whose value to keep (first_name, last_name, company, job_title, birthday, "
                    "language, preferred_channel, owner, source, source_detail, referred_by, custom_fields.<key>); "
                    "by default the survivor's value, or the first merged contact's where the survivor has none",
    )


class MergeOut(Schema):
    survivor: ContactOut
    merged_ids: list[int]
    fields: dict[str, int] = Field(description="for each field on which the contacts differed: whose value was kept")
    moved: dict[str, int] = Field(description="rows moved to the survivor, per kind (\"interactions.interaction\": 12)")
    left_on_merged: dict[str, int] = Field(description="one-per-contact rows the survivor already had, left with the merged contact")
    removed: dict[str, int] = Field(description="repeats dropped: an e-mail both had, older consent states, tag links")


def _contact(contact: Any) -> dict[str, Any]:
    return {
        "id": contact.pk, "name": contact.display_name, "company": contact.company.name if contact.company_id else None,
        "primary_email": contact.primary_email, "primary_phone": contact.primary_phone,
    }


def pair_out(pair: DuplicatePair) -> dict[str, Any]:
    return {
        "id": pair.pk, "contact_a": _contact(pair.contact_a), "contact_b": _contact(pair.contact_b), "score": pair.score,
        "reasons": reason_labels(pair.reasons), "status": pair.status, "found_at": pair.found_at,
        "updated_at": pair.updated_at, "decided_at": pair.decided_at,
    }


def scan_out(scan: DuplicateScan) -> dict[str, Any]:
    return {
        "id": scan.pk, "status": scan.status, "phase": scan.phase, "percent": scan.percent, "contacts": scan.contacts,
        "pairs": scan.pairs, "new_pairs": scan.new_pairs, "skipped": scan.skipped or {}, "error": scan.error,
        "enqueued_at": scan.enqueued_at, "started_at": scan.started_at, "finished_at": scan.finished_at,
    }
