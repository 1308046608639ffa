"""`python main.py export-log --since T [--until T] [--db PATH] [--out FILE|-]`: the spoken log
as CSV. T is an ISO 8601 time (2025-01-31T20:00, local time unless it has an offset) or a span
back from now (90s, 30m, 2h, 1d)."""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import datetime

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
            f"{value!r} is neither an ISO time (2025-01-31T20:00) nor a span like 30m, 2h, 1d"
        ) from None
    if dt.tzinfo is None:
        dt = dt.astimezone()  # naive means the operator's local time
    return dt.timestamp()


def register(subparsers) -> None:
    parser = subparsers.add_parser("export-log", help="export the spoken log as CSV")
    parser.add_argument("--since", required=True, type=parse_time,
                        help="start: ISO time or span back from now (30m, 2h, 1d)")
    parser.add_argument("--until", type=parse_time, default=None, help="end (default: now)")
    parser.add_argument("--db", metavar="PATH", help="spoken log database "
                        "(default: data/spoken_log.sqlite3)")
    parser.add_argument("--out", metavar="FILE", default="-", help="CSV file, - for stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.store.spoken_log import SpokenLog, default_db_path

    db = Path(args.db) if args.db else default_db_path()
    if not db.is_file():
        print(f"{db}: no spoken log there", file=sys.stderr)
        return 2
    if args.until is not None and args.until <= args.since:
        print("--until must be later than --since", file=sys.stderr)
        return 2
    with SpokenLog(db) as spoken:
        if args.out == "-":
            count = spoken.export_csv(sys.stdout, args.since, args.until)
        else:
            with open(args.out, "w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel reads UTF-8
                count = spoken.export_csv(f, args.since, args.until)
            print(f"{count} utterances written to {args.out}", file=sys.stderr)
    return 0
