"""How alike two people's names are: the score that import matching and the duplicates page share.

Names are folded first (case, diacritics, spacing: "Ștefan  POPESCU" is "stefan popescu"), then
compared with rapidfuzz's token-sort ratio, which forgives swapped word order ("Popescu
Ștefan") and small typos ("Jean-Pierre" / "Jean Piere") but not a different first name.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from kliyan.core.text import fold

# At or above this score two names are taken for the same person when something else agrees
# (same company or same phone); below it they are different people.
NAME_MATCH_THRESHOLD = 88.0


def name_key(first_name: str, last_name: str) -> str:
    """Return the folded full name, words in their order: what `name_similarity` compares."""
    return fold(f"{first_name} {last_name}".replace("-", " "))


def name_similarity(a: str, b: str) -> float:
    """Return 0–100: how alike two folded names (from `name_key`) are, word order aside."""
    if not a or not b:
        return 0.0
    return fuzz.token_sort_ratio(a, b)


def names_match(a: str, b: str, threshold: float = NAME_MATCH_THRESHOLD) -> bool:
    return name_similarity(a, b) >= threshold
