"""``variants check FILE…`` and ``variants render FILE [--count N] [--seed S]`` (design §8)."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("variants", help="check or render {a|b} variant templates")
    sub = parser.add_subparsers(dest="variants_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="report every error as FILE:line:col: message; exit 1 if any")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--var", action="append", default=[], metavar="NAME",
                       help="also allow variable ${NAME} (repeatable)")
    check.set_defaults(func=run_check)
    render = sub.add_parser("render", help="print renderings, one JSON string per line")
    render.add_argument("file", metavar="FILE")
    render.add_argument("--count", type=int, default=1, metavar="N")
    render.add_argument("--seed", default=None, metavar="S", help="same seed, same output")
    render.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="value of a variable (repeatable); unset variables print as ${name}")
    render.set_defaults(func=run_render)


def _read(path: str) -> str:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return fh.read()


def run_check(args: argparse.Namespace) -> int:
    from app.text.variants import check

    failed = False
    for path in args.files:
        try:
            errors = check(_read(path), args.var)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{path}: cannot read: {exc}", file=sys.stderr)
            failed = True
            continue
        for err in errors:
            print(f"{path}:{err}")
        failed = failed or bool(errors)
    return 1 if failed else 0


def run_render(args: argparse.Namespace) -> int:
    from app.text.variants import Renderer, VariantSyntaxError, parse

    if args.count < 0:
        print("--count must be 0 or more", file=sys.stderr)
        return 2
    values: dict[str, str] = {}
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"--var {item!r}: expected NAME=VALUE", file=sys.stderr)
            return 2
        values[name] = value
    try:
        template = parse(_read(args.file), values.keys())
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.file}: cannot read: {exc}", file=sys.stderr)
        return 1
    except VariantSyntaxError as exc:
        for err in exc.errors:
            print(f"{args.file}:{err}", file=sys.stderr)
        return 1
    seed: int | str | None = args.seed
    if seed is not None and seed.lstrip("-").isdigit():
        seed = int(seed)
    filled = {name: values.get(name, f"${{{name}}}") for name in template.variables}
    renderer = Renderer(seed)
    for _ in range(args.count):
        print(json.dumps(renderer.render(template, filled), ensure_ascii=False))
    return 0
