"""Find the existing record each row of a batch is about, and say why: same e-mail, same phone, similar name.

A row is matched, in this order, by
1. an e-mail address an existing record has (kept lower case, so one indexed IN lookup),
2. a phone number an existing record has (E.164, one indexed IN lookup),
3. for people: a name similar to that of a person at the same company (kliyan.contacts.similarity:
   folded names, rapidfuzz's token-sort ratio at or above NAME_MATCH_THRESHOLD); for companies:
   the same name, case aside.
Each costs one query per batch, never one per row: the similar-name lookup reads, in one
query, the people of every company named by a row of the batch that nothing else matched.
Only active people are candidates for a similar name (an archived or merged person is not a
live duplicate); e-mails and phones match whoever holds them, as before.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Model
from django.db.models.functions import Lower

from kliyan.contacts.models import Company, Contact, EmailAddress, PhoneNumber
from kliyan.contacts.similarity import NAME_MATCH_THRESHOLD, name_key, name_similarity
from kliyan.imports.choices import ImportTarget
from kliyan.imports.rows import Record, exact_keys

# Placeholders a statement carries at most when looking up the keys of a batch (SQLite allows 32,766).
LOOKUP_CHUNK = 10_000


def match_keys(record: Record, target: str) -> list[tuple[str, str]]:
    """Return (key, reason) pairs for the exact ways the record can match (the cleaner fills them)."""
    if not record.keys:
        record.keys = exact_keys(record, target)
    return record.keys


def record_name_key(record: Record) -> str:
    """Return the record's folded name (the cleaner fills it for people at a company)."""
    if not record.name_key:
        record.name_key = name_key(record.values.get("first_name", ""), record.values.get("last_name", ""))
    return record.name_key


def similar(key: str, candidates: Iterable[tuple[str, int]]) -> int | None:
    """Return the id of the candidate whose name is most like `key` (at or above the threshold), or None."""
    best_score, best_id = NAME_MATCH_THRESHOLD, None
    for candidate_key, pk in candidates:
        score = name_similarity(key, candidate_key)
        if score > best_score or (score == best_score and (best_id is None or pk < best_id)):
            best_score, best_id = score, pk
    return best_id


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start:start + LOOKUP_CHUNK]


@dataclass
class Existing:
    """What a batch's rows match in the database."""

    keys: dict[str, int] = field(default_factory=dict)  # "e:…", "p:…", "n:…" → id of the record holding it
    companies: dict[str, int] = field(default_factory=dict)  # lower-cased name → id of an existing company
    # Company id → (folded name, id) of its active people; read only for the companies asked about.
    people: dict[int, list[tuple[str, int]]] = field(default_factory=dict)

    def exact(self, keys: list[tuple[str, str]]) -> tuple[int, str] | None:
        for key, reason in keys:
            pk = self.keys.get(key)
            if pk is not None:
                return pk, reason
        return None


class NameKeys:
    """Folded names, kept across the batches of a run: a company's people are asked about again
    and again, and names repeat (folding a name with accents costs microseconds)."""

    LIMIT = 200_000

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], str] = {}

    def get(self, first: str, last: str) -> str:
        key = self._keys.get((first, last))
        if key is None:
            if len(self._keys) >= self.LIMIT:
                self._keys.clear()
            key = self._keys[first, last] = name_key(first, last)
        return key


def find_existing(records: list[Record], target: str, owner: str, names: NameKeys | None = None) -> Existing:
    """Return the existing records the batch's e-mails, phones and names point to (a fixed number of queries)."""
    existing = Existing()
    owner_column = f"{owner}_id"
    for email, pk in _pairs(EmailAddress, "email", owner_column, sorted({e for r in records for e in r.emails})):
        existing.keys[f"e:{email}"] = pk
    for e164, pk in _pairs(PhoneNumber, "e164", owner_column, sorted({p.e164 for r in records for p in r.phones})):
        existing.keys[f"p:{e164}"] = pk
    if target == ImportTarget.COMPANIES:
        names = sorted({r.values["name"].lower() for r in records if r.values.get("name")})
        existing.keys.update({f"n:{name}": pk for name, pk in company_ids_by_name(names).items()})
        return existing
    existing.companies = company_ids_by_name(sorted({r.company.lower() for r in records if r.company}))
    # Similar names are looked for only where nothing exact matched.
    wanted = {
        existing.companies[r.company.lower()] for r in records
        if r.company and r.company.lower() in existing.companies and existing.exact(match_keys(r, target)) is None
    }
    existing.people = people_of(sorted(wanted), names or NameKeys())
    return existing


def _pairs(model: type[Model], key: str, owner: str, values: list[str]) -> list[tuple[str, int]]:
    """Return (value, owner id) for each of `values` some row holds: the owner of its oldest row.

    Raw SQL: the ORM prepares each of ten thousand parameters of an IN list one by one,
    which cost more than the indexed lookup itself. The oldest row is picked here rather
    than by ORDER BY, which made SQLite's lookup four times slower.
    """
    if not values:
        return []
    quote = connection.ops.quote_name
    columns = {f.attname: f.column for f in model._meta.concrete_fields}
    table, key_column, owner_column = quote(model._meta.db_table), quote(columns[key]), quote(columns[owner])
    pk_column = quote(model._meta.pk.column)
    oldest: dict[str, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        for part in _chunks(values):
            cursor.execute(
                f"SELECT {key_column}, {owner_column}, {pk_column} FROM {table}"
                f" WHERE {key_column} IN ({', '.join(['%s'] * len(part))}) AND {owner_column} IS NOT NULL",
                part,
            )
            for value, owner_id, pk in cursor.fetchall():
                if value not in oldest or pk < oldest[value][0]:
                    oldest[value] = (pk, owner_id)
    return [(value, owner_id) for value, (_pk, owner_id) in oldest.items()]


def company_ids_by_name(names: list[str]) -> dict[str, int]:
    """Return lower-cased name → id of the existing companies with these names (an active one first, then the oldest)."""
    found: dict[str, int] = {}
    for part in _chunks(names):
        rows = (
            Company.objects.annotate(lname=Lower("name")).filter(lname__in=part)
            .order_by(F("archived_at").asc(nulls_first=True), "id").values_list("lname", "id")
        )
        for lname, pk in rows:
            found.setdefault(lname, pk)
    return found


def people_of(company_ids: list[int], names: NameKeys) -> dict[int, list[tuple[str, int]]]:
    """Return company id → (folded name, id) of its active people, in one query per chunk of companies."""
    people: dict[int, list[tuple[str, int]]] = {}
    if not company_ids:
        return people
    quote = connection.ops.quote_name
    table = quote(Contact._meta.db_table)
    column = {f.attname: quote(f.column) for f in Contact._meta.concrete_fields}
    with connection.cursor() as cursor:
        for start in range(0, len(company_ids), LOOKUP_CHUNK):
            part = company_ids[start:start + LOOKUP_CHUNK]
            cursor.execute(
                f"SELECT {column['company_id']}, {column['first_name']}, {column['last_name']}, {column['id']} FROM {table}"
                f" WHERE {column['company_id']} IN ({', '.join(['%s'] * len(part))}) AND {column['archived_at']} IS NULL",
                part,
            )
            for company_id, first, last, pk in sorted(cursor.fetchall(), key=operator.itemgetter(3)):
                people.setdefault(company_id, []).append((names.get(first, last), pk))
    return people
