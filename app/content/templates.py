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
from app.content.atomic import write_text_atomic
from app.content.textfile import (
    UnreadableFile,
    json_lines,
    line_of,
    read_operator_text,
    without_final_newlines,
)
from app.content.timed import TimedTask, TimedTaskError, timed_from_dict
from app.logs import get_logger
from app.text.variants import Renderer, Template, VariantError, check, parse

log = get_logger("content")

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
        self._notices: list[str] = []

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
                try:
                    st = p.stat()
                except OSError:  # removed or renamed since the listing
                    continue
                seen.add(name)
                stamp = (st.st_mtime_ns, st.st_size)
                cached = self._cache.get(name)
                if cached and cached[0] == stamp:
                    continue
                self._cache[name] = self._load(p, stamp)
        for name in set(self._cache) - seen:
            del self._cache[name]

    def _load(self, path: Path, stamp: tuple) -> tuple[tuple, Template | list[VariantError], str]:
        """One template file: parsed, or its errors. A file that cannot be read is an error at
        its line (never an exception out of a render); its final newline is not spoken."""
        try:
            text, notice = read_operator_text(path)
        except UnreadableFile as exc:
            log.warning("%s", exc)
            return stamp, [VariantError(exc.line, 1, exc.reason)], ""
        except OSError as exc:
            log.warning("%s: 无法读取（%s）", path, exc)
            return stamp, [VariantError(1, 1, f"无法读取（{exc.strerror or exc}）")], ""
        if notice:
            self._notices.append(notice)
        source = without_final_newlines(text)
        errors = check(source)
        return stamp, errors if errors else parse(source), text

    def notices(self) -> list[str]:
        """Template files converted while reading (GBK → UTF-8, original kept as a backup)."""
        with self._lock:
            return list(self._notices)

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
            raw, notice = read_operator_text(path)
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise TimedTaskError(f"{path}:{exc.lineno}:{exc.colno}: JSON 格式错误（{exc.msg}）："
                                 f"检查这里附近的逗号、引号和括号") from None
        except UnreadableFile as exc:
            raise TimedTaskError(str(exc)) from None
        except (OSError, RecursionError) as exc:
            raise TimedTaskError(f"{path}:1: 无法读取（{exc}）") from None
        if notice:
            with self._lock:
                self._notices.append(notice)
        if not isinstance(data, list):
            raise TimedTaskError(f"{path}:1: 必须是定时任务的列表 [ … ]")
        tasks, problems = [], []
        lines = json_lines(raw)
        for i, item in enumerate(data):
            try:
                tasks.append(timed_from_dict(item, where=f"{path}:{line_of(lines, (i,)) or 1}: [{i}]"))
            except TimedTaskError as exc:
                problems.append(str(exc))
        if problems:
            raise TimedTaskError("\n".join(problems))
        return tasks
