"""`python main.py config …`: check config.ini, store a secret in the OS keyring, print the
default file or the schema.

    config check [FILE]          every problem as FILE:LINE: [section] key: …; exit 1 if any
    config set-secret NAME       read the secret from the terminal (hidden) or stdin, store it
    config defaults              print a complete config.ini with every default
    config schema                the option schema as JSON (for tools and the settings form)
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "config", help="检查配置、保存密钥 / check config.ini, store secrets, print defaults",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)

    check = actions.add_parser("check", help="validate config.ini and report every problem")
    check.add_argument("file", nargs="?", help="the file (default: config.ini of the app)")
    check.set_defaults(func=_check)

    secret = actions.add_parser("set-secret", help="store a secret (e.g. llm.api_key) in the OS keyring")
    secret.add_argument("name", help="the secret option, e.g. llm.api_key")
    secret.set_defaults(func=_set_secret)

    defaults = actions.add_parser("defaults", help="print a config.ini with every option at its default")
    defaults.set_defaults(func=_defaults)

    schema = actions.add_parser("schema", help="print the option schema as JSON")
    schema.set_defaults(func=_schema)


def _check(args) -> int:
    from pathlib import Path

    from app import config, paths

    path = Path(args.file) if args.file else paths.default_config_path()
    try:
        empty = not path.read_bytes().decode("utf-8-sig", "replace").strip()
    except OSError:
        empty = False  # the loader says what is wrong with the file
    if empty:  # valid, but surely not what the operator meant (issue 18.4)
        print(f"{path}: 文件是空的，全部使用默认设置；开播时会写入默认设置 / the file is empty: every option "
              f"is at its default", file=sys.stderr)
    try:
        snap = config.load(path)
    except config.ConfigErrors as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        print(f"{path}: {len(exc.errors)} problem(s)", file=sys.stderr)
        return 1
    changed = sum(1 for (s, k), v in snap.items()
                  if config.schema.option(s, k) and v != config.schema.option(s, k).default_value)
    print(f"{path}: OK ({len(list(snap.keys()))} options, {changed} differ from the default)")
    from app.wiring import config_warnings

    for warning in config_warnings(snap):
        print(f"  warning: {warning}")
    for opt in config.schema:
        if opt.secret:
            where = config.secret_source(f"{opt.section}.{opt.key}", snapshot=snap)
            print(f"  secret {opt.section}.{opt.key}: {'set (' + where + ')' if where else 'not set'}")
    return 0


def _set_secret(args) -> int:
    import getpass

    from app import config

    if sys.stdin.isatty():
        value = getpass.getpass(f"{args.name} (input hidden): ")
    else:
        value = sys.stdin.readline()
    value = value.strip()
    try:
        config.set_secret(args.name, value)
    except (KeyError, ValueError, config.SecretError) as exc:
        print(f"config set-secret: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 1
    print(f"{args.name}: stored in the OS keyring")
    return 0


def _defaults(args) -> int:
    from app import config

    sys.stdout.write(config.render_default())
    return 0


def _schema(args) -> int:
    import json

    from app import config

    print(json.dumps(config.schema.describe(), ensure_ascii=False, indent=1))
    return 0
