"""Rendering with memory: the same template is not read the same way twice in a row.

Anti-repetition, per template (keyed by its source text):
- small templates (at most ``ENUMERATE_LIMIT`` paths): every distinct rendering is known, and
  each one is used once before any repeats (a cycle); the first of a new cycle is never the
  last of the previous one when there are two or more;
- large templates: the last ``memory`` renderings are remembered and a draw that hits one of
  them is redrawn (a few tries; with ≥ 1,000,000 readings a hit is already rare).
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from app.recent import Recent
from app.text.variants.template import Template, parse

_REDRAWS = 8


class _SmallHistory:
    __slots__ = ("all", "seen", "last")

    def __init__(self, all_raw: tuple[str, ...]):
        self.all = all_raw
        self.seen: set[str] = set()
        self.last: str | None = None


class Renderer:
    """Seeded renderer; the same seed and the same calls give the same texts.

    Not thread-safe: give each thread (stage) its own renderer.
    """

    def __init__(self, seed: int | str | None = None, *, memory: int = 1000, max_templates: int = 512):
        self.rng = random.Random(seed)
        self.memory = memory
        self.max_templates = max_templates
        self._histories: Recent[str, _SmallHistory | Recent[str, None]] = Recent(max(1, max_templates))

    def render(self, template: Template | str, variables: Mapping[str, object] | None = None,
               **more: object) -> str:
        """A rendering of ``template`` (a Template or template text) not used recently.

        Variables come from ``variables`` and keyword arguments; a variable the template uses
        but no value was given for raises MissingVariable.
        """
        if isinstance(template, str):
            template = parse(template)
        raw = self.render_raw(template)
        values = dict(variables or {}, **more) if more else (variables or {})
        return template.fill(raw, values)

    def render_raw(self, template: Template) -> str:
        hist = self._history(template)
        if isinstance(hist, _SmallHistory):
            return self._draw_small(template, hist)
        return self._draw_large(template, hist)

    def _history(self, template: Template):
        key = template.source
        hist = self._histories.get(key)
        if hist is None:
            distinct = template.distinct_raw()
            hist = _SmallHistory(distinct) if distinct is not None else Recent(max(1, self.memory))
            self._histories[key] = hist
        else:
            self._histories.touch(key)
        return hist

    def _draw_small(self, template: Template, hist: _SmallHistory) -> str:
        if len(hist.seen) >= len(hist.all):
            hist.seen = set()  # a new cycle
        # Drawing through the tree keeps options equally likely; the fallback picks among the
        # unseen directly so a cycle always completes.
        avoid = hist.seen if hist.seen else ({hist.last} if len(hist.all) > 1 else set())
        for _ in range(_REDRAWS):
            raw = template.render_raw(self.rng)
            if raw not in avoid:
                break
        else:
            raw = self.rng.choice([r for r in hist.all if r not in avoid])
        hist.seen.add(raw)
        hist.last = raw
        return raw

    def _draw_large(self, template: Template, recent: Recent[str, None]) -> str:
        """A rendering not among the last ``memory`` ones, if a few draws find one."""
        raw = template.render_raw(self.rng)
        tries = 1
        while raw in recent and tries < _REDRAWS:
            raw = template.render_raw(self.rng)
            tries += 1
        recent.add(raw)
        return raw

    def forget(self, template: Template | str | None = None) -> None:
        """Drop the memory of one template (or of all)."""
        if template is None:
            self._histories.clear()
        else:
            self._histories.pop(template if isinstance(template, str) else template.source, None)
