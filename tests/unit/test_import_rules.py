"""Architecture rules that must fail loudly when broken."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("live", "script", "reply", "llm", "tts", "audio")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            out.append((node.lineno, str(node.args[0].value)))
    return out


def violations(root: Path) -> list[str]:
    bad = []
    for path in sorted((root / "app").rglob("*.py")):
        rel = path.relative_to(root)
        stage = rel.parts[1] if len(rel.parts) > 2 else None
        for line, mod in imported_modules(path):
            top = mod.split(".")[0]
            if top in ("PyQt6", "PySide6", "PyQt5", "ui"):
                bad.append(f"{rel}:{line}: imports {mod} (app/ must not import Qt or ui)")
            if stage in STAGES and mod.startswith("app."):
                other = mod.split(".")[1]
                if other in STAGES and other != stage:
                    bad.append(f"{rel}:{line}: stage '{stage}' imports stage '{other}' ({mod})")
    return bad


def test_app_never_imports_qt_and_stages_do_not_import_each_other():
    assert violations(ROOT) == []


def test_the_rule_check_catches_a_violation(tmp_path):
    (tmp_path / "app" / "audio").mkdir(parents=True)
    (tmp_path / "app" / "audio" / "bad.py").write_text(
        "from PyQt6.QtCore import QObject\nimport app.tts.pool\n", encoding="utf-8")
    found = violations(tmp_path)
    assert any("imports PyQt6.QtCore" in v for v in found)
    assert any("stage 'audio' imports stage 'tts'" in v for v in found)


def test_the_gui_is_the_default_action_and_its_options_are_not_commands():
    from app.cli import wants_gui

    assert wants_gui([]) and wants_gui(["--demo"]) and wants_gui(["--config", "my.ini", "--demo"])
    assert not wants_gui(["run", "--headless"]) and not wants_gui(["--help"])
    assert not wants_gui(["--config", "my.ini", "self-test"])
