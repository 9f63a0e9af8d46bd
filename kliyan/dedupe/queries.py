"""Reads of the duplicates app: the list of pairs, the latest scan, what a merge would keep and move."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.text import capfirst

from kliyan.contacts.choices import CustomFieldTarget
from kliyan.contacts.models import Address, Contact, EmailAddress, PhoneNumber
from kliyan.contacts.validation import custom_field_definitions
from kliyan.core.pagination import Page, keyset_page
from kliyan.core.registry import contact_merge_handlers
from kliyan.core.templatetags.kliyan import kdate
from kliyan.dedupe.choices import PairStatus, Reason
from kliyan.dedupe.merge import CHOOSABLE_FIELDS, CUSTOM_PREFIX, is_empty, contact_relations
from kliyan.dedupe.models import DuplicatePair, DuplicateScan

PAIR_ORDERING = ["-score", "-id"]
# Relations not counted as "records that move": the pairs themselves, contacts pointing at
# contacts, and what the page shows in full (e-mails, phones, addresses; tags through link tables).
_NOT_COUNTED = {"dedupe.duplicatepair", "contacts.contact", "contacts.emailaddress", "contacts.phonenumber", "contacts.address"}


def pairs(*, status: str = PairStatus.OPEN, min_score: int = 0) -> QuerySet[DuplicatePair]:
    qs = DuplicatePair.objects.filter(status=status)
    if min_score:
        qs = qs.filter(score__gte=min_score)
    return qs


def pair_page(*, status: str = PairStatus.OPEN, min_score: int = 0, cursor: str | None, size: int) -> Page[DuplicatePair]:
    """Return one page of pairs, best score first, with both contacts and their companies (one query)."""
    qs = pairs(status=status, min_score=min_score).select_related("contact_a__company", "contact_b__company")
    return keyset_page(qs, ordering=PAIR_ORDERING, cursor=cursor, size=size)


def pairs_of(contact_id: int, *, limit: int = 20) -> list[DuplicatePair]:
    """Return the open pairs of one contact, best first, with the other contact loaded."""
    return list(
        DuplicatePair.objects.filter(Q(contact_a_id=contact_id) | Q(contact_b_id=contact_id), status=PairStatus.OPEN)
        .select_related("contact_a__company", "contact_b__company").order_by(*PAIR_ORDERING)[:limit]
    )


def latest_scan() -> DuplicateScan | None:
    return DuplicateScan.objects.select_related("requested_by").order_by("-id").first()


def reason_labels(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return each stored reason with its label in the reader's language."""
    labels = dict(Reason.choices)
    return [{"code": r.get("code", ""), "label": str(labels.get(r.get("code", ""), r.get("code", ""))), "value": r.get("value", "")} for r in reasons]


# --- The merge page -------------------------------------------------------------------


@dataclass
class FieldRow:
    """One field of the contacts being merged: each one's value, and whether they disagree."""

    name: str
    label: str
    values: dict[int, str]  # contact id → the value as shown ("" when empty)
    conflict: bool
    default: int | None  # whose value is kept unless someone chooses

    @property
    def kept(self) -> str:
        return self.values.get(self.default, "") if self.default is not None else ""


@dataclass
class RelatedCount:
    label: str
    counts: dict[int, int]


@dataclass
class MergePreview:
    contacts: list[Contact]
    survivor_id: int
    rows: list[FieldRow] = field(default_factory=list)
    related: list[RelatedCount] = field(default_factory=list)

    @property
    def conflicts(self) -> list[FieldRow]:
        return [row for row in self.rows if row.conflict]

    @property
    def agreed(self) -> list[FieldRow]:
        return [row for row in self.rows if not row.conflict and row.default is not None]

    def records_of(self, contact_id: int) -> list[tuple[str, int]]:
        return [(r.label, r.counts[contact_id]) for r in self.related if r.counts.get(contact_id)]


def contacts_for_merge(ids: list[int]) -> list[Contact]:
    """Return the contacts named, in the order given, with what the merge page shows."""
    found = (
        Contact.objects.filter(pk__in=ids)
        .select_related("company", "owner", "referred_by")
        .prefetch_related(
            Prefetch("emailaddresss", queryset=EmailAddress.objects.order_by("-is_primary", "id")),
            Prefetch("phonenumbers", queryset=PhoneNumber.objects.order_by("-is_primary", "id")),
            Prefetch("addresss", queryset=Address.objects.order_by("-is_primary", "id")),
            "tags",
        )
        .in_bulk()
    )
    return [found[pk] for pk in ids if pk in found]


def _shown(contact: Contact, name: str) -> str:
    attr = CHOOSABLE_FIELDS[name]
    value = getattr(contact, attr)
    if is_empty(value):
        return ""
    if name == "company":
        return contact.company.name
    if name == "owner":
        return contact.owner.get_full_name() or contact.owner.get_username()
    if name == "referred_by":
        return contact.referred_by.display_name
    if name == "birthday":
        return kdate(value)
    display = getattr(contact, f"get_{name}_display", None)
    return str(display()) if display else str(value)


def merge_preview(contacts: list[Contact], survivor_id: int) -> MergePreview:
    """Return each field's values, the default choice, and how many records each contact has."""
    survivor = next(c for c in contacts if c.pk == survivor_id)
    others = [c for c in contacts if c.pk != survivor_id]
    preview = MergePreview(contacts=contacts, survivor_id=survivor_id)
    for name, attr in CHOOSABLE_FIELDS.items():
        raw = {c.pk: getattr(c, attr) for c in contacts}
        filled = {pk: value for pk, value in raw.items() if not is_empty(value)}
        default = survivor.pk if survivor.pk in filled else next((c.pk for c in others if c.pk in filled), None)
        preview.rows.append(FieldRow(
            name=name, label=capfirst(Contact._meta.get_field(attr.removesuffix("_id")).verbose_name),
            values={c.pk: _shown(c, name) for c in contacts},
            conflict=len({repr(v) for v in filled.values()}) > 1, default=default,
        ))
    for definition in custom_field_definitions(CustomFieldTarget.CONTACT):
        raw = {c.pk: (c.custom_fields or {}).get(definition.key) for c in contacts}
        filled = {pk: value for pk, value in raw.items() if not is_empty(value)}
        if not filled:
            continue
        default = survivor.pk if survivor.pk in filled else next(c.pk for c in others if c.pk in filled)
        preview.rows.append(FieldRow(
            name=f"{CUSTOM_PREFIX}{definition.key}", label=definition.label,
            values={pk: "" if is_empty(v) else str(v) for pk, v in raw.items()},
            conflict=len({repr(v) for v in filled.values()}) > 1, default=default,
        ))
    preview.related = related_counts([c.pk for c in contacts])
    return preview


def related_counts(ids: list[int]) -> list[RelatedCount]:
    """Return, per kind of record that points at a contact, how many each of `ids` has (one query per kind)."""
    found = []
    derived = set(contact_merge_handlers())
    for fk in contact_relations():
        model = fk.model
        if model._meta.auto_created or model._meta.label_lower in _NOT_COUNTED | derived:
            continue
        rows = model._base_manager.filter(**{f"{fk.attname}__in": ids}).order_by().values(fk.attname).annotate(n=Count("pk"))
        counts = {row[fk.attname]: row["n"] for row in rows}
        if counts:
            found.append(RelatedCount(label=capfirst(model._meta.verbose_name_plural), counts={pk: counts.get(pk, 0) for pk in ids}))
    return sorted(found, key=lambda r: str(r.label))
