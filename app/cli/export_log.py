"""`python main.py export-log --since T [--until T] [--config F | --db PATH] [--session ID]
[--text S] [--viewer S] [--out FILE|-]`: the spoken record as CSV, the same columns as the
播出记录 view exports.

T is an ISO 8601 time (2025-01-31T20:00, local time unless it has an offset) or a span back
from now (90s, 30m, 2h, 1d). The database is the one runs write: ``[store] db_path`` of the
config (default: the app's config.ini; ``data/live.sqlite3`` when there is none yet).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import datetime
from pathlib import Path

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(value: str, now: float | None = None) -> float:
    """Epoch seconds for an ISO time or a relative span ("2h" = two hours ago)."""
    now = time.time() if now is None else now
    m = _SPAN.match(value)
    if m:
        return now - float(m.group(1)) * _UNIT_S[m.group(2)]
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} 既不是时间（如 2025-01-31T20:00）也不是时长（如 30m、2h、1d） / "
            f"{value!r} is neither an ISO time (2025-01-31T20:00) nor a span like 30m, 2h, 1d"
        ) from None
    if dt.tzinfo is None:
        dt = dt.astimezone()  # naive means the operator's local time
    return dt.timestamp()


class DbNotFound(Exception):
    """The database a command should read cannot be found; the message says where it looked."""


def resolve_db(config: str | None, db: str | None) -> Path:
    """The database runs write: ``db`` as given, else ``[store] db_path`` of ``config`` (the
    app's config.ini when None). Raises ``DbNotFound`` (with a Chinese + English message) when
    the config is broken or there is no database there."""
    from app import config as cfg
    from app import paths, wiring

    if db:
        path = Path(db)
    else:
        config_path = Path(config) if config else paths.default_config_path()
        if config or config_path.exists():
            try:
                snap = cfg.load(config_path)
            except cfg.ConfigErrors as exc:
                raise DbNotFound(f"{config_path}: 配置文件有错误，无法找到数据库 / config has errors:\n"
                                 + "\n".join(exc.errors)) from None
            path = wiring.resolve(snap, "store", "db_path")
        else:
            from app.store.spoken_log import default_db_path

            path = default_db_path()
    if not path.is_file():
        raise DbNotFound(f"{path}: 这里没有播出记录（还没有开播过，或 [store] db_path / --db 指错了） / "
                         f"no spoken log there")
    return path


def register(subparsers) -> None:
    parser = subparsers.add_parser("export-log", help="导出播出记录为 CSV / export the spoken record as CSV")
    parser.add_argument("--since", required=True, type=parse_time,
                        help="从何时起：时间或距现在的时长（30m、2h、1d） / start: ISO time or span back from now")
    parser.add_argument("--until", type=parse_time, default=None, help="到何时（默认现在） / end (default: now)")
    parser.add_argument("--config", metavar="FILE", help="config.ini（读取其中的 [store] db_path；默认本程序的配置）")
    parser.add_argument("--db", metavar="PATH", help="直接指定数据库文件（优先于 --config） / the database file")
    parser.add_argument("--session", type=int, metavar="ID", help="只导出这一场 / only this session")
    parser.add_argument("--text", default="", help="只导出内容包含此文字的 / only rows whose text contains this")
    parser.add_argument("--viewer", default="", help="只导出回应此观众的 / only rows answering this viewer")
    parser.add_argument("--out", metavar="FILE", default="-", help="CSV 文件，- 为标准输出 / CSV file, - for stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.store.spoken_log import SpokenLog

    try:
        db = resolve_db(args.config, args.db)
    except DbNotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.until is not None and args.until <= args.since:
        print("--until 必须晚于 --since / --until must be later than --since", file=sys.stderr)
        return 2
    filters = {"text": args.text, "viewer": args.viewer, "session_id": args.session}
    with SpokenLog(db) as spoken:
        if args.out == "-":
            if hasattr(sys.stdout, "reconfigure"):  # a redirected stdout on Windows is not UTF-8 by itself
                sys.stdout.reconfigure(encoding="utf-8")
            count = spoken.export_csv(sys.stdout, args.since, args.until, **filters)
        else:
            with open(args.out, "w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel reads UTF-8
                count = spoken.export_csv(f, args.since, args.until, **filters)
            print(f"已导出 {count} 条到 {args.out} / {count} utterances written to {args.out}", file=sys.stderr)
    return 0
