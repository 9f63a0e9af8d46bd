"""The words of a ticket, and the full-text index that finds tickets sharing them.

The same way as contacts and the knowledge base (docs/decisions/0002): each ticket keeps
`search_text`, its subject and the start of the customer's first message folded in Python
(lower case, no accents: "întârziată" → "intarziata", "kòmand" → "komand"), so both
databases see the same words. SQLite indexes it with an FTS5 table kept in step by
triggers, PostgreSQL with a GIN index on to_tsvector('simple', search_text); migration
0003_problems creates both.

Similar tickets are matched on *stems*: the first STEM_LENGTH letters of each word that is
not a stop word. A cut-off stem is crude, but it is the same in every language we serve and
needs no dictionary ("livrare"/"livrarea", "comanda"/"comandă"/"kòmand", "facture"/
"facturé" meet), which no stemmer for Haitian Creole, Albanian or Chichewa would give us.
"""

from __future__ import annotations

import re

from django.db import connection

from kliyan.core.text import fold
from kliyan.service.choices import UNRESOLVED

_SEPARATORS = re.compile(r"[\W_]+")
STEM_LENGTH = 5
MIN_WORD_LENGTH = 3
# Enough of the first message to know what it is about; the rest of a long mail adds noise.
BODY_CHARS = 1500
# At most this many stems of a query go to the database (the rarest first, see similar.py).
MAX_QUERY_STEMS = 12
# How many candidate tickets the database ranks before Python scores them.
CANDIDATES = 200

# Function words of the languages we serve (folded), which say nothing about a ticket.
STOP_WORDS = frozenset(fold(word) for word in """
the and for with from that this have has had not are was were you your our but can will would could please thanks thank
hello dear any all about into out there their them they what when where which who why how also just get got still yet
les des une est pas que qui pour dans sur avec mon mes vous nous votre vos cette ces aux mais plus par ete etait
bonjour merci madame monsieur avez suis sont fait faire peut tres bien aussi deja encore depuis comme
mwen nou yon pou nan sou men epi kijan kote poukisa bonjou mesi te ap gen sak paske toujou ankò anko
este din sau sunt pentru care cum mai fost fara foarte buna ziua multumesc va vă dupa inca acum
dhe per nje nuk eshte jam kam ju une kete ate
ndi kuti koma ndipo chifukwa zikomo
""".split())


def words(text: str) -> list[str]:
    """Return the folded words of `text` (letters and digits), in order."""
    return [w for w in _SEPARATORS.split(fold(text or "")) if w]


def ticket_search_text(subject: str, body: str = "") -> str:
    """Return what a ticket's `search_text` holds: its subject and the start of its first message."""
    return " ".join(words(subject) + words((body or "")[:BODY_CHARS]))


def problem_search_text(title: str, description: str = "", root_cause: str = "") -> str:
    return " ".join(words(title) + words((description or "")[:BODY_CHARS]) + words((root_cause or "")[:BODY_CHARS]))


def stem(word: str) -> str:
    return word[:STEM_LENGTH]


def stems_of_words(folded_words: list[str]) -> list[str]:
    """Return the distinct stems of already folded words, in order, stop words and short words left out."""
    seen: dict[str, None] = {}
    for word in folded_words:
        if len(word) < MIN_WORD_LENGTH or word in STOP_WORDS:
            continue
        seen.setdefault(stem(word), None)
    return list(seen)


def stems(text: str) -> list[str]:
    """Return the distinct stems of `text`, in order (see the module's docstring)."""
    return stems_of_words(words(text))


def similar_ticket_ids(query_stems: list[str], *, limit: int = CANDIDATES) -> list[int]:
    """Return unresolved tickets with a word starting with any of the stems, best match first.

    Any stem may match (OR): a similar ticket shares some words, rarely all. The database
    ranks them (bm25 on SQLite, ts_rank on PostgreSQL); similar.py scores the candidates.
    """
    terms = [t for t in query_stems if t][:MAX_QUERY_STEMS]
    if not terms:
        return []
    statuses = [str(status) for status in UNRESOLVED]
    marks = ", ".join(["%s"] * len(statuses))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT t.id FROM service_ticket_fts f JOIN service_ticket t ON t.id = f.rowid"
                f" WHERE service_ticket_fts MATCH %s AND t.status IN ({marks})"
                " ORDER BY bm25(service_ticket_fts), t.id DESC LIMIT %s",
                [" OR ".join(f'"{t}"*' for t in terms), *statuses, limit],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.id FROM service_ticket t, to_tsquery('simple', %s) AS q(query)"
                f" WHERE to_tsvector('simple', t.search_text) @@ q.query AND t.status IN ({marks})"
                " ORDER BY ts_rank(to_tsvector('simple', t.search_text), q.query) DESC, t.id DESC LIMIT %s",
                [" | ".join(f"{t}:*" for t in terms), *statuses, limit],
            )
        else:
            # Any other database: a plain scan, correct but slow.
            where = " OR ".join(["t.search_text LIKE %s"] * len(terms))
            cursor.execute(
                f"SELECT t.id FROM service_ticket t WHERE ({where}) AND t.status IN ({marks}) ORDER BY t.id DESC LIMIT %s",
                [*(f"%{t}%" for t in terms), *statuses, limit],
            )
        return [row[0] for row in cursor.fetchall()]


def first_customer_body(ticket_id: int) -> str:
    """Return the customer's first message on the ticket ("" if none): what the ticket is about."""
    from kliyan.service.models import TicketMessage

    body = (
        TicketMessage.objects.filter(ticket_id=ticket_id, kind="customer").order_by("created_at", "id")
        .values_list("body", flat=True).first()
    )
    return body or ""
