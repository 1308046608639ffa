"""The command line of design §8.

Each subcommand lives in its own module in this package and defines
``register(subparsers) -> None``, adding a parser whose ``func(args) -> int`` runs it. The
dispatcher finds the modules itself, so adding a subcommand touches no shared file. A module
must not import heavy dependencies at import time (``--help`` stays fast): import inside
``func``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil

# Fixed list for PyInstaller (it cannot see pkgutil discovery) is derived in build.spec via
# collect_submodules("app.cli").


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="抖音电商无人直播控制台 / Douyin unattended-livestream controller. "
        "Without a subcommand the desktop app starts.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. Without one, print help (the GUI is started by main.py, because
    `app/` never imports Qt)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


def wants_gui(argv: list[str]) -> bool:
    """True when the command line names no subcommand (the GUI is the default action).
    Options of the GUI that take a value (``--config PATH``) are skipped, not read as commands."""
    if {"-h", "--help"} & set(argv):
        return False
    words = iter(argv)
    for word in words:
        if word in GUI_OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return False
    return True


#: GUI options followed by a value (ui/app.py parses them).
GUI_OPTIONS_WITH_VALUE = frozenset({"--config", "--review-snapshot"})
