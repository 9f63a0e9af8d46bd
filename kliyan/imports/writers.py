"""Write one batch of clean records: match, create, update, link to the import, audit, announce.

A batch costs a fixed number of queries, not a number per row: the lookups of
kliyan.imports.matching (e-mails, phones, company names, the people of those companies),
one multi-row insert (COPY on PostgreSQL) per table for the new records and their e-mails,
phones, addresses, tags and links to the import, one `record_rows` of audit entries and one
`emit_many` per event. New records are written as plain tuples (kliyan.imports.sql), not
model instances: at a million rows the ORM's per-value work was most of the import's time.
Updates, the rarer path, go through kliyan.imports.updates.

A dry run goes through the same decisions (what would be created, updated, skipped)
and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils import timezone

from kliyan.contacts.choices import AddressKind, EmailKind, Source
from kliyan.contacts.models import Address, EmailAddress, PhoneNumber
from kliyan.contacts.search import company_search_text
from kliyan.core.audit import _json_value, record_rows
from kliyan.core.events import emit_many
from kliyan.core.models import AuditAction
from kliyan.imports.choices import ImportTarget, MatchReason, OnDuplicate, RecordAction
from kliyan.imports.matching import Existing, NameKeys, find_existing, match_keys, record_name_key, similar
from kliyan.imports.models import ImportedRecord
from kliyan.imports.rows import ADDRESS_FIELDS, Record, display_name, search_text
from kliyan.imports.specs import COMPANY_SPEC, CONTACT_SPEC, BatchOutcome, RunContext, Spec, actor_fields, link_tags, spec_for, tag_ids
from kliyan.imports.sql import Table, db_json
from kliyan.imports.updates import apply_updates

CONTACT_COLUMNS = (
    "first_name", "last_name", "display_name", "company_id", "job_title", "birthday", "birthday_md", "language", "notes",
    "custom_fields", "source", "source_detail", "created_by_id", "primary_email", "primary_phone", "search_text",
    "created_at", "updated_at",
)
AUDIT_COLUMNS = ("actor_id", "actor_label", "action", "object_type", "object_id", "object_label", "contact_id", "after")
COMPANY_COLUMNS = (
    "name", "website", "industry", "notes", "custom_fields", "source", "primary_email", "primary_phone", "search_text",
    "created_at", "updated_at",
)


def _merge(into: Record, extra: Record, target: str) -> None:
    """Fold a later row about the same new record into the first one (an in-file duplicate, on update)."""
    into.values.update(extra.values)
    into.company = extra.company or into.company
    into.emails += [e for e in extra.emails if e not in into.emails]
    into.phones += [p for p in extra.phones if p.e164 not in {q.e164 for q in into.phones}]
    into.address.update(extra.address)
    into.tags += [t for t in extra.tags if t.casefold() not in {x.casefold() for x in into.tags}]
    into.custom_fields.update(extra.custom_fields)
    into.search_text = search_text(into, target)
    into.name_key = ""  # the name, e-mails and phones may have changed: worked out again when next needed
    into.keys = []


@dataclass
class _Plan:
    creates: list[Record]
    updates: dict[int, list[tuple[Record, str]]]
    # In-file duplicates: exact keys and, per lower-cased company, the folded names of the rows to create.
    pending: dict[str, int]
    pending_names: dict[str, list[tuple[str, int]]]


def _similar_name(record: Record, existing: Existing, plan: _Plan, ctx: RunContext) -> tuple[int | None, int | None, bool]:
    """Return (existing id, pending index, seen in an earlier batch of a dry run) for a similar name at the same company."""
    company = record.company.lower()
    key = record_name_key(record)
    company_id = existing.companies.get(company)
    if company_id is not None:
        pk = similar(key, existing.people.get(company_id, ()))
        if pk is not None:
            return pk, None, False
    index = similar(key, plan.pending_names.get(company, ()))
    if index is not None:
        return None, index, False
    return None, None, ctx.seen is not None and hash(f"n:{company}\x1f{key}") in ctx.seen


def write_batch(records: list[Record], ctx: RunContext) -> BatchOutcome:
    """Match each record, then create, update or skip it as the import's rule says."""
    spec = spec_for(ctx.target)
    outcome = BatchOutcome()
    if ctx.names is None:
        ctx.names = NameKeys()
    existing = find_existing(records, ctx.target, spec.owner, ctx.names)
    plan = _Plan(creates=[], updates={}, pending={}, pending_names={})
    for record in records:
        keys = match_keys(record, ctx.target)
        found = existing.exact(keys)
        match_id, reason = found if found is not None else (None, "")
        pending_at, seen_before = None, False
        for key, key_reason in keys:
            if key in plan.pending:
                pending_at = plan.pending[key]
            elif ctx.seen is not None and hash(key) in ctx.seen:
                seen_before = True
            else:
                continue
            reason = reason or key_reason
            break
        if match_id is None and pending_at is None and not seen_before and spec is CONTACT_SPEC and record.company:
            match_id, pending_at, seen_before = _similar_name(record, existing, plan, ctx)
            if match_id is not None or pending_at is not None or seen_before:
                reason = MatchReason.SIMILAR_NAME
        matched = match_id is not None or pending_at is not None or seen_before
        if matched:
            outcome.matched[reason] = outcome.matched.get(reason, 0) + 1
        if not matched or ctx.on_duplicate == OnDuplicate.CREATE:
            for key, _reason in keys:
                plan.pending.setdefault(key, len(plan.creates))
            if spec is CONTACT_SPEC and record.company:
                plan.pending_names.setdefault(record.company.lower(), []).append((record_name_key(record), len(plan.creates)))
            plan.creates.append(record)
        elif ctx.on_duplicate == OnDuplicate.SKIP:
            outcome.skipped += 1
        elif match_id is not None:
            plan.updates.setdefault(match_id, []).append((record, reason))
        else:
            if pending_at is not None:
                _merge(plan.creates[pending_at], record, ctx.target)
            outcome.updated += 1
    if ctx.seen is not None:
        _remember(plan, ctx)
    company_ids: dict[str, int] = {}
    if spec is CONTACT_SPEC:
        company_ids = dict(existing.companies)
        named = plan.creates + [r for rows in plan.updates.values() for r, _reason in rows]
        company_ids.update(_create_companies([r for r in named if r.company and r.company.lower() not in company_ids], ctx))
    outcome.created += len(plan.creates)
    if plan.creates and not ctx.dry_run:
        _create(spec, plan.creates, ctx, company_ids)
    if plan.updates:
        changed = apply_updates(spec, plan.updates, ctx, company_ids)
        outcome.updated += changed
        outcome.skipped += sum(len(v) for v in plan.updates.values()) - changed
    return outcome


def _remember(plan: _Plan, ctx: RunContext) -> None:
    """Dry run: keep hashes of what this batch would create, so later batches see them as duplicates."""
    assert ctx.seen is not None
    for record in plan.creates:
        ctx.seen.update(hash(key) for key, _reason in match_keys(record, ctx.target))
        if ctx.target == ImportTarget.CONTACTS and record.company:
            ctx.seen.add(hash(f"n:{record.company.lower()}\x1f{record_name_key(record)}"))


# --- Create ---------------------------------------------------------------------------

def _create_companies(records: list[Record], ctx: RunContext) -> dict[str, int]:
    """Create the companies named by people's rows that do not exist yet (audited); return lower name → id."""
    first: dict[str, Record] = {}
    for r in records:
        first.setdefault(r.company.lower(), r)  # the first spelling in the file names the company
    if not first or ctx.dry_run:
        return {}
    companies = [
        Record(number=r.number, values={"name": r.company}, search_text=company_search_text(name=r.company, emails=[], phones=[]))
        for r in first.values()
    ]
    ids = _create(COMPANY_SPEC, companies, ctx, {})
    return dict(zip(first, ids, strict=True))


class _Payloads:
    """Turn inserted rows into event payloads without building model instances."""

    def __init__(self, table: Table, fields: list[str]) -> None:
        positions = {name: n for n, name in enumerate(table.names)}
        self.names = [name for name in fields if name in positions]
        self.missing = [name for name in fields if name not in positions and name != "id"]
        self.pick = operator.itemgetter(*(positions[name] for name in self.names))
        types = {f.attname: f for f in table.model._meta.concrete_fields}
        self.dates = [name for name in self.names if isinstance(types[name], models.DateField)]
        self.tail = table.tail
        self._iso: dict[Any, str] = {}

    def payload(self, pk: int, row: tuple[Any, ...]) -> dict[str, Any]:
        payload: dict[str, Any] = {"id": pk}
        payload.update(zip(self.names, self.pick(row + self.tail), strict=True))
        for name in self.missing:
            payload[name] = None
        for name in self.dates:
            value = payload[name]
            if value is not None:
                iso = self._iso.get(value)
                if iso is None:
                    iso = self._iso[value] = value.isoformat()
                payload[name] = iso
        return payload


def _row(spec: Spec, record: Record, ctx: RunContext, company_ids: dict[str, int], now: dt.datetime, empty_json: Any) -> tuple[Any, ...]:
    values = record.values
    custom = db_json(record.custom_fields) if record.custom_fields else empty_json
    email = record.emails[0] if record.emails else ""
    phone = record.phones[0].e164 if record.phones else ""
    if spec is COMPANY_SPEC:
        return (values.get("name", ""), values.get("website", ""), values.get("industry", ""), values.get("notes", ""), custom,
                Source.IMPORT, email, phone, record.search_text, now, now)
    birthday = values.get("birthday")
    company_id = company_ids.get(record.company.lower()) if record.company else None
    return (
        values.get("first_name", ""), values.get("last_name", ""), display_name(values), company_id, values.get("job_title", ""),
        birthday, birthday.strftime("%m-%d") if birthday else "", values.get("language", ""), values.get("notes", ""), custom,
        Source.IMPORT, ctx.source_detail[:200], getattr(ctx.actor, "pk", None) if getattr(ctx.actor, "is_authenticated", False) else None,
        email, phone, record.search_text, now, now,
    )


def _state(record: Record, company_id: int | None, import_id: int) -> dict[str, Any]:
    """Return the audit entry's "after" for a created record: what the row gave it."""
    state: dict[str, Any] = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in record.values.items() if v not in ("", None)}
    if company_id:
        state["company_id"] = company_id
    state["emails"] = record.emails
    state["phones"] = [p.e164 for p in record.phones]
    state["tags"] = record.tags
    state["import"] = import_id
    if record.custom_fields:
        state["custom_fields"] = _json_value(record.custom_fields)
    return state


def _create(spec: Spec, records: list[Record], ctx: RunContext, company_ids: dict[str, int]) -> list[int]:
    """Insert the records and everything that hangs off them; return their ids in order."""
    now = timezone.now()
    table = Table(spec.model, CONTACT_COLUMNS if spec is CONTACT_SPEC else COMPANY_COLUMNS)
    empty_json = db_json({})
    # Bound once: `connection` is a per-thread proxy, a lookup a row cost more than the JSON itself.
    to_json = connection.ops.adapt_json_value
    rows = [_row(spec, r, ctx, company_ids, now, empty_json) for r in records]
    ids = table.insert_returning_ids(rows)
    owner = f"{spec.owner}_id"
    email_kind = EmailKind.PERSONAL if spec is CONTACT_SPEC else EmailKind.WORK
    address_kind = AddressKind.HOME if spec is CONTACT_SPEC else AddressKind.WORK
    emails, phones, addresses, tag_pairs, links, audit = [], [], [], [], [], []
    tags = tag_ids(t for r in records for t in r.tags)
    actor = actor_fields(ctx.actor)
    actor_id = actor["actor"].pk if actor["actor"] is not None else None
    actor_label = actor["actor_label"]
    object_type = f"{spec.model._meta.app_label}.{spec.model._meta.model_name}"
    is_contact = spec is CONTACT_SPEC
    for record, pk, row in zip(records, ids, rows, strict=True):
        emails += [(pk, e, email_kind, n == 0) for n, e in enumerate(record.emails)]
        phones += [(pk, p.e164, p.caller_key, p.kind, n == 0) for n, p in enumerate(record.phones)]
        if record.address:
            addresses.append((pk, address_kind, True, *(record.address.get(name, "") for name in ADDRESS_FIELDS)))
        tag_pairs += [(pk, tags[t.casefold()]) for t in record.tags]
        links.append((ctx.import_id, record.number, spec.kind, pk, RecordAction.CREATED))
        company_id = row[3] if is_contact else None
        audit.append((actor_id, actor_label, AuditAction.CREATE, object_type, str(pk), row[2 if is_contact else 0][:255],
                      pk if is_contact else None, to_json(_state(record, company_id, ctx.import_id), None)))
    Table(EmailAddress, (owner, "email", "kind", "is_primary")).insert(emails)
    Table(PhoneNumber, (owner, "e164", "caller_key", "kind", "is_primary")).insert(phones)
    Table(Address, (owner, "kind", "is_primary", *ADDRESS_FIELDS)).insert(addresses)
    if tag_pairs:
        link_tags(spec, tag_pairs)
    Table(ImportedRecord, ("import_run_id", "row", "kind", "object_id", "action")).insert(links)
    record_rows(AUDIT_COLUMNS, audit)
    payloads = _Payloads(table, spec.event_fields)
    emit_many(f"{spec.owner}.created", [payloads.payload(pk, row) for pk, row in zip(ids, rows, strict=True)])
    return ids

