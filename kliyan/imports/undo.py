"""Undo an import: remove what it created, put back what it changed, newest first.

Decisions (docs/import.md):
- A person or company the import created is deleted, unless something else has come to
  point at it since (an interaction, an order, a ticket, a referral, people of a company
  who were not created by this import — anything but its own e-mails, phones, addresses
  and consent) or someone edited it after the import finished. Then it is archived, so
  that history is never lost.
- A field the import changed is put back only if it still holds what the import wrote;
  a value someone has changed since is kept (and counted as "kept").
- E-mails, phones, tags and addresses the import added are removed.
Records are walked newest first, a chunk per transaction; the import keeps a cursor, so
an undo that is interrupted resumes where it stopped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from kliyan.contacts.models import Address, Company, Consent, ConsentEvent, EmailAddress, PhoneNumber
from kliyan.core.audit import _json_value, object_type, record_many, snapshot
from kliyan.core.events import emit_many
from kliyan.core.models import AuditAction, AuditEntry
from kliyan.imports.choices import RecordAction, RecordKind
from kliyan.imports.models import Import, ImportedRecord
from kliyan.imports.specs import COMPANY_SPEC, CONTACT_SPEC, Spec, refresh

CHUNK = 500
# What belongs to a record itself: removed with it, never a reason to keep it.
OWN_CHILDREN = (EmailAddress, PhoneNumber, Address, Consent, ConsentEvent)


def _actor(actor: Any) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_label": ""}
    return {"actor": actor, "actor_label": actor.get_username()}


def referenced_ids(model: type[Model], ids: list[int]) -> set[int]:
    """Return the ids among `ids` that any other record points to (one query per relation).

    Relations are discovered from the model, so apps added later (tickets, loyalty) count
    without this module knowing them.
    """
    found: set[int] = set()
    for relation in model._meta.related_objects:
        related = relation.related_model
        if related in OWN_CHILDREN or related._meta.auto_created or relation.many_to_many:
            continue
        field = relation.field
        found.update(
            related._base_manager.filter(**{f"{field.name}__in": ids}).exclude(**{f"{field.name}__isnull": True})
            .values_list(field.attname, flat=True).distinct()
        )
    return found


def _remove_created(spec: Spec, ids: list[int], import_: Import, actor: Any, summary: dict[str, int]) -> None:
    model = spec.model
    objs = list(model.objects.filter(pk__in=ids))
    if not objs:
        return
    keep = referenced_ids(model, [o.pk for o in objs])
    if import_.finished_at:
        keep |= {o.pk for o in objs if o.updated_at > import_.finished_at}
    archive = [o for o in objs if o.pk in keep]
    delete = [o for o in objs if o.pk not in keep]
    now = timezone.now()
    contact_id = (lambda o: o.pk) if spec is CONTACT_SPEC else (lambda o: None)
    if archive:
        fresh = [o for o in archive if o.archived_at is None]
        model.objects.filter(pk__in=[o.pk for o in fresh]).update(archived_at=now, updated_at=now)
        for o in fresh:
            o.archived_at = now
        record_many(
            AuditEntry(**_actor(actor), action=AuditAction.ARCHIVE, object_type=object_type(o), object_id=str(o.pk),
                       object_label=str(o)[:255], contact_id=contact_id(o), after={"undo_import": import_.pk})
            for o in fresh
        )
        emit_many(f"{spec.owner}.archived", [snapshot(o, spec.event_fields) for o in fresh])
        summary["archived"] += len(archive)
    if delete:
        record_many(
            AuditEntry(**_actor(actor), action=AuditAction.DELETE, object_type=object_type(o), object_id=str(o.pk),
                       object_label=str(o)[:255], contact_id=contact_id(o), before={"name": str(o), "undo_import": import_.pk})
            for o in delete
        )
        model.objects.filter(pk__in=[o.pk for o in delete]).delete()
        if spec is CONTACT_SPEC:
            emit_many("contact.deleted", [{"id": o.pk} for o in delete])
        summary["deleted"] += len(delete)


def _from_json(name: str, value: Any) -> Any:
    if name == "birthday" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _revert(spec: Spec, record: ImportedRecord, actor: Any, summary: dict[str, int]) -> None:
    model = spec.model
    obj = model.objects.filter(pk=record.object_id).first()
    changes = record.changes or {}
    if obj is None:
        return
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, (old, new) in (changes.get("fields") or {}).items():
        if _json_value(getattr(obj, name)) == new:
            before[name] = new
            after[name] = old
            setattr(obj, name, _from_json(name, old))
        else:
            summary["kept"] += 1
    custom = dict(obj.custom_fields or {})
    for key, (old, new) in (changes.get("custom_fields") or {}).items():
        if custom.get(key) == new:
            before.setdefault("custom_fields", {})[key] = new
            after.setdefault("custom_fields", {})[key] = old
            if old is None:
                custom.pop(key, None)
            else:
                custom[key] = old
        else:
            summary["kept"] += 1
    obj.custom_fields = custom
    removed_emails = list(EmailAddress.objects.filter(pk__in=changes.get("emails") or []).values_list("email", flat=True))
    removed_phones = list(PhoneNumber.objects.filter(pk__in=changes.get("phones") or []).values_list("e164", flat=True))
    EmailAddress.objects.filter(pk__in=changes.get("emails") or []).delete()
    PhoneNumber.objects.filter(pk__in=changes.get("phones") or []).delete()
    if removed_emails:
        before["emails_removed"] = removed_emails
    if removed_phones:
        before["phones_removed"] = removed_phones
    if changes.get("tags"):
        model.tags.through.objects.filter(**{f"{spec.owner}_id": obj.pk}, tag_id__in=changes["tags"]).delete()
    address = changes.get("address")
    if address:
        if address.get("created"):
            Address.objects.filter(pk=address["id"]).delete()
        else:
            current = Address.objects.filter(pk=address["id"]).first()
            if current is not None:
                for name, (old, new) in address.get("fields", {}).items():
                    if getattr(current, name) == new:
                        setattr(current, name, old)
                current.save()
    company_name = ""
    if spec is CONTACT_SPEC and obj.company_id:
        company_name = Company.objects.filter(pk=obj.company_id).values_list("name", flat=True).first() or ""
    owner = {spec.owner: obj}
    refresh(spec, obj, company_name=company_name,
             emails=list(EmailAddress.objects.filter(**owner).values_list("email", flat=True)),
             phones=list(PhoneNumber.objects.filter(**owner).values_list("e164", flat=True)))
    obj.save()
    record_many([AuditEntry(
        **_actor(actor), action=AuditAction.UPDATE, object_type=object_type(obj), object_id=str(obj.pk),
        object_label=str(obj)[:255], contact_id=obj.pk if spec is CONTACT_SPEC else None,
        before=_json_value(before), after=_json_value({**after, "undo_import": record.import_run_id}),
    )])
    emit_many(f"{spec.owner}.updated", [snapshot(obj, spec.event_fields)])
    summary["reverted"] += 1


def undo_chunk(import_: Import, *, actor: Any, runner: str, chunk: int = CHUNK) -> bool | None:
    """Undo the next chunk of records (newest first); return True when none is left, None if the run lost its claim."""
    with transaction.atomic():
        locked = list(Import.objects.select_for_update().filter(pk=import_.pk, runner=runner).values_list("undo_cursor", "undo_summary"))
        if not locked:
            return None
        cursor, summary = locked[0]
        summary = {"deleted": 0, "archived": 0, "reverted": 0, "kept": 0, **(summary or {})}
        records = ImportedRecord.objects.filter(import_run=import_)
        if cursor:
            records = records.filter(id__lt=cursor)
        batch = list(records.order_by("-id")[:chunk])
        if not batch:
            return True
        for record in batch:
            if record.action == RecordAction.UPDATED:
                _revert(COMPANY_SPEC if record.kind == RecordKind.COMPANY else CONTACT_SPEC, record, actor, summary)
        # People before companies: a company created by the import is free once its people are gone.
        for kind, spec in ((RecordKind.CONTACT, CONTACT_SPEC), (RecordKind.COMPANY, COMPANY_SPEC)):
            ids = [r.object_id for r in batch if r.action == RecordAction.CREATED and r.kind == kind]
            if ids:
                _remove_created(spec, ids, import_, actor, summary)
        Import.objects.filter(pk=import_.pk).update(undo_cursor=batch[-1].pk, undo_summary=summary, heartbeat_at=timezone.now())
    return False
