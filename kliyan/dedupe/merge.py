"""Merge two or more contacts into one: every record moves to the survivor, the others become tombstones.

What moves is found, not listed: every foreign key to Contact in every app (interactions,
tasks, orders, invoices, payments, tickets, consent, e-mails, survey answers, tags through
their link table, …, and whatever later apps add) is walked through
`Contact._meta.get_fields(include_hidden=True)` and its rows are re-pointed with one UPDATE.

Rows a unique constraint allows only once per contact are settled:
- e-mails and phone numbers: one row per address (the survivor's, else the first moved);
  identical postal addresses likewise;
- the current consent per channel: the most recent decision wins (a withdrawal on a tie),
  and the whole history (ConsentEvent) moves;
- link tables (tags, interests): a link the survivor already has is dropped;
- any other one-per-contact row the survivor already has (credit terms, one survey per
  campaign) stays with the merged contact and is reported (`left_on_merged`);
- derived rows an app recounts rather than moves (kliyan.core.registry
  `register_contact_merge_handler`) are left to that app.

The merged contacts stay as tombstones: archived, `merged_into` the survivor, emptied of
their records. Old links redirect to the survivor, an id held by another system still
answers (with `merged_into_id`), and their audit entries stay filed under their own id,
unchanged: the survivor's audit view includes them (kliyan.contacts.queries).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kliyan.contacts.choices import ConsentStatus
from kliyan.contacts.models import Consent, Contact, EmailAddress, PhoneNumber
from kliyan.contacts.services import CONTACT_EVENT_FIELDS, contact_refresh_derived, contact_state
from kliyan.core.audit import record, snapshot
from kliyan.core.errors import FieldErrors
from kliyan.core.events import emit
from kliyan.core.models import AuditAction
from kliyan.core.registry import contact_merge_handlers
from kliyan.dedupe.choices import PairStatus
from kliyan.dedupe.models import DuplicatePair

# The fields a person chooses between when the contacts disagree: name → model attribute.
CHOOSABLE_FIELDS: dict[str, str] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "company": "company_id",
    "job_title": "job_title",
    "birthday": "birthday",
    "language": "language",
    "preferred_channel": "preferred_channel",
    "owner": "owner_id",
    "source": "source",
    "source_detail": "source_detail",
    "referred_by": "referred_by_id",
}
CUSTOM_PREFIX = "custom_fields."
MAX_MERGED = 10
NOTES_LIMIT = 20000


@dataclass
class MergeResult:
    survivor: Contact
    merged_ids: list[int]
    # Field (or "custom_fields.<key>") → the id of the contact whose value was kept.
    fields: dict[str, int]
    # "<app>.<model>" → rows moved to the survivor.
    moved: dict[str, int] = field(default_factory=dict)
    # Rows that stayed with a merged contact because the survivor has its own (one per contact).
    left_on_merged: dict[str, int] = field(default_factory=dict)
    # Rows dropped as repeats of the survivor's (the same e-mail twice, an older consent state, a tag link).
    removed: dict[str, int] = field(default_factory=dict)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        return None


def _check(survivor_id: Any, merged_ids: Any, fields: Any) -> tuple[Contact, list[Contact], dict[str, int]]:
    """Validate everything and lock the contacts; raise ValidationFailed naming each bad field."""
    errors = FieldErrors()
    survivor_pk = _as_id(survivor_id)
    if survivor_id in (None, ""):
        errors.add("survivor_id", _("This field is required."))
    elif survivor_pk is None:
        errors.add("survivor_id", _("“%(value)s” is not a valid id.") % {"value": survivor_id})
    merged_pks: list[int] = []
    named: list[tuple[str, int]] = [("survivor_id", survivor_pk)] if survivor_pk is not None else []
    if not isinstance(merged_ids, Sequence) or isinstance(merged_ids, str) or not merged_ids:
        errors.add("merged_ids", _("Give the ids of the contacts to merge into the one kept."))
    else:
        for n, raw in enumerate(merged_ids):
            pk = _as_id(raw)
            if pk is None:
                errors.add(f"merged_ids.{n}", _("“%(value)s” is not a valid id.") % {"value": raw})
            elif pk == survivor_pk:
                errors.add(f"merged_ids.{n}", _("A contact cannot be merged into itself."))
            elif pk in merged_pks:
                errors.add(f"merged_ids.{n}", _("This contact is listed twice."))
            else:
                merged_pks.append(pk)
                named.append((f"merged_ids.{n}", pk))
        if len(merged_ids) > MAX_MERGED:
            errors.add("merged_ids", _("Merge at most %(limit)d contacts into the one kept.") % {"limit": MAX_MERGED})
    wanted = [pk for _name, pk in named]
    # Locked in id order, like every other writer, so two merges cannot deadlock.
    found = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    for name, pk in named:
        contact = found.get(pk)
        if contact is None:
            errors.add(name, _("There is no contact with id %(id)s.") % {"id": pk})
        elif contact.merged_into_id is not None:
            errors.add(name, _("Contact %(id)s was already merged into contact %(into)s.") % {"id": pk, "into": contact.merged_into_id})
        elif contact.archived_at is not None:
            errors.add(name, _("Contact %(id)s is archived; restore it before merging.") % {"id": pk})
    choices = _check_fields(fields, set(wanted), errors)
    errors.raise_if_any()
    return found[survivor_pk], [found[pk] for pk in merged_pks], choices


def _check_fields(fields: Any, allowed: set[int], errors: FieldErrors) -> dict[str, int]:
    if fields in (None, ""):
        return {}
    if not isinstance(fields, Mapping):
        errors.add("fields", _("Send an object: field name → id of the contact whose value to keep."))
        return {}
    choices: dict[str, int] = {}
    for name, raw in fields.items():
        if name not in CHOOSABLE_FIELDS and not (name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX)):
            errors.add(f"fields.{name}", _("Unknown field."))
            continue
        pk = _as_id(raw)
        if pk is None or pk not in allowed:
            errors.add(f"fields.{name}", _("Choose one of the contacts being merged."))
            continue
        choices[name] = pk
    return choices


# --- Field values ---------------------------------------------------------------------


def _choose_fields(survivor: Contact, merged: list[Contact], choices: dict[str, int]) -> dict[str, int]:
    """Set the survivor's fields: the chosen contact's value, else its own, else the first merged one's."""
    people = {c.pk: c for c in [survivor, *merged]}
    kept: dict[str, int] = {}
    for name, attr in CHOOSABLE_FIELDS.items():
        if name in choices:
            source = people[choices[name]]
        elif not is_empty(getattr(survivor, attr)):
            source = survivor
        else:
            source = next((c for c in merged if not is_empty(getattr(c, attr))), survivor)
        setattr(survivor, attr, getattr(source, attr))
        if any(getattr(c, attr) != getattr(survivor, attr) for c in people.values()):
            kept[name] = source.pk
    if survivor.referred_by_id in people:
        # Referred by someone who is now themselves.
        survivor.referred_by_id = None
    kept.update(_choose_custom_fields(survivor, merged, choices))
    notes = [survivor.notes.strip()] + [c.notes.strip() for c in merged]
    survivor.notes = "\n\n".join(dict.fromkeys(n for n in notes if n))[:NOTES_LIMIT]
    return kept


def _choose_custom_fields(survivor: Contact, merged: list[Contact], choices: dict[str, int]) -> dict[str, int]:
    people = {c.pk: c for c in [survivor, *merged]}
    values = dict(survivor.custom_fields or {})
    source_of = {key: survivor.pk for key in values}
    for contact in merged:
        for key, value in (contact.custom_fields or {}).items():
            if is_empty(values.get(key)) and not is_empty(value):
                values[key], source_of[key] = value, contact.pk
    for name, pk in choices.items():
        if name.startswith(CUSTOM_PREFIX):
            key = name[len(CUSTOM_PREFIX):]
            chosen = (people[pk].custom_fields or {}).get(key)
            if is_empty(chosen):
                values.pop(key, None)
            else:
                values[key] = chosen
            source_of[key] = pk
    survivor.custom_fields = values
    disputed = {
        key for key in source_of
        if len({repr((c.custom_fields or {}).get(key)) for c in people.values() if not is_empty((c.custom_fields or {}).get(key))}) > 1
    }
    return {f"{CUSTOM_PREFIX}{key}": source_of[key] for key in sorted(disputed)}


# --- Moving rows ----------------------------------------------------------------------


def contact_relations() -> list[models.ForeignKey]:
    """Return every foreign key (and one-to-one) to Contact in every app, link tables included."""
    return [
        rel.field
        for rel in Contact._meta.get_fields(include_hidden=True)
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)
    ]


def _label(fk: models.ForeignKey) -> str:
    return fk.model._meta.label_lower


class _Mover:
    def __init__(self, survivor_id: int, merged_ids: list[int], result: MergeResult) -> None:
        self.survivor_id = survivor_id
        self.merged_ids = merged_ids
        self.participants = [survivor_id, *merged_ids]
        self.rank = {pk: n for n, pk in enumerate(self.participants)}
        self.result = result

    def count(self, bucket: dict[str, int], label: str, n: int) -> None:
        if n:
            bucket[label] = bucket.get(label, 0) + n

    def move_all(self) -> None:
        handlers = contact_merge_handlers()
        own: dict[str, Callable[[models.ForeignKey], None]] = {
            "contacts.contact": self._self_reference,
            "contacts.emailaddress": lambda fk: self._by_value(fk, ("email",)),
            "contacts.phonenumber": lambda fk: self._by_value(fk, ("e164",)),
            "contacts.address": lambda fk: self._by_value(
                fk, ("street", "street2", "city", "region", "postal_code", "country"),
            ),
            "contacts.consent": self._consents,
            # Settled after the moves (see _settle_pairs): a pair is a judgement, not a record.
            "dedupe.duplicatepair": lambda fk: None,
        }
        for fk in contact_relations():
            label = _label(fk)
            if label in handlers:
                continue
            own.get(label, self._generic)(fk)
        for label, handler in handlers.items():
            handler(self.survivor_id, list(self.merged_ids))

    def _rows(self, fk: models.ForeignKey, owners: list[int]) -> models.QuerySet:
        return fk.model._base_manager.filter(**{f"{fk.attname}__in": owners})

    def _self_reference(self, fk: models.ForeignKey) -> None:
        # People the merged contacts referred, and earlier tombstones of theirs: now the survivor's.
        moved = self._rows(fk, self.merged_ids).exclude(pk__in=self.participants).update(**{fk.attname: self.survivor_id})
        self.count(self.result.moved, f"{_label(fk)}.{fk.name}", moved)

    def _by_value(self, fk: models.ForeignKey, value_fields: tuple[str, ...]) -> None:
        """Move e-mails, phones or addresses; one row per value (the survivor's first), moved ones not primary."""
        label = _label(fk)
        model = fk.model
        rows = sorted(
            self._rows(fk, self.participants).values_list("pk", fk.attname, "is_primary", *value_fields),
            key=lambda row: (self.rank[row[1]], row[0]),
        )
        seen: set[tuple[Any, ...]] = set()
        move, drop = [], []
        for pk, owner, _primary, *values in rows:
            key = tuple(str(v).strip().casefold() for v in values)
            if key in seen:
                if owner != self.survivor_id:
                    drop.append(pk)
                continue
            seen.add(key)
            if owner != self.survivor_id:
                move.append(pk)
        self.count(self.result.removed, label, model._base_manager.filter(pk__in=drop).delete()[0] if drop else 0)
        moved = model._base_manager.filter(pk__in=move).update(**{fk.attname: self.survivor_id, "is_primary": False}) if move else 0
        self.count(self.result.moved, label, moved)
        kept = model._base_manager.filter(**{fk.attname: self.survivor_id})
        if moved and not kept.filter(is_primary=True).exists():
            first = kept.order_by("pk").values_list("pk", flat=True).first()
            model._base_manager.filter(pk=first).update(is_primary=True)

    def _consents(self, fk: models.ForeignKey) -> None:
        """Keep, per channel, the most recent decision (a withdrawal on a tie); the history moves whole."""
        rows = list(self._rows(fk, self.participants).values_list("pk", "contact_id", "channel", "status", "updated_at"))
        winners: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            best = winners.get(row[2])
            rank = (row[4], row[3] == ConsentStatus.WITHDRAWN, row[1] == self.survivor_id)
            if best is None or rank > (best[4], best[3] == ConsentStatus.WITHDRAWN, best[1] == self.survivor_id):
                winners[row[2]] = row
        keep = {row[0] for row in winners.values()}
        losers = [row[0] for row in rows if row[0] not in keep]
        self.count(self.result.removed, "contacts.consent", Consent.objects.filter(pk__in=losers).delete()[0] if losers else 0)
        moving = [row[0] for row in winners.values() if row[1] != self.survivor_id]
        self.count(self.result.moved, "contacts.consent", Consent.objects.filter(pk__in=moving).update(contact_id=self.survivor_id))

    def _generic(self, fk: models.ForeignKey) -> None:
        """Move every row; a row a unique constraint forbids the survivor to have twice stays (or, in a link table, goes)."""
        label = _label(fk)
        model = fk.model
        blocked = self._blocked(fk)
        moved = self._rows(fk, self.merged_ids).exclude(pk__in=blocked).update(**{fk.attname: self.survivor_id})
        self.count(self.result.moved, label, moved)
        if not blocked:
            return
        if model._meta.auto_created:
            # A tag or interest link the survivor already has.
            self.count(self.result.removed, label, model._base_manager.filter(pk__in=blocked).delete()[0])
        else:
            self.count(self.result.left_on_merged, label, len(blocked))

    def _blocked(self, fk: models.ForeignKey) -> set[Any]:
        """Return the merged contacts' rows that would break a unique constraint on the survivor."""
        blocked: set[Any] = set()
        for others, condition in _unique_sets(fk):
            rows = self._rows(fk, self.participants)
            if condition is not None:
                rows = rows.filter(condition)
            taken: set[tuple[Any, ...]] = set()
            for pk, owner, *key in sorted(rows.values_list("pk", fk.attname, *others), key=lambda r: (self.rank[r[1]], r[0])):
                if pk in blocked or any(v is None for v in key):
                    continue  # NULLs never clash in a unique index
                if tuple(key) in taken:
                    if owner != self.survivor_id:
                        blocked.add(pk)
                else:
                    taken.add(tuple(key))
        return blocked


def _unique_sets(fk: models.ForeignKey) -> list[tuple[list[str], Q | None]]:
    """Return (the other fields, condition) of each unique rule that includes `fk`."""
    names = {fk.name, fk.attname}
    model = fk.model
    sets: list[tuple[list[str], Q | None]] = []
    if fk.unique:
        sets.append(([], None))
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields and names & set(constraint.fields):
            sets.append(([f for f in constraint.fields if f not in names], constraint.condition))
    for together in model._meta.unique_together:
        if names & set(together):
            sets.append(([f for f in together if f not in names], None))
    return sets


def _settle_pairs(*, actor: Any, survivor_id: int, merged_ids: list[int]) -> None:
    """Close the pairs between the merged contacts; hand the survivor their "not duplicates" verdicts."""
    participants = [survivor_id, *merged_ids]
    now = timezone.now()
    decided_by = actor if getattr(actor, "is_authenticated", False) else None
    DuplicatePair.objects.filter(contact_a_id__in=participants, contact_b_id__in=participants).exclude(
        status=PairStatus.MERGED,
    ).update(status=PairStatus.MERGED, decided_by=decided_by, decided_at=now, updated_at=now)
    others = DuplicatePair.objects.filter(Q(contact_a_id__in=merged_ids) | Q(contact_b_id__in=merged_ids)).exclude(
        status=PairStatus.MERGED,
    )
    # An open pair with a merged contact is found again, against the survivor, by the next scan.
    others.filter(status=PairStatus.OPEN).delete()
    existing = set(
        DuplicatePair.objects.filter(Q(contact_a_id=survivor_id) | Q(contact_b_id=survivor_id)).values_list("contact_a_id", "contact_b_id")
    )
    for pair in others.filter(status=PairStatus.DISMISSED):
        other = pair.contact_b_id if pair.contact_a_id in merged_ids else pair.contact_a_id
        key = (min(survivor_id, other), max(survivor_id, other))
        if other in participants or key in existing:
            pair.delete()
            continue
        pair.contact_a_id, pair.contact_b_id = key
        pair.save(update_fields=["contact_a", "contact_b", "updated_at"])
        existing.add(key)


# --- The service ----------------------------------------------------------------------


@transaction.atomic
def contact_merge(*, actor: Any, survivor_id: Any, merged_ids: Any, fields: Mapping[str, Any] | None = None) -> MergeResult:
    """Merge `merged_ids` into `survivor_id`: move every record, keep the chosen values, audit, announce.

    `fields` maps a field name (CHOOSABLE_FIELDS, or "custom_fields.<key>") to the id of the
    contact whose value to keep; by default the survivor's, or the first merged contact's
    where the survivor's is empty. Notes are joined. Nothing changes if anything is invalid.
    """
    survivor, merged, choices = _check(survivor_id, merged_ids, fields)
    merged_pks = [c.pk for c in merged]
    before = {c.pk: contact_state(c) for c in [survivor, *merged]}
    result = MergeResult(survivor=survivor, merged_ids=merged_pks, fields={})
    result.fields = _choose_fields(survivor, merged, choices)
    _Mover(survivor.pk, merged_pks, result).move_all()
    _settle_pairs(actor=actor, survivor_id=survivor.pk, merged_ids=merged_pks)
    now = timezone.now()
    for contact in merged:
        Contact.objects.filter(pk=contact.pk).update(
            merged_into_id=survivor.pk, archived_at=contact.archived_at or now,
            primary_email="", primary_phone="", search_text="", updated_at=now,
        )
    survivor.primary_email = EmailAddress.objects.filter(contact=survivor).order_by("-is_primary", "pk").values_list("email", flat=True).first() or ""
    survivor.primary_phone = PhoneNumber.objects.filter(contact=survivor).order_by("-is_primary", "pk").values_list("e164", flat=True).first() or ""
    contact_refresh_derived(survivor)
    survivor.save()
    _audit(actor=actor, result=result, before=before)
    emit("contact.merged", {**snapshot(survivor, CONTACT_EVENT_FIELDS), "merged_ids": merged_pks})
    emit("contact.updated", snapshot(survivor, CONTACT_EVENT_FIELDS))
    return result


def _audit(*, actor: Any, result: MergeResult, before: dict[int, dict[str, Any]]) -> None:
    survivor = result.survivor
    record(
        actor=actor, action=AuditAction.MERGE, instance=survivor, contact_id=survivor.pk, before=before[survivor.pk],
        after={
            **contact_state(survivor), "merged_ids": result.merged_ids, "fields_kept_from": result.fields,
            "moved": result.moved, "left_on_merged": result.left_on_merged, "removed": result.removed,
        },
    )
    for pk in result.merged_ids:
        tombstone = Contact.objects.get(pk=pk)
        record(
            actor=actor, action=AuditAction.MERGE, instance=tombstone, contact_id=pk, before=before[pk],
            after={"merged_into": survivor.pk, "archived_at": tombstone.archived_at},
        )


__all__ = ["CHOOSABLE_FIELDS", "MergeResult", "contact_merge", "contact_relations"]
