"""What the import writers share: the two kinds of record, a run's context, and small helpers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model
from django.db.models.functions import Lower

from kliyan.contacts.models import Company, Contact, EmailAddress, PhoneNumber, Tag
from kliyan.contacts.search import company_search_text, contact_search_text
from kliyan.contacts.services import COMPANY_EVENT_FIELDS, CONTACT_EVENT_FIELDS
from kliyan.contacts.choices import EmailKind
from kliyan.imports.choices import ImportTarget, RecordKind
from kliyan.imports.rows import PhoneValue


@dataclass(frozen=True)
class Spec:
    kind: str
    model: type[Model]
    owner: str
    scalars: tuple[str, ...]
    event_fields: list[str]


CONTACT_SPEC = Spec(RecordKind.CONTACT, Contact, "contact", ("first_name", "last_name", "job_title", "birthday", "language", "notes"), CONTACT_EVENT_FIELDS)
COMPANY_SPEC = Spec(RecordKind.COMPANY, Company, "company", ("name", "website", "industry", "notes"), COMPANY_EVENT_FIELDS)


def spec_for(target: str) -> Spec:
    return COMPANY_SPEC if target == ImportTarget.COMPANIES else CONTACT_SPEC


@dataclass
class RunContext:
    import_id: int
    target: str
    on_duplicate: str
    dry_run: bool
    actor: Any
    source_detail: str = ""
    # Dry run only: hashed match keys of rows that would have been created by earlier batches.
    seen: set[int] | None = None
    # Folded names of existing people, kept from batch to batch (kliyan.imports.matching.NameKeys).
    names: Any = None


@dataclass
class BatchOutcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    # Match reason (kliyan.imports.choices.MatchReason) → rows taken for an existing record or an earlier row.
    matched: dict[str, int] = field(default_factory=dict)

    def add(self, other: BatchOutcome) -> None:
        self.created += other.created
        self.updated += other.updated
        self.skipped += other.skipped
        for reason, count in other.matched.items():
            self.matched[reason] = self.matched.get(reason, 0) + count


def actor_fields(actor: Any) -> dict[str, Any]:
    """Return the audit entry's actor fields (as model fields)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_label": ""}
    return {"actor": actor, "actor_label": actor.get_username()}


def tag_ids(names: Iterable[str]) -> dict[str, int]:
    """Return casefolded tag name → id, creating the tags that do not exist ("VIP" and "vip" are one)."""
    wanted = {n.casefold(): n for n in names}
    if not wanted:
        return {}
    found = {name.casefold(): pk for pk, name in Tag.objects.annotate(lname=Lower("name")).filter(
        lname__in=[n.lower() for n in wanted.values()]).values_list("id", "name")}
    missing = [n for key, n in wanted.items() if key not in found]
    if missing:
        for pk, name in Tag.objects.values_list("id", "name").filter(name__in=missing):
            found.setdefault(name.casefold(), pk)
        missing = [n for key, n in wanted.items() if key not in found]
        Tag.objects.bulk_create([Tag(name=n) for n in missing], ignore_conflicts=True)
        for pk, name in Tag.objects.filter(name__in=missing).values_list("id", "name"):
            found.setdefault(name.casefold(), pk)
    return found


def refresh(spec: Spec, obj: Any, *, company_name: str, emails: list[str], phones: list[str]) -> None:
    """Fill the derived columns of a record (display name, birthday key, search text) from its values."""
    if spec is CONTACT_SPEC:
        obj.display_name = " ".join(p for p in (obj.first_name, obj.last_name) if p).strip()
        obj.birthday_md = obj.birthday.strftime("%m-%d") if obj.birthday else ""
        obj.search_text = contact_search_text(name=obj.display_name, company=company_name, emails=emails, phones=phones)
    else:
        obj.search_text = company_search_text(name=obj.name, emails=emails, phones=phones)


def children(spec: Spec, obj: Any, emails: list[str], phones: list[PhoneValue], *, first_primary: bool) -> tuple[list[EmailAddress], list[PhoneNumber]]:
    owner = {spec.owner: obj}
    return (
        [EmailAddress(**owner, email=e, kind=EmailKind.PERSONAL if spec is CONTACT_SPEC else EmailKind.WORK, is_primary=first_primary and n == 0)
         for n, e in enumerate(emails)],
        [PhoneNumber(**owner, e164=p.e164, caller_key=p.caller_key, kind=p.kind, is_primary=first_primary and n == 0)
         for n, p in enumerate(phones)],
    )


def link_tags(spec: Spec, pairs: list[tuple[int, int]]) -> None:
    through = spec.model.tags.through
    through.objects.bulk_create([through(**{f"{spec.owner}_id": obj_id, "tag_id": tag_id}) for obj_id, tag_id in pairs], ignore_conflicts=True)
