"""Finding listed terms in text: one Aho-Corasick automaton over the folded skeleton.

Terms and exceptions share the automaton. All matches are collected, matches inside an
exception of their category are discarded, and the rest are chosen leftmost-longest without
overlap (so ``全网最低价`` wins over ``最低`` and ``最``).

Terms that begin or end with an ASCII letter or digit (sb, vx, 100%) only match where the
neighbouring skeleton character is not an ASCII letter or digit: otherwise "is bad" (skeleton
"isbad") would contain "sb". Chinese has no such word boundaries, which is why the allow lists
exist.

Sound-alikes (``*.map.txt``: 醉 => 最) are added as *variants* of the listed terms: every term of
two or more characters is also matched with any of its characters written as one of their
sound-alikes (最好用 also as 醉好用, 蕞好用, zui好用; 顶级 also as 鼎级, 顶极, 鼎极). The rule that
keeps ordinary words safe:
- a sound-alike never stands for a one-character term on its own: 醉 is not 最, so 陶醉, 醉了
  and 喝醉 stay as they are (the lone 最 is only listed to catch the real character);
- a variant hit whose sound-alike lies inside an everyday word of the map files (喝醉, 陶醉,
  解决) is not a hit: "他喝醉好几次" has 醉好 in it, but its 醉 belongs to 喝醉.
A variant hit reports the listed term (最好用) with the text that matched (醉好用).
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ahocorasick

from app.compliance.normalize import Skeleton
from app.compliance.wordlists import SoundAlike, Term, WordListError, WordLists

#: Variants per term at most (a long term full of sound-alike targets would multiply).
MAX_VARIANTS = 256


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
    swaps: tuple[tuple[int, int], ...] = ()  # a variant: [start, end) of its sound-alikes in the key
    literal: bool = False  # an everyday word in which a sound-alike means itself


Swaps = tuple[tuple[int, int], ...]


def variants(key: str, by_target: dict[str, list[str]]) -> Iterable[tuple[str, Swaps]]:
    """Each spelling of ``key`` with one or more of its characters written as a sound-alike, and
    where the sound-alikes lie in it. None for one-character keys (醉 alone is not 最)."""
    if len(key) < 2:
        return
    choices = [[ch, *by_target.get(ch, ())] for ch in key]
    if all(len(c) == 1 for c in choices):
        return
    for n, combo in enumerate(itertools.product(*choices)):
        if n == 0:
            continue  # the key itself
        if n > MAX_VARIANTS:
            break
        swaps, pos = [], 0
        for ch, piece in zip(key, combo, strict=True):
            if piece != ch:
                swaps.append((pos, pos + len(piece)))
            pos += len(piece)
        yield "".join(combo), tuple(swaps)


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
        literals = {lit.key for lit in lists.literals}
        self._automaton = ahocorasick.Automaton()
        for key in by_key.keys() | allows.keys() | literals:
            self._automaton.add_word(key, _Entry(
                len(key), by_key.get(key), frozenset(allows.get(key, ())),
                _is_ascii_alnum(key[0]), _is_ascii_alnum(key[-1]), literal=key in literals))
        self.variant_count = self._add_variants(by_key, allows, literals, lists.sound_alikes)
        self.term_count = len(by_key)
        self._empty = not by_key
        if not self._empty:
            self._automaton.make_automaton()
        self._check_replacements(by_key.values())

    def _add_variants(self, by_key: dict[str, Term], allows, literals: set[str],
                      sound_alikes: tuple[SoundAlike, ...]) -> int:
        """Sound-alike spellings of the terms; a spelling that is itself listed (as a term, an
        exception or an everyday word) keeps its own meaning."""
        by_target: dict[str, list[str]] = {}
        for alike in sound_alikes:
            if alike.key not in by_target.setdefault(alike.target, []):
                by_target[alike.target].append(alike.key)
        if not by_target:
            return 0
        taken = by_key.keys() | allows.keys() | literals
        added = 0
        for key, term in by_key.items():
            for spelling, swaps in variants(key, by_target):
                if spelling in taken:
                    continue
                taken.add(spelling)
                self._automaton.add_word(spelling, _Entry(
                    len(spelling), term, frozenset(), _is_ascii_alnum(spelling[0]),
                    _is_ascii_alnum(spelling[-1]), swaps))
                added += 1
        return added

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
        literal_spans: list[tuple[int, int]] = []
        swapped: list[tuple[int, int, Term, tuple[tuple[int, int], ...]]] = []
        n = len(skel.folded)
        for end_index, entry in self._automaton.iter(s):
            start = end_index - entry.length + 1
            end = end_index + 1
            if entry.allow_categories:
                allowed.append((start, end, entry.allow_categories))
            if entry.literal:
                literal_spans.append((start, end))
            if entry.term is None:
                continue
            if entry.left_edge or entry.right_edge:
                # Word edges are judged in the original: a space or symbol there is a boundary.
                o_start, o_end = skel.original_span(start, end)
                if entry.left_edge and o_start > 0 and skel.is_latin_at(o_start - 1):
                    continue
                if entry.right_edge and o_end < n and skel.is_latin_at(o_end):
                    continue
            if entry.swaps:
                swapped.append((start, end, entry.term, entry.swaps))
            else:
                candidates.append((start, end, entry.term))
        if swapped:
            candidates += _outside_literals(swapped, literal_spans)
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


def _outside_literals(swapped, literal_spans):
    """Variant hits none of whose sound-alikes lies inside an everyday word (喝醉 in 喝醉好几次)."""
    if not literal_spans:
        return [(start, end, term) for start, end, term, _ in swapped]
    literal_spans.sort()
    starts = [ls for ls, _ in literal_spans]
    longest = max(le - ls for ls, le in literal_spans)

    def inside(s: int, e: int) -> bool:
        j = bisect_right(starts, s) - 1
        while j >= 0 and starts[j] >= s - longest:
            if literal_spans[j][1] >= e:
                return True
            j -= 1
        return False

    return [(start, end, term) for start, end, term, swaps in swapped
            if not any(inside(start + s, start + e) for s, e in swaps)]


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
