"""Where the code reads config options, found in its source (for the tests that tie the option
declarations to the code).

A read is a call with two adjacent string arguments naming a section and one of its options —
``snap.get("audio", "gap_ms")``, ``g("reply", "welcome")``, ``resolve(snap, "store", "db_path")``,
``_get(store, "ui", "dashboard_refresh_hz", 10)``, ``snap.get(f"voice.{name}", "speed")`` — or a
call with the string ``"section.key"`` as an argument (``require_secret("llm.api_key", …)``).
A name in a table (``REPLY_LIVE = ("reply", …)``) is not a read: it is what is checked.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

from app import config

ROOT = Path(__file__).resolve().parents[3]


def _section_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        head = str(node.values[0].value)
        if head.endswith("."):
            return head[:-1]  # f"voice.{name}" → voice
    return None


def _option(section: str, key: str) -> tuple[str, str] | None:
    base = section.partition(".")[0]
    spec = next((s for s in config.schema.sections if s.name == base), None)
    if spec is None or spec.option(key) is None or (section != base and not spec.pattern):
        return None
    return base, key


def read_calls(code: str | ast.AST) -> Iterator[tuple[ast.Call, tuple[str, str]]]:
    """Every (call, (section, key)) that reads an option in ``code`` (source or a parsed tree)."""
    for node in ast.walk(ast.parse(code) if isinstance(code, str) else code):
        if not isinstance(node, ast.Call):
            continue
        args = node.args
        for first, second in itertools.pairwise(args):
            section = _section_of(first)
            if section is not None and isinstance(second, ast.Constant) and isinstance(second.value, str):
                found = _option(section, second.value)
                if found:
                    yield node, found
        for arg in args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "." in arg.value:
                found = _option(*arg.value.rsplit(".", 1))
                if found:
                    yield node, found


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def options_read(*folders: str) -> dict[tuple[str, str], list[str]]:
    """(section, key) → ["file:line", …] of every read in ``folders`` (relative to the repo)."""
    out: dict[tuple[str, str], list[str]] = {}
    for path in python_files(*folders):
        for call, option in read_calls(path.read_text(encoding="utf-8")):
            out.setdefault(option, []).append(f"{path.relative_to(ROOT)}:{call.lineno}")
    return out
