"""Keyword rules: "if a comment mentions these words, answer with this template".

A rule matches a text when it contains at least one ``any`` keyword (if it has any), every
``all`` keyword and no ``none`` keyword. All keywords of all rules go into ONE Aho-Corasick
automaton, so matching a comment is one pass over its characters however many rules exist;
only rules that share a found keyword are then checked.

Matching ignores case and full/half width (NFKC + casefold on both sides): "ＶＩＰ", "vip" and
"Vip" are the same keyword.

Best rule: lowest ``priority`` number first (the project's convention, design §5: lower is
more urgent), then a product rule before a global one, then the more specific rule (more
keywords found, then more matched characters), then the earlier rule.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick


def fold(text: str) -> str:
    """The form keywords and texts are compared in."""
    return unicodedata.normalize("NFKC", text).casefold()


class RuleError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class KeywordRule:
    id: str
    reply: str  # a variant template (design §6)
    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    priority: int = 0
    product: str | None = None  # product slug; None = global

    def __post_init__(self):
        if not any(k.strip() for k in self.any + self.all):
            raise RuleError(f"rule {self.id!r}: needs at least one 'any' or 'all' keyword")
        for k in self.any + self.all + self.none:
            if not isinstance(k, str) or not k.strip():
                raise RuleError(f"rule {self.id!r}: keywords must be non-empty strings, got {k!r}")


@dataclass(frozen=True)
class Match:
    rule: KeywordRule
    keywords: tuple[str, ...]  # the rule's keywords found in the text (folded)


class KeywordMatcher:
    """Precompiled matcher over a fixed set of rules (build a new one when rules change)."""

    def __init__(self, rules: Iterable[KeywordRule]):
        self.rules: tuple[KeywordRule, ...] = tuple(rules)
        self._any: list[frozenset[str]] = []
        self._all: list[frozenset[str]] = []
        self._none: list[frozenset[str]] = []
        by_keyword: dict[str, set[int]] = {}
        self._automaton = ahocorasick.Automaton()
        for i, rule in enumerate(self.rules):
            a = frozenset(fold(k).strip() for k in rule.any)
            b = frozenset(fold(k).strip() for k in rule.all)
            n = frozenset(fold(k).strip() for k in rule.none)
            self._any.append(a)
            self._all.append(b)
            self._none.append(n)
            for k in a | b:  # a rule becomes a candidate only through a positive keyword
                by_keyword.setdefault(k, set()).add(i)
            for k in n:
                by_keyword.setdefault(k, set())
        self._by_keyword = by_keyword
        for k in by_keyword:
            self._automaton.add_word(k, k)
        if by_keyword:
            self._automaton.make_automaton()

    def found(self, text: str) -> set[str]:
        """The (folded) keywords occurring in ``text``."""
        if not self._by_keyword:
            return set()
        return {k for _, k in self._automaton.iter(fold(text))}

    def matches(self, text: str, product: str | None = None) -> list[Match]:
        """Every rule matching ``text`` (global rules plus ``product``'s), best first."""
        found = self.found(text)
        candidates: set[int] = set()
        for k in found:
            candidates |= self._by_keyword[k]
        scored = []
        for i in candidates:
            rule = self.rules[i]
            if rule.product is not None and rule.product != product:
                continue
            if self._any[i] and not (self._any[i] & found):
                continue
            if not self._all[i] <= found or self._none[i] & found:
                continue
            hit = tuple(sorted((self._any[i] | self._all[i]) & found))
            key = (rule.priority, rule.product is None, -len(hit), -sum(len(k) for k in hit), i)
            scored.append((key, Match(rule, hit)))
        scored.sort(key=lambda s: s[0])
        return [m for _, m in scored]

    def match(self, text: str, product: str | None = None) -> KeywordRule | None:
        """The best matching rule, or None."""
        found = self.matches(text, product)
        return found[0].rule if found else None


def rule_from_dict(data: object, *, where: str, product: str | None = None, index: int = 0) -> KeywordRule:
    """A rule from its JSON form; errors name ``where`` (e.g. the file and rule index)."""
    if not isinstance(data, dict):
        raise RuleError(f"{where}: a rule must be an object, got {type(data).__name__}")
    unknown = set(data) - {"id", "any", "all", "none", "reply", "priority"}
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)}")
    lists = {}
    for key in ("any", "all", "none"):
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise RuleError(f"{where}: '{key}' must be a list of non-empty strings")
        lists[key] = tuple(value)
    reply = data.get("reply")
    if not isinstance(reply, str) or not reply.strip():
        raise RuleError(f"{where}: 'reply' must be a non-empty template string")
    priority = data.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise RuleError(f"{where}: 'priority' must be an integer")
    rule_id = data.get("id", f"{product or 'global'}#{index}")
    if not isinstance(rule_id, str):
        raise RuleError(f"{where}: 'id' must be a string")
    try:
        return KeywordRule(id=rule_id, reply=reply, priority=priority, product=product, **lists)
    except RuleError as exc:
        raise RuleError(f"{where}: {exc}") from None
