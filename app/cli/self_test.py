"""``python main.py self-test``: the pre-flight checks (``app.preflight``) plus the operator
folder and the bus, one verdict per line; exit 1 when any check fails.

PASS is working; WARN is something to know (the offline voice only, a quiet room, a broken
product beside good ones); FAIL means the room would not run as set up — e.g. GPT-SoVITS is
configured and no route of it works (the offline voice is then reported on its own line, and
each route says why it failed).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

VERDICT = {"ok": "PASS", "warn": "WARN", "fail": "FAIL"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("self-test", help="开播前检查：配置、弹幕、声音、大模型、商品、音频输出 / pre-flight checks",
                       description="Checks the operator folder, the bus and the pre-flight list: config.ini, "
                                   "the feed (a frame must arrive), every GPT-SoVITS route, the offline voice, "
                                   "the LLM, the products and audio output. Exit 1 if any check fails.")
    p.add_argument("--config", type=Path, help="config.ini to check (default: the one beside the app)")
    p.add_argument("--sink", help="audio output to test instead of [audio] backend (wav:PATH, null, device)")
    p.add_argument("--demo", action="store_true",
                   help="check the demo setup (bundled products and recording, offline voice, no LLM)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds each network check may take (default 5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.preflight import Check, run_preflight

    results: list[Check] = [_check_operator_folder()]
    _show(results[0])
    checks = run_preflight(args.config, demo=args.demo, timeout_s=args.timeout, sink=args.sink)
    config_ok = checks[0].status != "fail"
    if config_ok:
        results.append(_check_bus(args.config))
        _show(results[-1])
    for c in checks:
        _show(c)
    results += checks
    failed = [c for c in results if c.failed]
    warned = [c for c in results if c.status == "warn"]
    print(f"self-test: {len(results)} 项检查，{len(failed)} 项失败，{len(warned)} 项需注意"
          + (f"；失败 FAILED: {', '.join(c.key for c in failed)}" if failed else ""), flush=True)
    return 1 if failed else 0


def _show(c) -> None:
    lines = c.detail.splitlines() or [""]
    print(f"{VERDICT[c.status]}  {c.key:<9} {c.title}：{lines[0]}", flush=True)
    for line in lines[1:]:
        print(f"{'':17}{line}")
    if c.fix and c.status != "ok":
        print(f"{'':17}怎么办：{c.fix}", flush=True)


def _check_operator_folder():
    """Which folder holds config.ini and data/: beside the app, or the per-user fallback."""
    from app import paths
    from app.preflight import FAIL, OK, WARN, Check

    info = paths.user_root_info()
    status = FAIL if info.reason and not info.per_user else WARN if info.per_user else OK
    return Check("folder", "软件文件夹", status, paths.describe_user_root(),
                 "把软件放到可写的文件夹（不要放在 Program Files 里）" if status != OK else "")


def _check_bus(config_path: Path | None):
    import threading

    from app import events, paths
    from app.bus import BusConfigError, create_bus
    from app.config import ConfigErrors, defaults, load
    from app.preflight import FAIL, OK, Check

    path = config_path or paths.default_config_path()
    try:
        snap = load(path) if path.exists() and path.read_text("utf-8-sig").strip() else defaults()
    except (ConfigErrors, OSError, UnicodeDecodeError):
        snap = defaults()
    url = snap.get("bus", "url")
    try:
        bus = create_bus(url, f"selftest{int(time.time())}")
    except BusConfigError as exc:
        return Check("bus", "消息总线", FAIL, str(exc), "检查 [bus] url")
    try:
        got = threading.Event()
        bus.subscribe(events.Channel.SYSTEM, lambda e: got.set())
        bus.publish(events.Channel.SYSTEM, events.ErrorReport(component="self-test", message="ping"))
        if got.wait(3):
            return Check("bus", "消息总线", OK, f"{bus.backend}（{url}）")
        return Check("bus", "消息总线", FAIL, f"{bus.backend}（{url}）：3 秒内消息没有送达", "检查 Redis 是否在运行")
    finally:
        bus.close()
