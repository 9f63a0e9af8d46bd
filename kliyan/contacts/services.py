"""Writes for people, companies, consent and custom fields. Each one audits itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kliyan.contacts import validation as v
from kliyan.contacts.choices import ConsentChannel, ConsentMethod, ConsentStatus, CustomFieldTarget, CustomFieldType, Source
from kliyan.contacts.models import (
    Address,
    Company,
    Consent,
    ConsentEvent,
    Contact,
    CustomFieldDefinition,
    EmailAddress,
    Interest,
    PhoneNumber,
    Tag,
)
from kliyan.contacts.search import company_search_text, contact_search_text
from kliyan.core.audit import record, snapshot
from kliyan.core.choices import Channel, Language
from kliyan.core.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from kliyan.core.events import emit
from kliyan.core.models import AuditAction

CONTACT_TEXT_LIMITS = {"first_name": 100, "last_name": 100, "job_title": 100, "source_detail": 200, "notes": 20000}
COMPANY_TEXT_LIMITS = {"name": 200, "industry": 100, "notes": 20000}
# What a "contact.*" / "company.*" event carries (kliyan.core.events): the main fields, no children.
CONTACT_EVENT_FIELDS = [
    "id", "first_name", "last_name", "display_name", "company_id", "job_title", "primary_email", "primary_phone",
    "birthday", "language", "preferred_channel", "owner_id", "source", "archived_at", "created_at", "updated_at",
]
COMPANY_EVENT_FIELDS = [
    "id", "name", "website", "industry", "owner_id", "source", "primary_email", "primary_phone",
    "archived_at", "created_at", "updated_at",
]


class DuplicateContact(Conflict):
    """A contact with the same e-mail or phone exists; the caller may offer it instead."""

    code = "duplicate_contact"

    def __init__(self, duplicates: list[Contact], field_errors: dict[str, list[str]]) -> None:
        self.duplicates = duplicates
        super().__init__(
            _("A contact with this e-mail or phone already exists."),
            field_errors=field_errors,
            extra={"duplicates": [{"id": c.pk, "name": c.display_name, "url": c.get_absolute_url()} for c in duplicates]},
        )


def _display_name(first: str, last: str) -> str:
    return " ".join(p for p in (first, last) if p).strip()


def _lookup_id(model: Any, value: Any, errors: FieldErrors, field: str) -> int | None:
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        errors.add(field, _("“%(value)s” is not a valid id.") % {"value": value})
        return None
    if not model.objects.filter(pk=pk).exists():
        errors.add(field, _("There is no %(thing)s with id %(id)s.") % {"thing": model._meta.verbose_name, "id": pk})
        return None
    return pk


def _clean_contact(data: Mapping[str, Any], *, contact: Contact | None) -> dict[str, Any]:
    """Return the cleaned fields present in `data` (all fields when creating)."""
    errors = FieldErrors()
    known = {
        "first_name", "last_name", "company", "company_id", "job_title", "birthday", "language",
        "preferred_channel", "owner", "owner_id", "source", "source_detail", "referred_by", "referred_by_id",
        "notes", "emails", "phones", "addresses", "tags", "interests", "custom_fields",
    }
    for key in data:
        if key not in known:
            errors.add(key, _("Unknown field."))
    partial = contact is not None
    present = (lambda k: k in data) if partial else (lambda k: True)
    out: dict[str, Any] = {}
    for name, limit in CONTACT_TEXT_LIMITS.items():
        if present(name):
            out[name] = v.check_length(data.get(name), limit, errors, name)
    for key, field in (("company", "company_id"), ("owner", "owner_id"), ("referred_by", "referred_by_id")):
        if key in data or field in data or not partial:
            raw = data.get(field, data.get(key))
            model = {"company": Company, "owner": get_user_model(), "referred_by": Contact}[key]
            out[field] = _lookup_id(model, raw, errors, key)
    if partial and out.get("referred_by_id") and out["referred_by_id"] == contact.pk:
        errors.add("referred_by", _("A contact cannot refer themselves."))
    if present("birthday"):
        out["birthday"] = v.clean_birthday(data.get("birthday"), errors)
    if present("language"):
        out["language"] = v.check_choice(data.get("language"), Language.values, errors, "language")
    if present("preferred_channel"):
        out["preferred_channel"] = v.check_choice(data.get("preferred_channel"), Channel.values, errors, "preferred_channel")
    if present("source"):
        out["source"] = v.check_choice(data.get("source"), Source.values, errors, "source")
    if present("emails"):
        out["emails"] = v.clean_emails(data.get("emails") or [], errors)
    if present("phones"):
        out["phones"] = v.clean_phones(data.get("phones") or [], errors)
    if present("addresses"):
        out["addresses"] = v.clean_addresses(data.get("addresses") or [], errors)
    if present("tags"):
        out["tags"] = v.clean_names(data.get("tags"), errors, "tags", 60)
    if present("interests"):
        out["interests"] = v.clean_names(data.get("interests"), errors, "interests", 80)
    if present("custom_fields"):
        out["custom_fields"] = v.clean_custom_fields(
            CustomFieldTarget.CONTACT, data.get("custom_fields"), errors,
            existing=contact.custom_fields if contact else None, partial=partial,
        )
    first = out.get("first_name", contact.first_name if contact else "")
    last = out.get("last_name", contact.last_name if contact else "")
    if not _display_name(first, last):
        errors.add("first_name", _("Give at least a first or a last name."))
    errors.raise_if_any()
    return out


def find_duplicates(*, emails: list[str], phones: list[str], exclude_id: int | None = None) -> tuple[list[Contact], dict[str, list[str]]]:
    """Return contacts that already have one of these e-mails or phones, and which field matched."""
    field_errors: dict[str, list[str]] = {}
    ids: set[int] = set()
    if emails:
        for row in EmailAddress.objects.filter(email__in=emails, contact__isnull=False).exclude(contact_id=exclude_id).values("contact_id", "email"):
            ids.add(row["contact_id"])
            field_errors.setdefault(f"emails.{emails.index(row['email'])}.email", []).append(
                _("This e-mail belongs to another contact.")
            )
    if phones:
        for row in PhoneNumber.objects.filter(e164__in=phones, contact__isnull=False).exclude(contact_id=exclude_id).values("contact_id", "e164"):
            ids.add(row["contact_id"])
            field_errors.setdefault(f"phones.{phones.index(row['e164'])}.number", []).append(
                _("This phone number belongs to another contact.")
            )
    return list(Contact.objects.filter(pk__in=ids).order_by("display_name")), field_errors


def names_to_objects(model: Any, names: list[str]) -> list[Any]:
    existing = {o.name.casefold(): o for o in model.objects.filter(name__in=names)}
    # Case-insensitive reuse: "VIP" and "vip" are one tag.
    missing = [n for n in names if n.casefold() not in existing]
    if missing:
        for obj in model.objects.all().only("id", "name"):
            existing.setdefault(obj.name.casefold(), obj)
        missing = [n for n in names if n.casefold() not in existing]
        for name in missing:
            existing[name.casefold()] = model.objects.create(name=name)
    return [existing[n.casefold()] for n in names]


def _replace_children(owner: Contact | Company, cleaned: Mapping[str, Any]) -> None:
    owner_field = "contact" if isinstance(owner, Contact) else "company"
    if "emails" in cleaned:
        EmailAddress.objects.filter(**{owner_field: owner}).delete()
        EmailAddress.objects.bulk_create(
            [EmailAddress(**{owner_field: owner}, email=e.email, kind=e.kind, is_primary=e.is_primary) for e in cleaned["emails"]]
        )
        owner.primary_email = next((e.email for e in cleaned["emails"] if e.is_primary), "")
    if "phones" in cleaned:
        PhoneNumber.objects.filter(**{owner_field: owner}).delete()
        PhoneNumber.objects.bulk_create(
            [PhoneNumber(**{owner_field: owner}, e164=p.e164, caller_key=p.caller_key, kind=p.kind, is_primary=p.is_primary) for p in cleaned["phones"]]
        )
        owner.primary_phone = next((p.e164 for p in cleaned["phones"] if p.is_primary), "")
    if "addresses" in cleaned:
        Address.objects.filter(**{owner_field: owner}).delete()
        Address.objects.bulk_create([Address(**{owner_field: owner}, **a) for a in cleaned["addresses"]])
    if "tags" in cleaned:
        owner.tags.set(names_to_objects(Tag, cleaned["tags"]))
    if "interests" in cleaned and isinstance(owner, Contact):
        owner.interests.set(names_to_objects(Interest, cleaned["interests"]))


def contact_state(contact: Contact) -> dict[str, Any]:
    """Return everything about a contact that the audit log compares before and after."""
    state = snapshot(contact, [
        "first_name", "last_name", "company_id", "job_title", "birthday", "language", "preferred_channel",
        "owner_id", "source", "source_detail", "referred_by_id", "notes", "custom_fields", "archived_at",
    ])
    state["emails"] = [f"{e.email} ({e.kind}{', primary' if e.is_primary else ''})" for e in contact.emailaddresss.all()]
    state["phones"] = [f"{p.e164} ({p.kind}{', primary' if p.is_primary else ''})" for p in contact.phonenumbers.all()]
    state["addresses"] = [str(a) for a in contact.addresss.all()]
    state["tags"] = sorted(t.name for t in contact.tags.all())
    state["interests"] = sorted(i.name for i in contact.interests.all())
    return state


def _refresh_contact_derived(contact: Contact) -> None:
    contact.display_name = _display_name(contact.first_name, contact.last_name)
    contact.birthday_md = contact.birthday.strftime("%m-%d") if contact.birthday else ""
    company_name = Company.objects.filter(pk=contact.company_id).values_list("name", flat=True).first() if contact.company_id else ""
    contact.search_text = contact_search_text(
        name=contact.display_name,
        company=company_name or "",
        emails=list(contact.emailaddresss.values_list("email", flat=True)),
        phones=list(contact.phonenumbers.values_list("e164", flat=True)),
    )


def contact_refresh_derived(contact: Contact) -> None:
    """Recompute the display name, birthday key and search text (not saved), after a change made elsewhere (a merge)."""
    _refresh_contact_derived(contact)


def _refuse_merged(contact: Contact) -> None:
    if contact.merged_into_id is not None:
        raise Conflict(
            _("This contact was merged into contact %(id)s; change that one instead.") % {"id": contact.merged_into_id},
            code="contact_merged", extra={"merged_into_id": contact.merged_into_id},
        )


@transaction.atomic
def contact_create(*, actor: Any, data: Mapping[str, Any], allow_duplicate: bool = False) -> Contact:
    """Create a person. Raise DuplicateContact if the e-mail or phone is known, unless allowed."""
    cleaned = _clean_contact(data, contact=None)
    if not allow_duplicate:
        duplicates, field_errors = find_duplicates(
            emails=[e.email for e in cleaned.get("emails", [])], phones=[p.e164 for p in cleaned.get("phones", [])]
        )
        if duplicates:
            raise DuplicateContact(duplicates, field_errors)
    scalars = {k: val for k, val in cleaned.items() if k not in {"emails", "phones", "addresses", "tags", "interests"}}
    contact = Contact(**scalars, created_by=actor if getattr(actor, "is_authenticated", False) else None)
    contact.display_name = _display_name(contact.first_name, contact.last_name)
    contact.save()
    _replace_children(contact, cleaned)
    _refresh_contact_derived(contact)
    contact.save()
    record(actor=actor, action=AuditAction.CREATE, instance=contact, contact_id=contact.pk, after=contact_state(contact))
    emit("contact.created", snapshot(contact, CONTACT_EVENT_FIELDS))
    return contact


@transaction.atomic
def contact_update(*, actor: Any, contact: Contact, data: Mapping[str, Any], allow_duplicate: bool = True) -> Contact:
    """Change the fields present in `data`; lists (emails, phones, …) are replaced whole."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _refuse_merged(contact)
    cleaned = _clean_contact(data, contact=contact)
    if not allow_duplicate:
        duplicates, field_errors = find_duplicates(
            emails=[e.email for e in cleaned.get("emails", [])], phones=[p.e164 for p in cleaned.get("phones", [])],
            exclude_id=contact.pk,
        )
        if duplicates:
            raise DuplicateContact(duplicates, field_errors)
    before = contact_state(contact)
    for key, value in cleaned.items():
        if key not in {"emails", "phones", "addresses", "tags", "interests"}:
            setattr(contact, key, value)
    _replace_children(contact, cleaned)
    _refresh_contact_derived(contact)
    contact.save()
    after = contact_state(contact)
    if after != before:
        record(actor=actor, action=AuditAction.UPDATE, instance=contact, contact_id=contact.pk, before=before, after=after)
        emit("contact.updated", snapshot(contact, CONTACT_EVENT_FIELDS))
    return contact


@transaction.atomic
def contact_archive(*, actor: Any, contact: Contact) -> Contact:
    if contact.archived_at is None:
        contact.archived_at = timezone.now()
        contact.save(update_fields=["archived_at", "updated_at"])
        record(actor=actor, action=AuditAction.ARCHIVE, instance=contact, contact_id=contact.pk)
        emit("contact.archived", snapshot(contact, CONTACT_EVENT_FIELDS))
    return contact


@transaction.atomic
def contact_restore(*, actor: Any, contact: Contact) -> Contact:
    _refuse_merged(contact)
    if contact.archived_at is not None:
        contact.archived_at = None
        contact.save(update_fields=["archived_at", "updated_at"])
        record(actor=actor, action=AuditAction.RESTORE, instance=contact, contact_id=contact.pk)
        emit("contact.restored", snapshot(contact, CONTACT_EVENT_FIELDS))
    return contact


@transaction.atomic
def contact_delete(*, actor: Any, contact: Contact) -> None:
    """Erase a contact for good (a customer's erasure request); the audit entry stays."""
    before = contact_state(contact)
    pk = contact.pk
    record(actor=actor, action=AuditAction.DELETE, instance=contact, contact_id=pk, before=before)
    # The contacts merged into this one go with it (Contact.merged_into cascades): they name the person too.
    for tombstone in Contact.objects.filter(merged_into_id=pk):
        record(actor=actor, action=AuditAction.DELETE, instance=tombstone, contact_id=tombstone.pk, before=contact_state(tombstone))
    contact.delete()
    # Only the id: the person asked to be erased, receivers should erase them too.
    emit("contact.deleted", {"id": pk})


# --- Companies ------------------------------------------------------------------------

def _clean_company(data: Mapping[str, Any], *, company: Company | None) -> dict[str, Any]:
    errors = FieldErrors()
    known = {"name", "website", "industry", "owner", "owner_id", "source", "notes", "emails", "phones", "addresses", "tags", "custom_fields"}
    for key in data:
        if key not in known:
            errors.add(key, _("Unknown field."))
    partial = company is not None
    present = (lambda k: k in data) if partial else (lambda k: True)
    out: dict[str, Any] = {}
    for name, limit in COMPANY_TEXT_LIMITS.items():
        if present(name):
            out[name] = v.check_length(data.get(name), limit, errors, name)
    if present("name") and not out.get("name"):
        errors.add("name", _("This field is required."))
    if present("website"):
        out["website"] = v.clean_url(data.get("website"), errors, "website")
    if "owner" in data or "owner_id" in data or not partial:
        out["owner_id"] = _lookup_id(get_user_model(), data.get("owner_id", data.get("owner")), errors, "owner")
    if present("source"):
        out["source"] = v.check_choice(data.get("source"), Source.values, errors, "source")
    if present("emails"):
        out["emails"] = v.clean_emails(data.get("emails") or [], errors)
    if present("phones"):
        out["phones"] = v.clean_phones(data.get("phones") or [], errors)
    if present("addresses"):
        out["addresses"] = v.clean_addresses(data.get("addresses") or [], errors)
    if present("tags"):
        out["tags"] = v.clean_names(data.get("tags"), errors, "tags", 60)
    if present("custom_fields"):
        out["custom_fields"] = v.clean_custom_fields(
            CustomFieldTarget.COMPANY, data.get("custom_fields"), errors,
            existing=company.custom_fields if company else None, partial=partial,
        )
    errors.raise_if_any()
    return out


def company_state(company: Company) -> dict[str, Any]:
    state = snapshot(company, ["name", "website", "industry", "owner_id", "source", "notes", "custom_fields", "archived_at"])
    state["emails"] = [e.email for e in company.emailaddresss.all()]
    state["phones"] = [p.e164 for p in company.phonenumbers.all()]
    state["addresses"] = [str(a) for a in company.addresss.all()]
    state["tags"] = sorted(t.name for t in company.tags.all())
    return state


def _refresh_company_derived(company: Company) -> None:
    company.search_text = company_search_text(
        name=company.name,
        emails=list(company.emailaddresss.values_list("email", flat=True)),
        phones=list(company.phonenumbers.values_list("e164", flat=True)),
    )


@transaction.atomic
def company_create(*, actor: Any, data: Mapping[str, Any]) -> Company:
    cleaned = _clean_company(data, company=None)
    company = Company(**{k: val for k, val in cleaned.items() if k not in {"emails", "phones", "addresses", "tags"}})
    company.save()
    _replace_children(company, cleaned)
    _refresh_company_derived(company)
    company.save()
    record(actor=actor, action=AuditAction.CREATE, instance=company, after=company_state(company))
    emit("company.created", snapshot(company, COMPANY_EVENT_FIELDS))
    return company


@transaction.atomic
def company_update(*, actor: Any, company: Company, data: Mapping[str, Any]) -> Company:
    company = Company.objects.select_for_update().get(pk=company.pk)
    cleaned = _clean_company(data, company=company)
    before = company_state(company)
    old_name = company.name
    for key, value in cleaned.items():
        if key not in {"emails", "phones", "addresses", "tags"}:
            setattr(company, key, value)
    _replace_children(company, cleaned)
    _refresh_company_derived(company)
    company.save()
    if company.name != old_name:
        # The company name is part of each member's search text.
        for person in Contact.objects.filter(company=company):
            _refresh_contact_derived(person)
            Contact.objects.filter(pk=person.pk).update(search_text=person.search_text)
    after = company_state(company)
    if after != before:
        record(actor=actor, action=AuditAction.UPDATE, instance=company, before=before, after=after)
        emit("company.updated", snapshot(company, COMPANY_EVENT_FIELDS))
    return company


@transaction.atomic
def company_archive(*, actor: Any, company: Company) -> Company:
    if company.archived_at is None:
        company.archived_at = timezone.now()
        company.save(update_fields=["archived_at", "updated_at"])
        record(actor=actor, action=AuditAction.ARCHIVE, instance=company)
        emit("company.archived", snapshot(company, COMPANY_EVENT_FIELDS))
    return company


@transaction.atomic
def company_restore(*, actor: Any, company: Company) -> Company:
    if company.archived_at is not None:
        company.archived_at = None
        company.save(update_fields=["archived_at", "updated_at"])
        record(actor=actor, action=AuditAction.RESTORE, instance=company)
        emit("company.restored", snapshot(company, COMPANY_EVENT_FIELDS))
    return company


# --- Consent --------------------------------------------------------------------------

@transaction.atomic
def consent_set(
    *, actor: Any, contact: Contact, channel: str, status: str, method: str, note: str = "", at: dt.datetime | None = None,
) -> ConsentEvent:
    """Record a grant or withdrawal; the history is kept and the current state updated."""
    errors = FieldErrors()
    v.check_choice(channel, ConsentChannel.values, errors, "channel")
    v.check_choice(status, ConsentStatus.values, errors, "status")
    v.check_choice(method, ConsentMethod.values, errors, "method")
    if not channel:
        errors.add("channel", _("This field is required."))
    if not status:
        errors.add("status", _("This field is required."))
    if not method:
        errors.add("method", _("This field is required."))
    v.check_length(note, 255, errors, "note")
    now = timezone.now()
    at = at or now
    if at > now + dt.timedelta(minutes=5):
        errors.add("at", _("Consent cannot be recorded in the future."))
    errors.raise_if_any()
    event = ConsentEvent.objects.create(
        contact=contact, channel=channel, status=status, method=method, note=note.strip(), at=at,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    current = Consent.objects.filter(contact=contact, channel=channel).first()
    before = {"channel": channel, "status": current.status if current else None}
    # An event recorded late (an older paper form) must not override a newer state.
    if current is None or current.updated_at <= at:
        Consent.objects.update_or_create(contact=contact, channel=channel, defaults={"status": status, "updated_at": at})
    Contact.objects.filter(pk=contact.pk).update(updated_at=now)
    record(
        actor=actor, action=AuditAction.UPDATE, instance=event, contact_id=contact.pk,
        label=str(contact), before=before, after={"channel": channel, "status": status, "method": method, "at": at},
    )
    emit("consent.changed", {
        "id": event.pk, "contact_id": contact.pk, "channel": channel, "status": status, "method": method, "at": at.isoformat(),
    })
    return event


# --- Custom field definitions ---------------------------------------------------------

def _clean_definition(data: Mapping[str, Any], *, definition: CustomFieldDefinition | None) -> dict[str, Any]:
    errors = FieldErrors()
    known = {"target", "key", "label", "field_type", "choices", "required", "position"}
    for key in data:
        if key not in known:
            errors.add(key, _("Unknown field."))
    partial = definition is not None
    out: dict[str, Any] = {}
    if not partial:
        out["target"] = v.check_choice(data.get("target") or CustomFieldTarget.CONTACT, CustomFieldTarget.values, errors, "target")
        out["field_type"] = v.check_choice(data.get("field_type"), CustomFieldType.values, errors, "field_type")
        if not out["field_type"] and "field_type" not in errors.errors:
            errors.add("field_type", _("This field is required."))
        label = v.check_length(data.get("label"), 100, errors, "label")
        key = str(data.get("key") or slugify(label).replace("-", "_")).strip()
        if not key or not key.replace("_", "").isalnum() or not key.isascii():
            errors.add("key", _("Use letters, digits and underscores."))
        elif CustomFieldDefinition.objects.filter(target=out["target"], key=key).exists():
            errors.add("key", _("A custom field with this key already exists."))
        out["key"] = key[:50]
    if "label" in data or not partial:
        out["label"] = v.check_length(data.get("label"), 100, errors, "label")
        if not out["label"]:
            errors.add("label", _("This field is required."))
    field_type = out.get("field_type") or (definition.field_type if definition else "")
    if "choices" in data or not partial:
        raw = data.get("choices") or []
        if isinstance(raw, str):
            raw = [c for c in (x.strip() for x in raw.replace("\n", ",").split(",")) if c]
        out["choices"] = v.clean_names(raw, errors, "choices", 100)
    if field_type == CustomFieldType.CHOICE and not (out.get("choices") or (definition.choices if definition else [])):
        errors.add("choices", _("A choice field needs at least one choice."))
    if "required" in data or not partial:
        out["required"] = bool(data.get("required", False))
    if "position" in data:
        try:
            out["position"] = max(0, min(32767, int(data["position"])))
        except (TypeError, ValueError):
            errors.add("position", _("“%(value)s” is not a number.") % {"value": data["position"]})
    errors.raise_if_any()
    return out


@transaction.atomic
def custom_field_create(*, actor: Any, data: Mapping[str, Any]) -> CustomFieldDefinition:
    cleaned = _clean_definition(data, definition=None)
    definition = CustomFieldDefinition.objects.create(**cleaned)
    record(actor=actor, action=AuditAction.CREATE, instance=definition, after=snapshot(definition))
    return definition


@transaction.atomic
def custom_field_update(*, actor: Any, definition: CustomFieldDefinition, data: Mapping[str, Any]) -> CustomFieldDefinition:
    cleaned = _clean_definition(data, definition=definition)
    before = snapshot(definition)
    for key, value in cleaned.items():
        setattr(definition, key, value)
    definition.save()
    record(actor=actor, action=AuditAction.UPDATE, instance=definition, before=before, after=snapshot(definition))
    return definition


@transaction.atomic
def custom_field_archive(*, actor: Any, definition: CustomFieldDefinition) -> CustomFieldDefinition:
    if definition.archived_at is None:
        definition.archived_at = timezone.now()
        definition.save(update_fields=["archived_at", "updated_at"])
        record(actor=actor, action=AuditAction.ARCHIVE, instance=definition)
    return definition


def get_contact(pk: Any) -> Contact:
    try:
        return Contact.objects.get(pk=int(pk))
    except (Contact.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("There is no contact with id %(id)s.") % {"id": pk}) from None


def get_company(pk: Any) -> Company:
    try:
        return Company.objects.get(pk=int(pk))
    except (Company.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("There is no company with id %(id)s.") % {"id": pk}) from None


__all__ = [
    "DuplicateContact", "ValidationFailed", "company_archive", "company_create", "company_restore", "company_update",
    "consent_set", "contact_archive", "contact_create", "contact_delete", "contact_refresh_derived", "contact_restore",
    "contact_update",
    "custom_field_archive", "custom_field_create", "custom_field_update", "find_duplicates", "get_company", "get_contact",
]
