"""What the code imports, checked from the source: no import cycle inside ``app/`` (a cycle makes
import order matter and hides which module owns what), and no pinned runtime requirement that
nothing uses (it would be installed, frozen into the build and kept up to date for nothing)."""

from __future__ import annotations

import ast
import graphlib
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement  # pytest's own dependency

ROOT = Path(__file__).resolve().parents[2]

#: Pinned runtime requirements no source file imports, with the reason each is still needed.
NOT_IMPORTED_BUT_NEEDED: dict[str, str] = {
    "hiredis": "redis-py parses and packs with it when it is installed (the bus's throughput)",
}


# ---- the import graph ---------------------------------------------------------------------------


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def runtime_nodes(tree: ast.AST):
    """Every node, except those under ``if TYPE_CHECKING:`` (imports for the type checker only:
    they never run, so they cannot close a cycle)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``path`` (module ``name``) imports, anywhere in the file:
    an import inside a function still runs, so it can still close a cycle."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from pkg import sub`` imports the submodule; ``from mod import name`` the module
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # ``import a.b.c`` of a non-module: its package
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def import_graph(root: Path, package: str = "app") -> dict[str, set[str]]:
    files = {module_name(root, p): p for p in (root / package).rglob("*.py")}
    known = set(files)
    return {name: imports_of(path, name, known) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (first module repeated at the end), or None. A package's ``__init__``
    importing its own submodules is not a cycle by itself; a submodule importing its package
    back (``from app.config import …`` inside ``app.config``) closes one."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as err:
        return list(reversed(err.args[1]))
    return None


def test_no_import_cycle_inside_app():
    cycle = find_cycle(import_graph(ROOT))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_check_finds_a_cycle_through_a_lazy_import(tmp_path):
    (tmp_path / "app" / "config").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "logs.py").write_text(
        "def setup():\n    from app.config import Filter\n", encoding="utf-8")
    (tmp_path / "app" / "config" / "__init__.py").write_text(
        "from app.config.secrets import Filter\n", encoding="utf-8")
    (tmp_path / "app" / "config" / "secrets.py").write_text(
        "from app.logs import setup\nclass Filter: ...\n", encoding="utf-8")
    cycle = find_cycle(import_graph(tmp_path))
    assert cycle is not None and set(cycle) == {"app.logs", "app.config", "app.config.secrets"}
    (tmp_path / "app" / "logs.py").write_text("def setup():\n    pass\n", encoding="utf-8")
    assert find_cycle(import_graph(tmp_path)) is None


# ---- the pinned requirements --------------------------------------------------------------------


def pinned(path: Path) -> list[str]:
    """Distribution names pinned in a requirements file for this platform (``-r`` lines skipped:
    each file is checked on its own)."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate():
                names.append(req.name)
    return names


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_imports(paths: list[Path]) -> set[str]:
    out: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                out |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                out.add(node.module.split(".")[0])
            elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", ""))
                  in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)
                  and isinstance(node.args[0].value, str)):
                out.add(node.args[0].value.split(".")[0])
    return out


def requires(dist: str) -> set[str]:
    """The distributions ``dist`` depends on (for this platform, no extras)."""
    try:
        reqs = metadata.requires(dist) or []
    except metadata.PackageNotFoundError:
        return set()
    out = set()
    for line in reqs:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            out.add(normal(req.name))
    return out


def unused_requirements(requirements: Path, sources: list[Path]) -> list[str]:
    """Pinned distributions that no source imports and no imported distribution depends on."""
    provides: dict[str, set[str]] = {}  # distribution -> its top-level import names
    for module, dists in metadata.packages_distributions().items():
        for dist in dists:
            provides.setdefault(normal(dist), set()).add(module)
    imported = top_level_imports(sources) - set(sys.stdlib_module_names)
    used = {dist for dist, modules in provides.items() if modules & imported}
    needed, todo = set(used), list(used)
    while todo:  # and what those need, transitively
        for dep in requires(todo.pop()) - needed:
            needed.add(dep)
            todo.append(dep)
    return [name for name in pinned(requirements)
            if normal(name) not in needed and normal(name) not in NOT_IMPORTED_BUT_NEEDED]


def runtime_sources(root: Path) -> list[Path]:
    return [root / "main.py", root / "build.spec", *(root / "app").rglob("*.py"), *(root / "ui").rglob("*.py")]


def test_every_pinned_runtime_requirement_is_used():
    assert unused_requirements(ROOT / "requirements.txt", runtime_sources(ROOT)) == []


def test_the_requirement_check_finds_a_pin_nothing_imports(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "# a comment\nnumpy==2.4.6  # why\npydub==0.25.1\nnot-on-this-os==1.0; sys_platform == \"nowhere\"\n",
        encoding="utf-8")
    (tmp_path / "a.py").write_text("import numpy\n", encoding="utf-8")
    assert unused_requirements(tmp_path / "requirements.txt", [tmp_path / "a.py"]) == ["pydub"]
    # a pin imported by nobody but required by an imported package is needed (requests → idna)
    (tmp_path / "requirements.txt").write_text("requests==2.34.2\nidna==3.10\n", encoding="utf-8")
    (tmp_path / "a.py").write_text("def get():\n    import requests\n", encoding="utf-8")
    assert unused_requirements(tmp_path / "requirements.txt", [tmp_path / "a.py"]) == []


# ---- every import of our own code names a module that exists -------------------------------------


def missing_own_imports(root: Path, packages=("app", "ui", "scripts", "tests")) -> list[str]:
    """``file:line module`` for each import of an ``app``/``ui`` module that does not exist. A lazy
    import inside a function fails only when that code runs (a moved module once broke 试听 this
    way while every test of the move passed)."""
    known = {module_name(root, p) for pkg in ("app", "ui") for p in (root / pkg).rglob("*.py")}
    missing = []
    for pkg in packages:
        for path in (root / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
                if isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                for module in names:
                    if module.split(".")[0] in ("app", "ui") and module not in known:
                        missing.append(f"{path.relative_to(root)}:{node.lineno} {module}")
    return missing


def test_every_import_of_our_own_code_names_a_module_that_exists():
    assert missing_own_imports(ROOT) == []


def test_the_import_check_finds_a_lazy_import_of_a_module_that_moved(tmp_path):
    (tmp_path / "app" / "media").mkdir(parents=True)
    (tmp_path / "app" / "media" / "wav.py").write_text("", encoding="utf-8")
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "player.py").write_text("def play():\n    from app.audio.wav import read_wav\n",
                                               encoding="utf-8")
    assert missing_own_imports(tmp_path, packages=("ui",)) == ["ui/player.py:2 app.audio.wav"]
