"""A parsed template: rendering with a given random source, counting, enumerating."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable, Mapping

from app.text.variants.syntax import (
    KNOWN_VARIABLES,
    VAR_MARK,
    Group,
    MissingVariable,
    Var,
    VariantError,
    VariantSyntaxError,
    normalise,
    parse_tree,
)

#: Up to this many option paths a template's distinct renderings are enumerated, so the
#: renderer can cycle through every one of them before repeating.
ENUMERATE_LIMIT = 4096


class Template:
    """An immutable parsed template. Build with :func:`parse` (cached by source text)."""

    __slots__ = ("source", "parts", "variables", "_count", "_distinct")

    def __init__(self, source: str, parts: tuple, variables: frozenset[str]):
        self.source = source
        self.parts = parts
        self.variables = variables  # names of the ${…} used
        self._count: int | None = None
        self._distinct: tuple[str, ...] | None = None

    def count(self) -> int:
        """Number of distinct option *paths* (exact, arbitrary size).

        Paths, not strings: ``{a|a}`` counts 2 and ``{|呢}`` counts 2. Two paths can give equal
        text only when the author wrote the same words twice, so for real scripts this is
        the number of different readings; :meth:`distinct_raw` gives exact strings for small
        templates.
        """
        if self._count is None:
            self._count = _count_seq(self.parts)
        return self._count

    def render_raw(self, rng: random.Random) -> str:
        """One rendering with variables still as markers (see :meth:`fill`)."""
        out: list[str] = []
        _emit(self.parts, rng.random, out)
        return "".join(out)

    def render(self, rng: random.Random, variables: Mapping[str, object] | None = None) -> str:
        """One random rendering, variables filled; no memory of earlier ones (see Renderer)."""
        return self.fill(self.render_raw(rng), variables or {})

    def fill(self, raw: str, variables: Mapping[str, object]) -> str:
        """Replace the variable markers of a raw rendering with ``variables`` values.

        Values are inserted verbatim (a nickname containing ``{`` is not template syntax)."""
        if not self.variables:
            return raw
        pieces = raw.split(VAR_MARK)
        for i in range(1, len(pieces), 2):
            name = pieces[i]
            if name not in variables:
                raise MissingVariable(name)
            pieces[i] = str(variables[name])
        return "".join(pieces)

    def distinct_raw(self) -> tuple[str, ...] | None:
        """Every distinct raw rendering, sorted, when there are at most ENUMERATE_LIMIT paths;
        else None."""
        if self._distinct is None and self.count() <= ENUMERATE_LIMIT:
            self._distinct = tuple(sorted(_enumerate_seq(self.parts)))
        return self._distinct

    def __repr__(self) -> str:
        head = self.source[:30] + ("…" if len(self.source) > 30 else "")
        return f"Template({head!r}, count={self.count()})"


def _emit(parts, rnd, out: list) -> None:
    for p in parts:
        cls = p.__class__
        if cls is str:
            out.append(p)
        elif cls is Group:
            o = p.options[int(rnd() * p.n)]
            if o.__class__ is str:
                out.append(o)
            else:
                _emit(o, rnd, out)
        else:
            out.append(p.marker)


def _count_seq(parts) -> int:
    total = 1
    for p in parts:
        if p.__class__ is Group:
            total *= sum(1 if o.__class__ is str else _count_seq(o) for o in p.options)
    return total


def _enumerate_seq(parts) -> set[str]:
    results = {""}
    for p in parts:
        if p.__class__ is str:
            results = {r + p for r in results}
        elif p.__class__ is Var:
            results = {r + p.marker for r in results}
        else:
            opts: set[str] = set()
            for o in p.options:
                opts |= {o} if o.__class__ is str else _enumerate_seq(o)
            results = {r + o for r in results for o in opts}
    return results


def _allowed(extra: Iterable[str]) -> frozenset[str]:
    return KNOWN_VARIABLES | frozenset(extra)


@functools.lru_cache(maxsize=2048)
def _parse_cached(text: str, extra: frozenset[str]) -> Template | VariantSyntaxError:
    source = normalise(text)
    parts, used, errors = parse_tree(source, _allowed(extra))
    if errors:
        return VariantSyntaxError(errors)
    return Template(source, parts, used)


def parse(text: str, extra_variables: Iterable[str] = ()) -> Template:
    """The template of ``text``; raises VariantSyntaxError listing every error.

    Cached by (text, extra variables): parsing the same script again costs a dict lookup."""
    result = _parse_cached(text, frozenset(extra_variables))
    if isinstance(result, VariantSyntaxError):
        raise VariantSyntaxError(result.errors)
    return result


def check(text: str, extra_variables: Iterable[str] = ()) -> list[VariantError]:
    """Every error of ``text`` in order (empty when it is a valid template)."""
    result = _parse_cached(text, frozenset(extra_variables))
    return list(result.errors) if isinstance(result, VariantSyntaxError) else []


def literal(text: str) -> str:
    """``text`` escaped so it parses as itself (for speaking a plain base script)."""
    return "".join("\\" + c if c in "{}|\\$" else c for c in text.replace("\x00", ""))
