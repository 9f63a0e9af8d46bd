"""Full-text search over article translations, on SQLite (FTS5) and PostgreSQL (tsvector).

The same way as contacts (docs/decisions/0002): each translation keeps its title and its
text folded in Python (`search_title`, `search_body`: lower case, no accents, markup
removed), so "livrezon" finds "Livrèzon" and "paiement" finds "Paiement" on both
databases without the `unaccent` extension. SQLite indexes the two columns with an FTS5
table kept in step by triggers, PostgreSQL with a GIN index on a weighted tsvector
(title weight A, text weight B). Both are created in migration 0002. Query words are
matched as prefixes, every word must match, and a match in the title weighs more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection

from kliyan.core.text import fold
from kliyan.knowledge.rendering import plain_text

_SEPARATORS = re.compile(r"[\W_]+")
MAX_TERMS = 8
# How many matching translations the database ranks before the language and title preferences
# are applied in Python: far more than anyone reads, few enough to be instant.
CANDIDATES = 300
# The indexed PostgreSQL expression; a query must repeat it exactly to use the index.
PG_DOCUMENT = (
    "(setweight(to_tsvector('simple', t.search_title), 'A') || setweight(to_tsvector('simple', t.search_body), 'B'))"
)


def folded_words(text: str) -> list[str]:
    return [w for w in _SEPARATORS.split(fold(text or "")) if w]


def search_title_of(title: str) -> str:
    return " ".join(folded_words(title))


def search_body_of(body: str) -> str:
    # Link addresses are not words a reader searches for; their text is.
    return " ".join(folded_words(plain_text(body)))


def query_terms(query: str) -> list[str]:
    """Return the folded words of a query, at most MAX_TERMS."""
    return folded_words(query)[:MAX_TERMS]


@dataclass(frozen=True)
class Match:
    translation_id: int
    article_id: int
    language: str
    search_title: str
    score: float  # higher is better

    def title_has(self, terms: list[str]) -> bool:
        """Return whether every term starts a word of the title (a title match ranks first)."""
        words = self.search_title.split()
        return all(any(w.startswith(t) for w in words) for t in terms)


def matching_translations(terms: list[str], *, public_only: bool, limit: int = CANDIDATES) -> list[Match]:
    """Return the translations whose title or text has every term as a word prefix, best first.

    `public_only` keeps published translations of articles that are not internal.
    """
    if not terms:
        return []
    visible = " AND t.status = 'published' AND a.internal = %s" if public_only else ""
    visible_params: list[object] = [False] if public_only else []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # bm25() is lower for better matches; a title word weighs ten text words.
            cursor.execute(
                "SELECT t.id, t.article_id, t.language, t.search_title, -bm25(knowledge_articletranslation_fts, 10.0, 1.0)"
                " FROM knowledge_articletranslation_fts f"
                " JOIN knowledge_articletranslation t ON t.id = f.rowid JOIN knowledge_article a ON a.id = t.article_id"
                f" WHERE knowledge_articletranslation_fts MATCH %s{visible}"
                " ORDER BY bm25(knowledge_articletranslation_fts, 10.0, 1.0), t.id LIMIT %s",
                [" ".join(f'"{t}"*' for t in terms), *visible_params, limit],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT t.id, t.article_id, t.language, t.search_title, ts_rank({PG_DOCUMENT}, q.query)"
                " FROM knowledge_articletranslation t JOIN knowledge_article a ON a.id = t.article_id,"
                " to_tsquery('simple', %s) AS q(query)"
                f" WHERE {PG_DOCUMENT} @@ q.query{visible}"
                f" ORDER BY ts_rank({PG_DOCUMENT}, q.query) DESC, t.id LIMIT %s",
                [" & ".join(f"{t}:*" for t in terms), *visible_params, limit],
            )
        else:
            # Any other database: a plain scan, correct but slow.
            where = " AND ".join(["(t.search_title || ' ' || t.search_body) LIKE %s"] * len(terms))
            cursor.execute(
                "SELECT t.id, t.article_id, t.language, t.search_title, 0"
                f" FROM knowledge_articletranslation t JOIN knowledge_article a ON a.id = t.article_id WHERE {where}{visible}"
                " ORDER BY t.id LIMIT %s",
                [*(f"%{t}%" for t in terms), *visible_params, limit],
            )
        return [Match(row[0], row[1], row[2], row[3], float(row[4] or 0)) for row in cursor.fetchall()]
