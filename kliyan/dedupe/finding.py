"""Find likely duplicate contacts across the whole database, by blocking.

Comparing every contact with every other is n²/2 comparisons: 500 billion at a million contacts.
Blocking compares only contacts that share a key, and every kind of key has a cap, so the
work grows with the number of contacts, not with its square:

- the same e-mail, the same phone (E.164): grouped by the database; a value on more than
  MAX_SHARED contacts is a placeholder or a shop's line, not one person, and is skipped;
- the same folded full name (kliyan.contacts.similarity.name_key): a group of at most
  MAX_SAME_NAME people pairs up; in a larger one ("Jean Pierre" × 5,000) only the people
  who also share a company or a birthday do;
- similar names within a company (at most MAX_BLOCK people compared one by one);
- similar names within a name block: people whose names share one whole word and the
  initials of the others ("jean|dp" for Jean-Pierre Dupont and Jean Piere Dupont), or the
  first three letters of every word ("dup|jea|pie"). Blocks larger than MAX_BLOCK are
  skipped (everybody named "Jean P…"), and counted.

Each pair gets the reasons it was found for and a score from 0 to 100 (SCORES below); two
different birthdays lower a score that rests on names alone.

The whole population is held as compact arrays (ids, folded names, companies, birthdays)
rather than model instances: a million contacts, with 400,000 pairs found, peak at about
800 MB in the worker (bench/bench_duplicates.py).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from django.db.models import Count, Model

from kliyan.contacts.models import Contact, EmailAddress, PhoneNumber
from kliyan.contacts.similarity import NAME_MATCH_THRESHOLD, name_key, name_similarity
from kliyan.dedupe.choices import Reason, ScanPhase

# More contacts than this sharing one e-mail or phone: a placeholder, skipped.
MAX_SHARED = 20
# More people than this with exactly the same name: only those who share more pair up.
MAX_SAME_NAME = 20
# Blocks compared one by one (n²/2 comparisons) hold at most this many people.
MAX_BLOCK = 150
# Pairs scoring less are not kept.
MIN_SCORE = 40
# What a name-based score loses when both birthdays are known and differ.
OTHER_BIRTHDAY_PENALTY = 30
# What each further reason adds to the best one.
EXTRA_REASON_BONUS = 5

SCORES: dict[str, int] = {
    Reason.EMAIL: 100,
    Reason.PHONE: 90,
    Reason.NAME_BIRTHDAY: 90,
    Reason.NAME_COMPANY: 85,
    Reason.NAME: 60,
}
# Similar (not equal) names: from the low end at NAME_MATCH_THRESHOLD up by the span at 100.
SIMILAR_SCORES: dict[str, tuple[int, int]] = {
    Reason.SIMILAR_NAME_COMPANY: (60, 20),
    Reason.SIMILAR_NAME: (45, 15),
}
NAME_REASONS = frozenset({Reason.NAME, Reason.NAME_COMPANY, Reason.NAME_BIRTHDAY, Reason.SIMILAR_NAME, Reason.SIMILAR_NAME_COMPANY})
# A stronger reason already says what these say.
IMPLIED_BY = {
    Reason.NAME: (Reason.NAME_COMPANY, Reason.NAME_BIRTHDAY),
    Reason.SIMILAR_NAME: (Reason.SIMILAR_NAME_COMPANY,),
}

_WORDS = re.compile(r"\w+")
_HASH_BITS = 40
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class FoundPair:
    contact_a: int
    contact_b: int
    score: int
    reasons: list[dict[str, Any]]


@dataclass
class FindResult:
    pairs: list[FoundPair]
    contacts: int
    # Groups too large to compare, per kind ("email", "phone", "name", "company", "similar_name").
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass
class Limits:
    max_shared: int = MAX_SHARED
    max_same_name: int = MAX_SAME_NAME
    max_block: int = MAX_BLOCK
    min_score: int = MIN_SCORE


class _Population:
    """The active contacts as parallel arrays, indexed 0…n-1 (cheaper than a million objects)."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.names: list[str] = []
        self.companies = array("q")  # 0: no company
        self.birthdays = array("l")  # date ordinal, 0: unknown

    def load(self, rows: Iterable[tuple[int, str, str, int | None, Any]]) -> None:
        for pk, first, last, company_id, birthday in rows:
            self.ids.append(pk)
            self.names.append(name_key(first or "", last or ""))
            self.companies.append(company_id or 0)
            self.birthdays.append(birthday.toordinal() if birthday else 0)

    def __len__(self) -> int:
        return len(self.ids)

    def other_birthdays(self, i: int, j: int) -> bool:
        a, b = self.birthdays[i], self.birthdays[j]
        return bool(a and b and a != b)


class _Pairs:
    """Reasons per pair of contact ids, smaller id first."""

    def __init__(self) -> None:
        self.reasons: dict[tuple[int, int], dict[str, Any]] = {}

    def add(self, a: int, b: int, code: str, value: Any = "") -> None:
        if a == b:
            return
        key = (a, b) if a < b else (b, a)
        self.reasons.setdefault(key, {}).setdefault(code, value)

    def known(self, a: int, b: int) -> bool:
        return ((a, b) if a < b else (b, a)) in self.reasons

    def has(self, a: int, b: int, code: str) -> bool:
        key = (a, b) if a < b else (b, a)
        return code in self.reasons.get(key, ())


def block_keys(name: str) -> set[str]:
    """Return the name-block keys of a folded name (none for a one-word name: too weak alone).

    "jean pierre dupont" → {"tjean|dp", "tpierre|dj", "tdupont|jp", "pdup|jea|pie"}: a typo in
    one word still leaves another word's key, a typo late in every word leaves the prefixes.
    """
    words = _WORDS.findall(name)[:4]
    if len(words) < 2:
        return set()
    keys = {"p" + "|".join(sorted(w[:3] for w in words))}
    for n, word in enumerate(words):
        if len(word) >= 3:
            initials = "".join(sorted(w[0] for m, w in enumerate(words) if m != n))
            keys.add(f"t{word}|{initials}")
    return keys


def pair_score(reasons: dict[str, Any]) -> int:
    """Return 0–100 for a pair's reasons: the best reason, a little more for each further one."""
    scores = sorted((_reason_score(code, value) for code, value in reasons.items() if code != Reason.OTHER_BIRTHDAY), reverse=True)
    if not scores:
        return 0
    total = scores[0] + EXTRA_REASON_BONUS * (len(scores) - 1)
    if Reason.OTHER_BIRTHDAY in reasons and not (reasons.keys() & {Reason.EMAIL, Reason.PHONE}):
        total -= OTHER_BIRTHDAY_PENALTY
    return max(0, min(100, total))


def _reason_score(code: str, value: Any) -> int:
    if code in SIMILAR_SCORES:
        low, span = SIMILAR_SCORES[code]
        fraction = (float(value or 0) - NAME_MATCH_THRESHOLD) / (100.0 - NAME_MATCH_THRESHOLD)
        return low + round(span * max(0.0, min(1.0, fraction)))
    return SCORES[code]


def _runs(order: Sequence[int], key: Callable[[int], Any]) -> Iterator[list[int]]:
    """Yield the runs of consecutive items of `order` with the same key."""
    run: list[int] = []
    current: Any = object()
    for item in order:
        k = key(item)
        if k != current:
            if len(run) > 1:
                yield run
            run, current = [], k
        run.append(item)
    if len(run) > 1:
        yield run


class Finder:
    """One pass of the duplicate finder; `run()` returns the pairs, best first."""

    def __init__(self, *, limits: Limits | None = None, progress: Progress | None = None) -> None:
        self.limits = limits or Limits()
        self.progress = progress or (lambda phase, percent: None)
        self.pairs = _Pairs()
        self.people = _Population()
        self.skipped: dict[str, int] = {}

    def run(self) -> FindResult:
        self.progress(ScanPhase.EMAILS, 1)
        self._shared_values(EmailAddress, "email", Reason.EMAIL)
        self.progress(ScanPhase.PHONES, 10)
        self._shared_values(PhoneNumber, "e164", Reason.PHONE)
        self.progress(ScanPhase.NAMES, 20)
        rows = (
            Contact.objects.filter(archived_at__isnull=True).order_by()
            .values_list("id", "first_name", "last_name", "company_id", "birthday").iterator(chunk_size=10_000)
        )
        self.people.load(rows)
        self.progress(ScanPhase.NAMES, 40)
        self._same_names()
        self.progress(ScanPhase.NAMES, 55)
        self._companies()
        self.progress(ScanPhase.NAMES, 70)
        self._name_blocks()
        self.progress(ScanPhase.NAMES, 90)
        return FindResult(pairs=self._scored(), contacts=len(self.people), skipped=dict(sorted(self.skipped.items())))

    def _skip(self, kind: str) -> None:
        self.skipped[kind] = self.skipped.get(kind, 0) + 1

    # --- Shared e-mails and phones: the database groups them ---------------------------

    def _shared_values(self, model: type[Model], column: str, code: str) -> None:
        rows = model.objects.filter(contact__isnull=False, contact__archived_at__isnull=True)
        groups = rows.order_by().values(column).annotate(n=Count("contact", distinct=True)).filter(n__gt=1)
        wanted = []
        for group in groups.values_list(column, "n"):
            if group[1] > self.limits.max_shared:
                self._skip(code)
            else:
                wanted.append(group[0])
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found = rows.filter(**{f"{column}__in": chunk}).order_by(column, "contact_id").values_list(column, "contact_id")
            for run in _runs(list(found), key=lambda row: row[0]):
                ids = sorted({contact_id for _value, contact_id in run})
                for a, b in combinations(ids, 2):
                    self.pairs.add(a, b, code, run[0][0])

    # --- Names -------------------------------------------------------------------------

    def _name_pair(self, i: int, j: int, code: str, value: Any = "") -> None:
        a, b = self.people.ids[i], self.people.ids[j]
        if self.people.other_birthdays(i, j):
            weak = _reason_score(code, value) - OTHER_BIRTHDAY_PENALTY < self.limits.min_score
            if weak and not self.pairs.known(a, b):
                # Two "Jean Pierre"s born years apart: never kept, so not held (e-mails and phones,
                # which would keep the pair, were paired first).
                return
            self.pairs.add(a, b, Reason.OTHER_BIRTHDAY)
        self.pairs.add(a, b, code, value)

    def _same_names(self) -> None:
        """Pair people with exactly the same folded name (in a large group, only if they share more)."""
        names = self.people.names
        order = sorted((i for i in range(len(names)) if names[i]), key=names.__getitem__)
        for run in _runs(order, names.__getitem__):
            many_words = " " in names[run[0]]
            if len(run) <= self.limits.max_same_name:
                if many_words:
                    for i, j in combinations(run, 2):
                        self._name_pair(i, j, Reason.NAME)
            else:
                self._skip("name")
            self._same_name_sharing(run, self.people.companies, Reason.NAME_COMPANY)
            self._same_name_sharing(run, self.people.birthdays, Reason.NAME_BIRTHDAY)

    def _same_name_sharing(self, run: list[int], values: array, code: str) -> None:
        members = sorted((i for i in run if values[i]), key=values.__getitem__)
        for group in _runs(members, values.__getitem__):
            if len(group) > self.limits.max_same_name:
                self._skip("name")
                continue
            for i, j in combinations(group, 2):
                self._name_pair(i, j, code)

    def _companies(self) -> None:
        """Compare the names of the people of each company (exact and similar)."""
        companies = self.people.companies
        order = sorted((i for i in range(len(companies)) if companies[i]), key=companies.__getitem__)
        for run in _runs(order, companies.__getitem__):
            if len(run) > self.limits.max_block:
                self._skip("company")
                continue
            self._compare_block(run, same=Reason.NAME_COMPANY, similar=Reason.SIMILAR_NAME_COMPANY)

    def _name_blocks(self) -> None:
        """Compare people whose names share a block key (see block_keys)."""
        names = self.people.names
        shift = max(24, len(names).bit_length())
        mask = (1 << _HASH_BITS) - 1
        # One int per (key, person), sorted: the key's hash above, the person's index below.
        # A hash collision only merges two blocks, and every pair is still compared by name.
        entries = sorted(
            ((hash(key) & mask) << shift) | i for i, name in enumerate(names) for key in block_keys(name)
        )
        for run in _runs(entries, lambda entry: entry >> shift):
            if len(run) > self.limits.max_block:
                self._skip("similar_name")
                continue
            low = (1 << shift) - 1
            self._compare_block(sorted({entry & low for entry in run}), same=None, similar=Reason.SIMILAR_NAME)

    def _compare_block(self, block: list[int], *, same: str | None, similar: str) -> None:
        names, ids = self.people.names, self.people.ids
        for i, j in combinations(block, 2):
            a, b = names[i], names[j]
            if not a or not b:
                continue
            if a == b:
                # Equal names are paired by _same_names (or deliberately not, in a large group).
                if same is not None:
                    self._name_pair(i, j, same)
                continue
            if self.pairs.has(ids[i], ids[j], similar):
                continue
            similarity = name_similarity(a, b)
            if similarity >= NAME_MATCH_THRESHOLD:
                self._name_pair(i, j, similar, round(similarity))

    # --- Scores ------------------------------------------------------------------------

    def _scored(self) -> list[FoundPair]:
        found = []
        held = self.pairs.reasons
        while held:
            # Popped, not iterated: each pair's reasons are freed as its FoundPair is made.
            (a, b), reasons = held.popitem()
            for implied, stronger in IMPLIED_BY.items():
                if implied in reasons and any(code in reasons for code in stronger):
                    del reasons[implied]
            score = pair_score(reasons)
            if score < self.limits.min_score:
                continue
            ordered = sorted(reasons.items(), key=lambda item: (item[0] == Reason.OTHER_BIRTHDAY, -_safe_score(*item)))
            found.append(FoundPair(a, b, score, [{"code": code, "value": value} for code, value in ordered]))
        found.sort(key=lambda p: (-p.score, p.contact_a, p.contact_b))
        return found


def _safe_score(code: str, value: Any) -> int:
    return 0 if code == Reason.OTHER_BIRTHDAY else _reason_score(code, value)


def find_pairs(*, limits: Limits | None = None, progress: Progress | None = None) -> FindResult:
    """Return the likely duplicate pairs among active contacts, best first."""
    return Finder(limits=limits, progress=progress).run()
