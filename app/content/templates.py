"""Reaction templates: ``data/templates/<name>.txt``, one variant template per file.

Names used by the app: gift_thanks, welcome, follow_thanks, like_milestone, filler, bridge,
follow_reminder, self_intro, time_report, coupon_reminder. Global timed tasks live beside them
in ``timed.json`` (a list of timed task objects, see app.content.timed).

Files are re-read when their mtime/size changes (checked at most once per ``check_interval``).
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

from app import paths
from app.content.atomic import read_text, write_text_atomic
from app.content.timed import TimedTask, TimedTaskError, timed_from_dict
from app.text.variants import Renderer, Template, VariantError, check, parse

NAME = re.compile(r"^[\w-]+$")
SUFFIX = ".txt"


class TemplateError(LookupError):
    """A template that is missing or invalid; the text names the file and the problems."""


class Templates:
    def __init__(self, root: str | Path | None = None, *, seed: int | str | None = None,
                 check_interval: float = 1.0, clock=time.monotonic):
        self.root = Path(root) if root is not None else paths.data_dir() / "templates"
        if root is None and not self.root.exists():
            self.root = paths.bundled_data_dir() / "templates"
        self.check_interval = check_interval
        self._clock = clock
        self._lock = threading.RLock()
        self._renderer = Renderer(seed)
        self._cache: dict[str, tuple[tuple, Template | list[VariantError], str]] = {}
        self._checked_at: float | None = None

    def _refresh(self) -> None:
        now = self._clock()
        if self._checked_at is not None and now - self._checked_at < self.check_interval:
            return
        self._checked_at = now
        seen = set()
        if self.root.is_dir():
            for p in self.root.glob(f"*{SUFFIX}"):
                name = p.name[: -len(SUFFIX)]
                if not NAME.match(name):
                    continue
                seen.add(name)
                st = p.stat()
                stamp = (st.st_mtime_ns, st.st_size)
                cached = self._cache.get(name)
                if cached and cached[0] == stamp:
                    continue
                text = read_text(p)
                errors = check(text)
                self._cache[name] = (stamp, errors if errors else parse(text), text)
        for name in set(self._cache) - seen:
            del self._cache[name]

    def names(self) -> list[str]:
        with self._lock:
            self._refresh()
            return sorted(self._cache)

    def get(self, name: str) -> Template:
        with self._lock:
            self._refresh()
            entry = self._cache.get(name)
        path = self.root / f"{name}{SUFFIX}"
        if entry is None:
            raise TemplateError(f"{path}: no such template")
        if isinstance(entry[1], list):
            raise TemplateError("\n".join(f"{path}:{e}" for e in entry[1]))
        return entry[1]

    def has(self, name: str) -> bool:
        with self._lock:
            self._refresh()
            entry = self._cache.get(name)
        return entry is not None and isinstance(entry[1], Template)

    def text(self, name: str) -> str | None:
        with self._lock:
            self._refresh()
            entry = self._cache.get(name)
        return entry[2] if entry else None

    def render(self, name: str, /, variables: dict | None = None, **values: object) -> str:
        """A fresh rendering of template ``name`` (not repeating recent ones)."""
        template = self.get(name)
        with self._lock:
            return self._renderer.render(template, dict(variables or {}, **values)).strip()

    def render_text(self, source: str, /, variables: dict | None = None, **values: object) -> str:
        """Render an inline template text with the same anti-repetition memory. The values'
        names are known variables too (a FAQ reply may use its product's own ``${…}``)."""
        merged = dict(variables or {}, **values)
        with self._lock:
            return self._renderer.render(parse(source, merged.keys()), merged).strip()

    def problems(self) -> list[str]:
        with self._lock:
            self._refresh()
            items = sorted(self._cache.items())
        return [f"{self.root / (n + SUFFIX)}:{e}" for n, (_, t, _) in items if isinstance(t, list) for e in t]

    def save(self, name: str, text: str) -> list[VariantError]:
        """Save atomically (even when invalid: nothing typed is lost); returns its errors."""
        if not NAME.match(name):
            raise ValueError(f"template name {name!r} may only contain letters, digits, '_' and '-'")
        write_text_atomic(self.root / f"{name}{SUFFIX}", text)
        with self._lock:
            self._checked_at = None
        return check(text)

    def timed_tasks(self) -> list[TimedTask]:
        """Global timed tasks from ``timed.json``; a bad file raises TimedTaskError naming it."""
        path = self.root / "timed.json"
        if not path.exists():
            return []
        try:
            data = json.loads(read_text(path))
        except json.JSONDecodeError as exc:
            raise TimedTaskError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
        if not isinstance(data, list):
            raise TimedTaskError(f"{path}: must be a list of timed tasks")
        tasks, problems = [], []
        for i, item in enumerate(data):
            try:
                tasks.append(timed_from_dict(item, where=f"{path}: [{i}]"))
            except TimedTaskError as exc:
                problems.append(str(exc))
        if problems:
            raise TimedTaskError("\n".join(problems))
        return tasks
