"""Full-text search over contacts, on SQLite (FTS5) and PostgreSQL (tsvector).

Each contact keeps `search_text`: its name, company, e-mails and phone digits, folded
(lower case, no accents, punctuation as spaces) in Python, so both databases see the same
words and "stefan" finds "Ștefan" without database extensions. SQLite indexes it with an
FTS5 table kept in step by triggers; PostgreSQL with a GIN index on
to_tsvector('simple', search_text). Both are created in migration 0002.

A query that looks like a phone number is matched two ways at once: by caller key (the
last 8 digits of the number read with the organisation's country, so "0999 123 456" and
"+265 999 123 456" meet), and by its digits as a word prefix (so "3712 34" finds
"+509 3712 3456" before the caller has typed all of it).
"""

from __future__ import annotations

import re

import phonenumbers
from django.db import connection

from kliyan.core.phones import digits, lookup_keys
from kliyan.core.text import fold

_SEPARATORS = re.compile(r"[\W_]+")
PHONE_QUERY = re.compile(r"^[\s+().\-/0-9]+$")
MIN_PHONE_DIGITS = 6
MAX_TERMS = 8


def _words(*parts: str) -> list[str]:
    return [w for part in parts for w in _SEPARATORS.split(fold(part or "")) if w]


def _phone_words(phones: list[str]) -> list[str]:
    """Return, per number, its international digits and its national number (no trunk 0)."""
    words: list[str] = []
    for e164 in phones:
        words.append(digits(e164))
        try:
            words.append(str(phonenumbers.parse(e164, None).national_number))
        except phonenumbers.NumberParseException:
            continue
    return words


def contact_search_text(*, name: str, company: str, emails: list[str], phones: list[str]) -> str:
    return " ".join(_words(name, company, *emails) + _phone_words(phones))


def company_search_text(*, name: str, emails: list[str], phones: list[str]) -> str:
    return " ".join(_words(name, *emails) + _phone_words(phones))


def query_terms(query: str) -> list[str]:
    """Return the folded words of a query, at most 8 (enough for any name)."""
    return _words(query)[:MAX_TERMS]


def looks_like_phone(query: str) -> bool:
    return bool(PHONE_QUERY.match(query or "")) and len(digits(query)) >= MIN_PHONE_DIGITS


def phone_query_key(query: str) -> str | None:
    """Return the caller key of a phone-like query, or None when it has too few digits.

    The query is read like an incoming call: with the organisation's country, so a national
    number ("01 234 567" in Malawi) gives the key of its E.164 form (+265 1 234 567), not
    the last 8 digits as typed.
    """
    if not looks_like_phone(query):
        return None
    _e164, key = lookup_keys(query)
    return key if len(key) >= MIN_PHONE_DIGITS else None


def phone_query_prefix(query: str) -> str | None:
    """Return the digits of a phone-like query as one word prefix, without leading zeros.

    Stored words are the international digits and the national number without its trunk
    "0", so "0999 12", "00265 999" and "+265 999" all become prefixes of stored words.
    """
    if not looks_like_phone(query):
        return None
    prefix = digits(query).lstrip("0")
    return prefix if len(prefix) >= MIN_PHONE_DIGITS - 1 else None


def fts_match_sql(terms: list[str]) -> tuple[str, list[str]]:
    """Return SQL selecting the ids of contacts whose search text has every term as a prefix."""
    if connection.vendor == "sqlite":
        expression = " ".join(f'"{t}"*' for t in terms)
        return "SELECT rowid FROM contacts_contact_fts WHERE contacts_contact_fts MATCH %s", [expression]
    if connection.vendor == "postgresql":
        expression = " & ".join(f"{t}:*" for t in terms)
        return (
            "SELECT id FROM contacts_contact WHERE to_tsvector('simple', search_text) @@ to_tsquery('simple', %s)",
            [expression],
        )
    # Any other database: a plain scan, correct but slow.
    where = " AND ".join(["search_text LIKE %s"] * len(terms))
    return f"SELECT id FROM contacts_contact WHERE {where}", [f"%{t}%" for t in terms]


# PostgreSQL: how many matches the GIN index is asked for before an ordered walk.
POSTGRES_MATCH_CAP = 2000


def postgres_capped_ids(cursor: object, sql: str, params: list, *, archived: str = "") -> list[int] | None:
    """Return every id the match SQL selects, or None when there are POSTGRES_MATCH_CAP or more.

    PostgreSQL cannot tell how many rows a word prefix matches (it guesses 0.5 %), so for
    "ORDER BY <indexed column> LIMIT n" over the match it walks that index testing each
    row: instant for "e", seconds at a million contacts for a rare name or phone fragment.
    Asking the GIN index for a bounded set first makes the rare case fast; only a term
    common enough to fill the set is left to the ordered walk, which then finds its rows
    quickly.
    """
    cursor.execute(f"SELECT c.id FROM contacts_contact c WHERE c.id IN ({sql}){archived} LIMIT %s", [*params, POSTGRES_MATCH_CAP])
    found = [row[0] for row in cursor.fetchall()]
    return found if len(found) < POSTGRES_MATCH_CAP else None


def _newest_fts_ids(cursor: object, terms: list[str], *, include_archived: bool, limit: int) -> list[int]:
    """Return the ids of the newest `limit` contacts matching every term prefix.

    On SQLite the FTS5 table drives the join and hands rows over newest first, so the
    query stops after `limit` rows even when a short prefix matches half the contacts.
    """
    archived = "" if include_archived else " AND c.archived_at IS NULL"
    if connection.vendor == "sqlite":
        cursor.execute(
            "SELECT f.rowid FROM contacts_contact_fts f JOIN contacts_contact c ON c.id = f.rowid"
            f" WHERE contacts_contact_fts MATCH %s{archived} ORDER BY f.rowid DESC LIMIT %s",
            [" ".join(f'"{t}"*' for t in terms), limit],
        )
        return [row[0] for row in cursor.fetchall()]
    sql, params = fts_match_sql(terms)
    if connection.vendor == "postgresql":
        found = postgres_capped_ids(cursor, sql, params, archived=archived)
        if found is not None:
            return sorted(found, reverse=True)[:limit]
    cursor.execute(f"SELECT c.id FROM contacts_contact c WHERE c.id IN ({sql}){archived} ORDER BY c.id DESC LIMIT %s", [*params, limit])
    return [row[0] for row in cursor.fetchall()]


def newest_contact_ids(query: str, *, limit: int, include_archived: bool = False) -> list[int] | None:
    """Return the ids of the newest `limit` contacts the search box query finds (None if empty)."""
    archived = "" if include_archived else " AND c.archived_at IS NULL"
    key = phone_query_key(query)
    prefix = phone_query_prefix(query)
    terms = [prefix] if prefix else ([] if key else query_terms(query))
    if not key and not terms:
        return None
    ids: set[int] = set()
    with connection.cursor() as cursor:
        if key:
            cursor.execute(
                "SELECT p.contact_id FROM contacts_phonenumber p JOIN contacts_contact c ON c.id = p.contact_id"
                f" WHERE p.caller_key = %s{archived} ORDER BY p.contact_id DESC LIMIT %s",
                [key, limit],
            )
            ids.update(row[0] for row in cursor.fetchall())
        if terms:
            ids.update(_newest_fts_ids(cursor, terms, include_archived=include_archived, limit=limit))
    return sorted(ids, reverse=True)[:limit]


def contact_match_sql(query: str) -> tuple[str, list[str]] | None:
    """Return SQL selecting the ids of contacts the search box query finds, or None if empty."""
    key = phone_query_key(query)
    prefix = phone_query_prefix(query)
    if key or prefix:
        parts: list[tuple[str, list[str]]] = []
        if key:
            parts.append(("SELECT contact_id FROM contacts_phonenumber WHERE caller_key = %s AND contact_id IS NOT NULL", [key]))
        if prefix:
            parts.append(fts_match_sql([prefix]))
        sql = " UNION ".join(p[0] for p in parts)
        return sql, [param for p in parts for param in p[1]]
    terms = query_terms(query)
    if not terms:
        return None
    return fts_match_sql(terms)
