"""Static check: every config option the code reads exists in the schema.

The access forms it finds (and the ones code in app/ must use for a literal option):
- ``<anything>.get("section", "key")`` where "section" is a config section (or
  ``f"voice.{name}"`` for a pattern section) or the receiver is a snapshot-looking name
  (snap, snapshot, cfg, conf, settings, current);
- ``snap.section.key`` / ``snapshot.section.key`` / ``….current.section.key``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from app import config

APP = Path(__file__).resolve().parents[3] / "app"
_RECEIVER = re.compile(r"(snap|snapshot|cfg|conf|settings|current)$")
_KEY = re.compile(r"[a-z_][a-z0-9_]*$")


def _receiver_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _section_arg(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        head = str(node.values[0].value)
        if head.endswith("."):
            return head + "NAME"  # f"voice.{name}" → voice.NAME
    return None


def config_reads(source: str) -> list[tuple[int, str, str]]:
    """(line, section, key) of every config read in ``source``."""
    sections = {s.name for s in config.schema.sections}
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and len(node.args) == 2 and not node.keywords):
            section = _section_arg(node.args[0])
            key = node.args[1]
            if section is None or not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            if not _KEY.match(key.value):
                continue
            if section.partition(".")[0] in sections or _RECEIVER.search(_receiver_name(node.func.value)):
                found.append((node.lineno, section, key.value))
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
              and _RECEIVER.search(_receiver_name(node.value.value))
              and node.value.attr in sections):
            found.append((node.lineno, node.value.attr, node.attr))
    return found


def unknown_reads(source: str) -> list[str]:
    bad = []
    for line, section, key in config_reads(source):
        if config.schema.option(section, key) is None or (
                config.schema.section_for(section) is None and not section.endswith(".NAME")):
            bad.append(f"{line}: [{section}] {key}")
    return bad


SAMPLE = '''
def build(snap, store, data, name):
    a = snap.get("audio", "chunk_bytes")
    b = store.current.get("tts", "servers")
    c = snap.audio.gap_ms
    d = snap.get(f"voice.{name}", "speed")
    e = snap.get("audio", "chunk_size")          # typo: not an option
    f = store.current.priority.interupt_gap      # typo
    g = cfg.get("audoi", "gap_ms")               # unknown section
    h = data.get("name", "")                     # a dict, not config
    i = data.get("title", "untitled")            # a dict, not config
'''


def test_the_scanner_finds_reads_and_flags_unknown_ones():
    reads = config_reads(SAMPLE)
    assert [(s, k) for _, s, k in sorted(reads)] == [
        ("audio", "chunk_bytes"), ("tts", "servers"), ("audio", "gap_ms"), ("voice.NAME", "speed"),
        ("audio", "chunk_size"), ("priority", "interupt_gap"), ("audoi", "gap_ms")]
    assert unknown_reads(SAMPLE) == ["7: [audio] chunk_size", "8: [priority] interupt_gap", "9: [audoi] gap_ms"]


def test_every_config_read_in_app_exists_in_the_schema():
    problems = []
    for path in sorted(APP.rglob("*.py")):
        problems += [f"{path.relative_to(APP.parent)}:{p}"
                     for p in unknown_reads(path.read_text(encoding="utf-8"))]
    assert problems == [], "config options read by the code but not declared in app/config"
