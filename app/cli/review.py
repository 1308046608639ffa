"""`python main.py review [--session ID] [--out DIR] [--config F | --db PATH] [--list]`: write
the post-live review (直播复盘) of a run as a self-contained HTML file plus CSVs, and print its
path. Default: the newest run, into ``data/logs/reviews/``."""

from __future__ import annotations

import argparse
import sys
import time


def register(subparsers) -> None:
    parser = subparsers.add_parser("review", help="生成直播复盘（HTML 图表 + CSV） / write the post-live review")
    parser.add_argument("--session", type=int, metavar="ID", help="第几场（默认最近一场） / session id (default: newest)")
    parser.add_argument("--out", metavar="DIR", help="输出目录（默认 data/logs/reviews） / output folder")
    parser.add_argument("--config", metavar="FILE", help="config.ini（读取其中的 [store] db_path）")
    parser.add_argument("--db", metavar="PATH", help="直接指定数据库文件 / the database file")
    parser.add_argument("--list", action="store_true", help="列出所有场次 / list the recorded sessions")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.cli.export_log import DbNotFound, resolve_db
    from app.review import ReviewError, list_sessions, load_review, write_review
    from app.store.labels import SESSION_END_ZH

    try:
        db = resolve_db(args.config, args.db)
    except DbNotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.list:
        for s in list_sessions(db):
            start = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.started_at))
            length = f"{(s.ended_at - s.started_at) / 60:.0f} 分钟" if s.ended_at else "未正常结束"
            end = SESSION_END_ZH.get(s.end_reason, s.end_reason) if s.ended_at else ""
            print(f"{s.session_id}\t{start}\t{length}\t{end}{'（演示）' if s.demo else ''}")
        return 0
    try:
        data = load_review(db, args.session)
    except ReviewError as exc:
        print(exc, file=sys.stderr)
        return 2
    page = write_review(data, args.out)
    print(page)
    return 0
