"""Full-text search over contacts, on SQLite (FTS5) and PostgreSQL (tsvector).

Each contact keeps `search_text`: its name, company, e-mails and phone digits, folded
(lower case, no accents, punctuation as spaces) in Python, so both databases see the same
words and "stefan" finds "Ștefan" without database extensions. SQLite indexes it with an
FTS5 table kept in step by triggers; PostgreSQL with a GIN index on
to_tsvector('simple', search_text). Both are created in migration 0002.
"""

from __future__ import annotations

import re

import phonenumbers
from django.db import connection

from kliyan.core.phones import caller_key, digits
from kliyan.core.text import fold

_SEPARATORS = re.compile(r"[\W_]+")
PHONE_QUERY = re.compile(r"^[\s+().\-/0-9]+$")


def _words(*parts: str) -> list[str]:
    return [w for part in parts for w in _SEPARATORS.split(fold(part or "")) if w]


def _phone_words(phones: list[str]) -> list[str]:
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
    return _words(query)[:8]


def looks_like_phone(query: str) -> bool:
    return bool(PHONE_QUERY.match(query or "")) and len(digits(query)) >= 6


def phone_query_key(query: str) -> str | None:
    """Return the caller key for a phone-like query with enough digits, else None."""
    if not looks_like_phone(query):
        return None
    key = caller_key(query if not query.strip().startswith("00") else query.strip()[2:])
    return key if len(key) == 8 else None


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
