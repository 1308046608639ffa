"""`python main.py compliance check FILE…`: every listed term in the files, as
FILE:line:col: category: term. Exit 1 if any hit, 2 if a file or the lists cannot be read."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compliance", help="check texts against the advertising-law and platform word lists")
    sub = parser.add_subparsers(dest="compliance_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="print FILE:line:col: category: term for each hit; "
                           "exit 1 if any")
    check.add_argument("files", nargs="+", metavar="FILE", help="text files (UTF-8); - for stdin")
    check.add_argument("--lists", metavar="DIR",
                       help="word list folder (default: data/compliance)")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from app.compliance import ComplianceFilter, WordListError

    try:
        checker = ComplianceFilter.from_dir(args.lists)
    except WordListError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    any_hit = False
    unreadable = False
    for name in args.files:
        try:
            text = sys.stdin.read() if name == "-" else _read(name)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{name}: cannot read: {exc}", file=sys.stderr)
            unreadable = True
            continue
        for hit in checker.check_text(text):
            any_hit = True
            print(f"{name}:{hit.line}:{hit.col}: {hit.category}: {hit.term}")
    if unreadable:
        return 2
    return 1 if any_hit else 0


def _read(name: str) -> str:
    with open(name, encoding="utf-8-sig", newline="") as f:
        # newline="" keeps "\r\n" as two characters so columns match what editors show
        return f.read().replace("\r\n", "\n")
