"""Apply rows to the existing records they matched (the import's rule "update"), remembering what undo needs.

Updates are the rare path of a large import (a row matched and the rule says update), so
they go through the ORM with the records' e-mails, phones, addresses and tags prefetched:
still a fixed number of queries per batch. Empty cells never erase a value; each changed
field keeps [before, after] in the ImportedRecord, which is what undo puts back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from kliyan.contacts.choices import AddressKind
from kliyan.contacts.models import Address, Company, EmailAddress, PhoneNumber
from kliyan.core.audit import _json_value, object_type, record_many, snapshot
from kliyan.core.events import emit_many
from kliyan.core.models import AuditAction, AuditEntry
from kliyan.imports.choices import RecordAction
from kliyan.imports.models import ImportedRecord
from kliyan.imports.rows import ADDRESS_FIELDS, Record
from kliyan.imports.specs import CONTACT_SPEC, RunContext, Spec, actor_fields, children, link_tags, refresh, tag_ids


@dataclass
class _Change:
    """What an update does to one existing record; `as_json` is what undo needs."""

    record: Record
    obj: Any
    matched_by: str = ""
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
            "matched_by": self.matched_by,
        })


def _plan_update(spec: Spec, obj: Any, record: Record, company_ids: dict[str, int], tags: dict[str, int], matched_by: str) -> _Change:
    change = _Change(record=record, obj=obj, matched_by=matched_by)
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
    change.emails, change.phones = children(spec, obj, new_emails, new_phones, first_primary=False)
    if change.emails and not obj.primary_email:
        change.emails[0].is_primary = True
        change.fields["primary_email"] = [obj.primary_email, change.emails[0].email]
        obj.primary_email = change.emails[0].email
    if change.phones and not obj.primary_phone:
        change.phones[0].is_primary = True
        change.fields["primary_phone"] = [obj.primary_phone, change.phones[0].e164]
        obj.primary_phone = change.phones[0].e164
    known_tags = {t.pk for t in obj.tags.all()}
    change.tags = [tags[t.casefold()] for t in record.tags if tags.get(t.casefold()) not in known_tags and t.casefold() in tags]
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


def apply_updates(spec: Spec, updates: dict[int, list[tuple[Record, str]]], ctx: RunContext, company_ids: dict[str, int]) -> int:
    """Apply each (row, match reason) to its existing record; return how many rows changed something."""
    related = ["emailaddresss", "phonenumbers", "addresss", "tags"]
    qs = spec.model.objects.filter(pk__in=list(updates)).prefetch_related(*related)
    if spec is CONTACT_SPEC:
        qs = qs.select_related("company")
    objs = {o.pk: o for o in qs}
    names = [t for rows in updates.values() for r, _reason in rows for t in r.tags]
    tags = {t.casefold(): -1 for t in names} if ctx.dry_run else tag_ids(names)
    changes: list[_Change] = []
    for pk, records in updates.items():
        obj = objs.get(pk)
        if obj is None:
            continue
        for record, reason in records:
            change = _plan_update(spec, obj, record, company_ids, tags, reason)
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
    link_tags(spec, [(c.obj.pk, t) for c in changes for t in c.tags])
    company_names = dict(Company.objects.filter(pk__in={o.company_id for o in touched.values() if getattr(o, "company_id", None)}).values_list("id", "name")) if spec is CONTACT_SPEC else {}
    for obj in touched.values():
        emails = [e.email for e in obj.emailaddresss.all()] + [e.email for c in changes if c.obj is obj for e in c.emails]
        phones = [p.e164 for p in obj.phonenumbers.all()] + [p.e164 for c in changes if c.obj is obj for p in c.phones]
        refresh(spec, obj, company_name=company_names.get(getattr(obj, "company_id", None), ""), emails=emails, phones=phones)
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
            **actor_fields(ctx.actor), action=AuditAction.UPDATE, object_type=object_type(c.obj), object_id=str(c.obj.pk),
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
