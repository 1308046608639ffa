"""Rules for the tests themselves: a test checks what the code does through its public face, so
a refactoring that keeps the behaviour keeps the tests green (and a test that pokes at private
state proves nothing a user would notice)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Not tests of the app: the stand-ins (fakes of outside services, reading their own state) and
#: the benchmarks.
NOT_TESTS = ("tests/standins/", "tests/bench/")
#: Still reading the bus's private state, until the bus offers a public reading (its owned
#: redis-server's pid and restarts, its open subscriptions): the bus is being reworked.
WAITING_FOR_THE_BUS = ("tests/unit/bus/", "tests/pipeline/test_nothing_left_running.py")
#: Private names of Python (and PyInstaller's ``sys._MEIPASS``) that are the documented way.
STDLIB_PRIVATE = {("os", "_exit"), ("sys", "_MEIPASS"), ("sys", "_current_frames")}


def private_reads(path: Path, rel: str) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner not in ("self", "cls") and (owner, node.attr) not in STDLIB_PRIVATE:
                found.append(f"{rel}:{node.lineno}: reads .{node.attr}")
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("setattr", "delattr")
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
              and str(node.args[1].value).startswith("_") and not str(node.args[1].value).startswith("__")):
            owner = node.args[0].id if isinstance(node.args[0], ast.Name) else None
            if (owner, node.args[1].value) not in STDLIB_PRIVATE:
                found.append(f"{rel}:{node.lineno}: patches {node.args[1].value}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "app":
            found += [f"{rel}:{node.lineno}: imports {a.name} from {node.module}" for a in node.names
                      if a.name.startswith("_")]
    return found


def violations(root: Path) -> list[str]:
    out = []
    for path in sorted((root / "tests").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if not rel.startswith(NOT_TESTS + WAITING_FOR_THE_BUS):
            out += private_reads(path, rel)
    return out


def test_no_test_reads_private_attributes_of_the_app():
    assert violations(ROOT) == []


def test_the_rule_catches_a_private_read_a_patch_and_an_import(tmp_path):
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_x.py").write_text(
        "from app.preflight.feed import _Probe\n"
        "def test_a(monkeypatch, pool):\n"
        "    assert pool._jobs\n"
        "    monkeypatch.setattr(pool, '_insert', None)\n"
        "    self._fine = os._exit\n", encoding="utf-8")
    assert violations(tmp_path) == ["tests/unit/test_x.py:1: imports _Probe from app.preflight.feed",
                                    "tests/unit/test_x.py:3: reads ._jobs",
                                    "tests/unit/test_x.py:4: patches _insert"]
