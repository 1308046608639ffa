"""Finding listed terms in text: one Aho-Corasick automaton over the folded skeleton.

Terms and exceptions share the automaton. All matches are collected, matches inside an
exception of their category are discarded, and the rest are chosen leftmost-longest without
overlap (so ``全网最低价`` wins over ``最低`` and ``最``).

Terms that begin or end with an ASCII letter or digit (sb, vx, 100%) only match where the
neighbouring skeleton character is not an ASCII letter or digit: otherwise "is bad" (skeleton
"isbad") would contain "sb". Chinese has no such word boundaries, which is why the allow lists
exist.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

import ahocorasick

from app.compliance.normalize import Skeleton
from app.compliance.wordlists import Term, WordListError, WordLists


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class Match:
    start: int  # original text, [start, end)
    end: int
    term: Term


@dataclass(frozen=True)
class _Entry:
    length: int
    term: Term | None
    allow_categories: frozenset[str]
    left_edge: bool  # the key starts with an ASCII letter/digit
    right_edge: bool


class Matcher:
    def __init__(self, lists: WordLists, severity: Callable[[str], int]):
        """``severity(category)`` ranks policies; when one term is listed in two categories the
        stricter one is kept (and a warning says so)."""
        self.warnings: list[str] = []
        by_key: dict[str, Term] = {}
        for term in lists.terms:
            old = by_key.get(term.key)
            if old is None:
                by_key[term.key] = term
                continue
            if old.category != term.category:
                keep = term if severity(term.category) > severity(old.category) else old
                self.warnings.append(f"{term.source}: {term.term!r} is also listed at "
                                     f"{old.source}; the {keep.category} entry applies")
                by_key[term.key] = keep
            elif old.replacement is None and term.replacement is not None:
                by_key[term.key] = term
        allows: dict[str, set[str]] = {}
        for allow in lists.allows:
            allows.setdefault(allow.key, set()).add(allow.category)
        self._automaton = ahocorasick.Automaton()
        for key in by_key.keys() | allows.keys():
            self._automaton.add_word(key, _Entry(
                len(key), by_key.get(key), frozenset(allows.get(key, ())),
                _is_ascii_alnum(key[0]), _is_ascii_alnum(key[-1])))
        self.term_count = len(by_key)
        self._empty = not by_key
        if not self._empty:
            self._automaton.make_automaton()
        self._check_replacements(by_key.values())

    def _check_replacements(self, terms) -> None:
        problems = []
        for term in terms:
            if term.replacement:
                for m in self.find(term.replacement):
                    problems.append(f"{term.source}: replacement {term.replacement!r} contains "
                                    f"the listed term {m.term.term!r} ({m.term.source})")
        if problems:
            raise WordListError(problems)

    def find(self, text: str) -> list[Match]:
        """Chosen matches in ``text``, in order, positions in the original text."""
        if self._empty or not text:
            return []
        skel = Skeleton.of(text)
        s = skel.text
        candidates: list[tuple[int, int, Term]] = []
        allowed: list[tuple[int, int, frozenset[str]]] = []
        folded = skel.folded
        for end_index, entry in self._automaton.iter(s):
            start = end_index - entry.length + 1
            end = end_index + 1
            if entry.allow_categories:
                allowed.append((start, end, entry.allow_categories))
            if entry.term is None:
                continue
            if entry.left_edge or entry.right_edge:
                # Word edges are judged in the original: a space or symbol there is a boundary.
                o_start, o_end = skel.original_span(start, end)
                if entry.left_edge and o_start > 0 and _is_ascii_alnum(folded[o_start - 1]):
                    continue
                if entry.right_edge and o_end < len(folded) and _is_ascii_alnum(folded[o_end]):
                    continue
            candidates.append((start, end, entry.term))
        if allowed:
            candidates = _outside_exceptions(candidates, allowed)
        candidates.sort(key=lambda c: (c[0], c[0] - c[1]))
        chosen: list[Match] = []
        reached = 0
        for start, end, term in candidates:
            if start < reached:
                continue
            o_start, o_end = skel.original_span(start, end)
            chosen.append(Match(o_start, o_end, term))
            reached = end
        return chosen


def _outside_exceptions(candidates, allowed):
    """Candidates not wholly inside an exception of their own category."""
    allowed.sort(key=lambda a: a[0])
    starts = [a[0] for a in allowed]
    longest = max(a[1] - a[0] for a in allowed)
    kept = []
    for c_start, c_end, term in candidates:
        j = bisect_right(starts, c_start) - 1
        covered = False
        while j >= 0 and starts[j] >= c_start - longest:
            a_start, a_end, cats = allowed[j]
            if a_end >= c_end and term.category in cats:
                covered = True
                break
            j -= 1
        if not covered:
            kept.append((c_start, c_end, term))
    return kept
