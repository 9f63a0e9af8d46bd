"""Write one batch of clean records: match, create, update, link to the import, audit, announce.

A batch costs a fixed number of queries, not a number per row: one per kind of match
(e-mails, phones, company names), one bulk insert per table for the new records and
their e-mails, phones, addresses and tags, one `record_many` of audit entries and one
`emit_many` per event. This is the path a million-row import takes; the contact
services' per-record functions would cost a dozen queries a row.

A dry run goes through the same decisions (what would be created, updated, skipped)
and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Model
from django.db.models.functions import Lower
from django.utils import timezone

from kliyan.contacts.choices import AddressKind, EmailKind, Source
from kliyan.contacts.models import Address, Company, Contact, EmailAddress, PhoneNumber, Tag
from kliyan.contacts.search import company_search_text, contact_search_text
from kliyan.contacts.services import COMPANY_EVENT_FIELDS, CONTACT_EVENT_FIELDS
from kliyan.core.audit import _json_value, object_type, record_many, snapshot
from kliyan.core.events import emit_many
from kliyan.core.models import AuditAction, AuditEntry
from kliyan.imports.choices import ImportTarget, OnDuplicate, RecordAction, RecordKind
from kliyan.imports.models import ImportedRecord
from kliyan.imports.rows import ADDRESS_FIELDS, PhoneValue, Record


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


@dataclass
class BatchOutcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0


@dataclass
class _Change:
    """What an update does to one existing record; `as_json` is what undo needs."""

    record: Record
    obj: Any
    fields: dict[str, list[Any]] = field(default_factory=dict)
    custom: dict[str, list[Any]] = field(default_factory=dict)
    emails: list[EmailAddress] = field(default_factory=list)
    phones: list[PhoneNumber] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    address: Address | None = None
    address_created: bool = False
    address_fields: dict[str, list[str]] = field(default_factory=dict)

    def changed(self) -> bool:
        return bool(self.fields or self.custom or self.emails or self.phones or self.tags or self.address_created or self.address_fields)

    def as_json(self) -> dict[str, Any]:
        return _json_value({
            "fields": self.fields, "custom_fields": self.custom, "emails": [e.pk for e in self.emails],
            "phones": [p.pk for p in self.phones], "tags": self.tags,
            "address": {"id": self.address.pk, "created": self.address_created, "fields": self.address_fields} if self.address else None,
        })


def match_keys(record: Record, target: str) -> list[str]:
    keys = [f"e:{e}" for e in record.emails] + [f"p:{p.e164}" for p in record.phones]
    if target == ImportTarget.COMPANIES and record.values.get("name"):
        keys.append(f"n:{record.values['name'].lower()}")
    return keys


def _existing_matches(spec: Spec, records: list[Record], target: str) -> dict[str, int]:
    """Return match key → id of the existing record that has this e-mail, phone (or company name)."""
    emails = {e for r in records for e in r.emails}
    phones = {p.e164 for r in records for p in r.phones}
    found: dict[str, int] = {}
    owner_id = f"{spec.owner}_id"
    if emails:
        rows = EmailAddress.objects.filter(email__in=emails, **{f"{spec.owner}__isnull": False}).order_by("id").values_list("email", owner_id)
        for email, pk in rows:
            found.setdefault(f"e:{email}", pk)
    if phones:
        rows = PhoneNumber.objects.filter(e164__in=phones, **{f"{spec.owner}__isnull": False}).order_by("id").values_list("e164", owner_id)
        for e164, pk in rows:
            found.setdefault(f"p:{e164}", pk)
    if target == ImportTarget.COMPANIES:
        names = {r.values["name"].lower() for r in records if r.values.get("name")}
        if names:
            rows = Company.objects.annotate(lname=Lower("name")).filter(lname__in=names).order_by("id").values_list("lname", "id")
            for lname, pk in rows:
                found.setdefault(f"n:{lname}", pk)
    return found


def _merge(into: Record, extra: Record) -> None:
    """Fold a later row about the same new record into the first one (an in-file duplicate, on update)."""
    into.values.update(extra.values)
    into.company = extra.company or into.company
    into.emails += [e for e in extra.emails if e not in into.emails]
    into.phones += [p for p in extra.phones if p.e164 not in {q.e164 for q in into.phones}]
    into.address.update(extra.address)
    into.tags += [t for t in extra.tags if t.casefold() not in {x.casefold() for x in into.tags}]
    into.custom_fields.update(extra.custom_fields)


def write_batch(records: list[Record], ctx: RunContext) -> BatchOutcome:
    """Match each record, then create, update or skip it as the import's rule says."""
    spec = spec_for(ctx.target)
    outcome = BatchOutcome()
    existing = _existing_matches(spec, records, ctx.target)
    creates: list[Record] = []
    pending: dict[str, int] = {}
    updates: dict[int, list[Record]] = {}
    for record in records:
        keys = match_keys(record, ctx.target)
        match_id = next((existing[k] for k in keys if k in existing), None)
        pending_at = next((pending[k] for k in keys if k in pending), None)
        seen_before = ctx.seen is not None and any(hash(k) in ctx.seen for k in keys)
        if (match_id is None and pending_at is None and not seen_before) or ctx.on_duplicate == OnDuplicate.CREATE:
            for key in keys:
                pending.setdefault(key, len(creates))
            creates.append(record)
        elif ctx.on_duplicate == OnDuplicate.SKIP:
            outcome.skipped += 1
        elif match_id is not None:
            updates.setdefault(match_id, []).append(record)
        else:
            if pending_at is not None:
                _merge(creates[pending_at], record)
            outcome.updated += 1
    if ctx.seen is not None:
        ctx.seen.update(hash(k) for r in creates for k in match_keys(r, ctx.target))
    company_ids = _company_ids([r for r in records if r.company], ctx) if spec is CONTACT_SPEC else {}
    outcome.created += len(creates)
    if creates and not ctx.dry_run:
        _create(spec, creates, ctx, company_ids)
    if updates:
        changed = _update(spec, updates, ctx, company_ids)
        outcome.updated += changed
        outcome.skipped += sum(len(v) for v in updates.values()) - changed
    return outcome


# --- Shared pieces --------------------------------------------------------------------

def _actor(ctx: RunContext) -> dict[str, Any]:
    actor = ctx.actor
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_label": ""}
    return {"actor": actor, "actor_label": actor.get_username()}


def _tag_ids(names: Iterable[str]) -> dict[str, int]:
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


def _company_ids(records: list[Record], ctx: RunContext) -> dict[str, int]:
    """Return lower-cased company name → id for the records' companies, creating missing ones (audited)."""
    names: dict[str, Record] = {}
    for r in records:
        names.setdefault(r.company.lower(), r)  # the first spelling in the file names the company
    if not names:
        return {}
    found: dict[str, int] = {}
    rows = (
        Company.objects.annotate(lname=Lower("name")).filter(lname__in=list(names))
        .order_by(F("archived_at").asc(nulls_first=True), "id").values_list("lname", "id")
    )
    for lname, pk in rows:
        found.setdefault(lname, pk)
    missing = [(lname, r) for lname, r in names.items() if lname not in found]
    if not missing or ctx.dry_run:
        return found
    companies = [
        Company(name=r.company, source=Source.IMPORT, search_text=company_search_text(name=r.company, emails=[], phones=[]))
        for _lname, r in missing
    ]
    Company.objects.bulk_create(companies)
    for (lname, _r), company in zip(missing, companies, strict=True):
        found[lname] = company.pk
    ImportedRecord.objects.bulk_create([
        ImportedRecord(import_run_id=ctx.import_id, row=r.number, kind=RecordKind.COMPANY, object_id=c.pk, action=RecordAction.CREATED)
        for (_l, r), c in zip(missing, companies, strict=True)
    ])
    record_many(
        AuditEntry(**_actor(ctx), action=AuditAction.CREATE, object_type=object_type(c), object_id=str(c.pk),
                   object_label=c.name[:255], after={"name": c.name, "import": ctx.import_id})
        for c in companies
    )
    emit_many("company.created", [snapshot(c, COMPANY_EVENT_FIELDS) for c in companies])
    return found


def _state(spec: Spec, obj: Any, emails: list[str], phones: list[str], tags: list[str], import_id: int) -> dict[str, Any]:
    state = {name: getattr(obj, name) for name in spec.scalars if getattr(obj, name) not in ("", None)}
    if spec is CONTACT_SPEC and obj.company_id:
        state["company_id"] = obj.company_id
    state.update({"emails": emails, "phones": phones, "tags": tags, "import": import_id})
    if obj.custom_fields:
        state["custom_fields"] = obj.custom_fields
    return _json_value(state)


def _refresh(spec: Spec, obj: Any, *, company_name: str, emails: list[str], phones: list[str]) -> None:
    if spec is CONTACT_SPEC:
        obj.display_name = " ".join(p for p in (obj.first_name, obj.last_name) if p).strip()
        obj.birthday_md = obj.birthday.strftime("%m-%d") if obj.birthday else ""
        obj.search_text = contact_search_text(name=obj.display_name, company=company_name, emails=emails, phones=phones)
    else:
        obj.search_text = company_search_text(name=obj.name, emails=emails, phones=phones)


def _children(spec: Spec, obj: Any, emails: list[str], phones: list[PhoneValue], *, first_primary: bool) -> tuple[list[EmailAddress], list[PhoneNumber]]:
    owner = {spec.owner: obj}
    return (
        [EmailAddress(**owner, email=e, kind=EmailKind.PERSONAL if spec is CONTACT_SPEC else EmailKind.WORK, is_primary=first_primary and n == 0)
         for n, e in enumerate(emails)],
        [PhoneNumber(**owner, e164=p.e164, caller_key=p.caller_key, kind=p.kind, is_primary=first_primary and n == 0)
         for n, p in enumerate(phones)],
    )


def _link_tags(spec: Spec, pairs: list[tuple[int, int]]) -> None:
    through = spec.model.tags.through
    through.objects.bulk_create([through(**{f"{spec.owner}_id": obj_id, "tag_id": tag_id}) for obj_id, tag_id in pairs], ignore_conflicts=True)


# --- Create ---------------------------------------------------------------------------

def _create(spec: Spec, records: list[Record], ctx: RunContext, company_ids: dict[str, int]) -> None:
    objs = []
    for record in records:
        obj = spec.model(**record.values, custom_fields=record.custom_fields, source=Source.IMPORT)
        if spec is CONTACT_SPEC:
            obj.company_id = company_ids.get(record.company.lower()) if record.company else None
            obj.source_detail = ctx.source_detail[:200]
            obj.created_by = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
        obj.primary_email = record.emails[0] if record.emails else ""
        obj.primary_phone = record.phones[0].e164 if record.phones else ""
        _refresh(spec, obj, company_name=record.company if spec is CONTACT_SPEC else "", emails=record.emails, phones=[p.e164 for p in record.phones])
        objs.append(obj)
    spec.model.objects.bulk_create(objs)
    emails: list[EmailAddress] = []
    phones: list[PhoneNumber] = []
    addresses: list[Address] = []
    tag_ids = _tag_ids(t for r in records for t in r.tags)
    tag_pairs: list[tuple[int, int]] = []
    for record, obj in zip(records, objs, strict=True):
        new_emails, new_phones = _children(spec, obj, record.emails, record.phones, first_primary=True)
        emails += new_emails
        phones += new_phones
        if record.address:
            addresses.append(Address(**{spec.owner: obj}, **record.address,
                                     kind=AddressKind.HOME if spec is CONTACT_SPEC else AddressKind.WORK, is_primary=True))
        tag_pairs += [(obj.pk, tag_ids[t.casefold()]) for t in record.tags]
    EmailAddress.objects.bulk_create(emails)
    PhoneNumber.objects.bulk_create(phones)
    Address.objects.bulk_create(addresses)
    _link_tags(spec, tag_pairs)
    ImportedRecord.objects.bulk_create([
        ImportedRecord(import_run_id=ctx.import_id, row=r.number, kind=spec.kind, object_id=o.pk, action=RecordAction.CREATED)
        for r, o in zip(records, objs, strict=True)
    ])
    record_many(
        AuditEntry(
            **_actor(ctx), action=AuditAction.CREATE, object_type=object_type(o), object_id=str(o.pk), object_label=str(o)[:255],
            contact_id=o.pk if spec is CONTACT_SPEC else None,
            after=_state(spec, o, r.emails, [p.e164 for p in r.phones], r.tags, ctx.import_id),
        )
        for r, o in zip(records, objs, strict=True)
    )
    emit_many(f"{spec.owner}.created", [snapshot(o, spec.event_fields) for o in objs])


# --- Update ---------------------------------------------------------------------------

def _plan_update(spec: Spec, obj: Any, record: Record, company_ids: dict[str, int], tag_ids: dict[str, int]) -> _Change:
    change = _Change(record=record, obj=obj)
    for name, value in record.values.items():
        before = getattr(obj, name)
        if before != value:
            change.fields[name] = [before, value]
            setattr(obj, name, value)
    if spec is CONTACT_SPEC and record.company:
        company_id = company_ids.get(record.company.lower())
        if company_id and company_id != obj.company_id:
            change.fields["company_id"] = [obj.company_id, company_id]
            obj.company_id = company_id
    if record.custom_fields:
        custom = dict(obj.custom_fields or {})
        for key, value in record.custom_fields.items():
            if custom.get(key) != value:
                change.custom[key] = [custom.get(key), value]
                custom[key] = value
        obj.custom_fields = custom
    known_emails = {e.email for e in obj.emailaddresss.all()}
    known_phones = {p.e164 for p in obj.phonenumbers.all()}
    new_emails = [e for e in record.emails if e not in known_emails]
    new_phones = [p for p in record.phones if p.e164 not in known_phones]
    change.emails, change.phones = _children(spec, obj, new_emails, new_phones, first_primary=False)
    if change.emails and not obj.primary_email:
        change.emails[0].is_primary = True
        change.fields["primary_email"] = [obj.primary_email, change.emails[0].email]
        obj.primary_email = change.emails[0].email
    if change.phones and not obj.primary_phone:
        change.phones[0].is_primary = True
        change.fields["primary_phone"] = [obj.primary_phone, change.phones[0].e164]
        obj.primary_phone = change.phones[0].e164
    known_tags = {t.pk for t in obj.tags.all()}
    change.tags = [tag_ids[t.casefold()] for t in record.tags if tag_ids.get(t.casefold()) not in known_tags and t.casefold() in tag_ids]
    if record.address:
        current = next(iter(obj.addresss.all()), None)
        if current is None:
            change.address = Address(**{spec.owner: obj}, **record.address, is_primary=True,
                                     kind=AddressKind.HOME if spec is CONTACT_SPEC else AddressKind.WORK)
            change.address_created = True
        else:
            for name in ADDRESS_FIELDS:
                value = record.address.get(name)
                if value and getattr(current, name) != value:
                    change.address_fields[name] = [getattr(current, name), value]
                    setattr(current, name, value)
            change.address = current if change.address_fields else None
    return change


def _update(spec: Spec, updates: dict[int, list[Record]], ctx: RunContext, company_ids: dict[str, int]) -> int:
    """Apply each update row to its existing record; return how many rows changed something."""
    related = ["emailaddresss", "phonenumbers", "addresss", "tags"]
    qs = spec.model.objects.filter(pk__in=list(updates)).prefetch_related(*related)
    if spec is CONTACT_SPEC:
        qs = qs.select_related("company")
    objs = {o.pk: o for o in qs}
    tag_ids = {} if ctx.dry_run else _tag_ids(t for rs in updates.values() for r in rs for t in r.tags)
    if ctx.dry_run:
        tag_ids = {t.casefold(): -1 for rs in updates.values() for r in rs for t in r.tags}
    changes: list[_Change] = []
    for pk, records in updates.items():
        obj = objs.get(pk)
        if obj is None:
            continue
        for record in records:
            change = _plan_update(spec, obj, record, company_ids, tag_ids)
            if change.changed():
                changes.append(change)
    if ctx.dry_run or not changes:
        return len(changes)
    _save_updates(spec, changes, ctx)
    return len(changes)


def _save_updates(spec: Spec, changes: list[_Change], ctx: RunContext) -> None:
    now = timezone.now()
    touched = {c.obj.pk: c.obj for c in changes}
    EmailAddress.objects.bulk_create([e for c in changes for e in c.emails])
    PhoneNumber.objects.bulk_create([p for c in changes for p in c.phones])
    Address.objects.bulk_create([c.address for c in changes if c.address is not None and c.address_created])
    moved = [c.address for c in changes if c.address is not None and not c.address_created]
    if moved:
        Address.objects.bulk_update(moved, list(ADDRESS_FIELDS))
    _link_tags(spec, [(c.obj.pk, t) for c in changes for t in c.tags])
    company_names = dict(Company.objects.filter(pk__in={o.company_id for o in touched.values() if getattr(o, "company_id", None)}).values_list("id", "name")) if spec is CONTACT_SPEC else {}
    for obj in touched.values():
        emails = [e.email for e in obj.emailaddresss.all()] + [e.email for c in changes if c.obj is obj for e in c.emails]
        phones = [p.e164 for p in obj.phonenumbers.all()] + [p.e164 for c in changes if c.obj is obj for p in c.phones]
        _refresh(spec, obj, company_name=company_names.get(getattr(obj, "company_id", None), ""), emails=emails, phones=phones)
        obj.updated_at = now
    fields = [*spec.scalars, "custom_fields", "primary_email", "primary_phone", "search_text", "updated_at"]
    if spec is CONTACT_SPEC:
        fields += ["company_id", "display_name", "birthday_md"]
    spec.model.objects.bulk_update(list(touched.values()), fields)
    ImportedRecord.objects.bulk_create([
        ImportedRecord(import_run_id=ctx.import_id, row=c.record.number, kind=spec.kind, object_id=c.obj.pk,
                       action=RecordAction.UPDATED, changes=c.as_json())
        for c in changes
    ])
    record_many(
        AuditEntry(
            **_actor(ctx), action=AuditAction.UPDATE, object_type=object_type(c.obj), object_id=str(c.obj.pk),
            object_label=str(c.obj)[:255], contact_id=c.obj.pk if spec is CONTACT_SPEC else None,
            before=_json_value({**{k: v[0] for k, v in c.fields.items()}, **({"custom_fields": {k: v[0] for k, v in c.custom.items()}} if c.custom else {})}),
            after=_json_value({
                **{k: v[1] for k, v in c.fields.items()},
                **({"custom_fields": {k: v[1] for k, v in c.custom.items()}} if c.custom else {}),
                **({"emails_added": [e.email for e in c.emails]} if c.emails else {}),
                **({"phones_added": [p.e164 for p in c.phones]} if c.phones else {}),
                **({"address": {k: v[1] for k, v in c.address_fields.items()} or str(c.address)} if c.address else {}),
                "import": ctx.import_id,
            }),
        )
        for c in changes
    )
    emit_many(f"{spec.owner}.updated", [snapshot(o, spec.event_fields) for o in touched.values()])
