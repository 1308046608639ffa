"""``python main.py run --headless …``: the whole live room without a screen (design §8)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

CHILD_STOP_LIMIT_S = 10.0  # with --child: the longest a stop may take before the process exits anyway


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the live room without the GUI (headless)",
                       description="Run every stage headless; Ctrl-C stops within 2 s and writes the report.")
    p.add_argument("--headless", action="store_true", help="required: run without the GUI")
    p.add_argument("--config", type=Path, help="config.ini to use (default: the one beside the app)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--replay", type=Path, help="serve this recording as dy-barrage-grab would and listen to it")
    src.add_argument("--feed", help="dy-barrage-grab WebSocket url (default: [douyin] url)")
    p.add_argument("--demo", action="store_true",
                   help="bundled demo recording, demo products, keyword rules and espeak-ng speech")
    p.add_argument("--speed", type=float, default=1.0, help="replay speed factor (default 1.0)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--sink", help="audio output: wav:PATH | null | device (default: [audio] backend)")
    p.add_argument("--report", type=Path, help="write the JSON run report here")
    p.add_argument("--events", action="store_true",
                   help="print every live event (design §4 JSON) and feed health change to stdout")
    p.add_argument("--bus-url", help="use this bus instead of [bus] url (e.g. the desktop app's Redis)")
    p.add_argument("--bus-namespace", help="use this bus namespace instead of [bus] namespace")
    p.add_argument("--child", action="store_true",
                   help="run for the desktop app that started this process: stop when stdin closes (exit at "
                        "the latest 10 s later), print 'started' on stdout once running, log JSON lines to "
                        "stderr, leave announcing config.ini edits to the app; the bus url may come from "
                        "$LIVE_BUS_URL")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.headless:
        print("run: add --headless (the desktop app starts with `python main.py` and no subcommand)",
              file=sys.stderr)
        return 2
    from app.config import ConfigErrors
    from app.logs import setup_logging
    from app.runtime import Runtime, RuntimeSetupError
    from app.runtime_process import BUS_URL_ENV, child_pinned_options

    if problem := _input_problem(args):  # before anything starts: a clear message, no traceback
        print(f"run: {problem}", file=sys.stderr)
        return 2
    setup_logging(console=True, to_file=not args.child, console_json=args.child)
    # with --child the bus url may come from the environment: a Redis password stays off the command line
    bus_url = args.bus_url or (os.environ.get(BUS_URL_ENV) if args.child else None)
    try:
        runtime = Runtime(args.config, demo=args.demo, sink=args.sink, feed_url=args.feed,
                          replay=args.replay, replay_speed=args.speed, bus_url=bus_url,
                          bus_namespace=args.bus_namespace, announce_config=not args.child,
                          pinned=child_pinned_options() if args.child else None)
    except ConfigErrors as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        return 2
    except (RuntimeSetupError, ValueError, OSError) as exc:
        print(f"run: {exc}", file=sys.stderr)
        return 2

    if args.events:
        _print_events(runtime)
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    started = time.monotonic()
    try:
        runtime.start()
        if args.child:
            print("started", flush=True)
            threading.Thread(target=_stop_when_stdin_closes, args=(stop,), name="run-stdin", daemon=True).start()
        ended_at = None
        while not stop.wait(0.2):
            if args.duration is not None and time.monotonic() - started >= args.duration:
                break
            if runtime.live_ended and not args.child:  # the app that runs a child decides itself
                ended_at = ended_at or time.monotonic()
                if time.monotonic() - ended_at >= LIVE_END_GRACE_S:
                    print("run: the live ended (下播): stopping", file=sys.stderr)
                    break
    except (ValueError, OSError) as exc:
        print(f"run: cannot start: {exc}", file=sys.stderr)
        runtime.close()
        return 2
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.child:  # a stage that hangs while stopping must not keep a room nobody controls
        threading.Thread(target=_exit_after, args=(CHILD_STOP_LIMIT_S,), name="run-deadline", daemon=True).start()
    report = runtime.report()
    runtime.close()
    summary = (f"本场播出 {len(report['played'])} 条，丢弃 {len(report['dropped'])} 条，"
               f"冷场 {report['dead_air_s']:.1f} 秒，收到弹幕源事件 {report['feed']['decoded']} 条")
    if args.child:  # the app files it with the run's other log lines
        logging.getLogger("app.runtime").info("%s", summary)
    else:
        print(summary, file=sys.stderr)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 0


#: After our room's live ends, a headless run stops this long later (the report settles).
LIVE_END_GRACE_S = 2.0


def _input_problem(args: argparse.Namespace) -> str | None:
    """Why the files named on the command line cannot be used (Chinese / English), or None.
    A missing recording used to log a traceback, run with 0 events and exit 0 (issue 18.4)."""
    if args.config is not None and not args.config.is_file():
        what = "不是文件" if args.config.exists() else "不存在"
        return f"配置文件{what}：{args.config} / config file not found: {args.config}"
    if args.replay is None:
        return None
    path: Path = args.replay
    if not path.exists():
        return f"回放文件不存在：{path}（请检查 --replay 后的路径）/ replay file not found: {path}"
    if not path.is_file():
        return f"回放文件不是普通文件：{path} / replay path is not a file: {path}"
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        return (f"回放文件无法读取：{path}（{exc.strerror or exc}）/ cannot read the replay file: {path} "
                f"({exc.strerror or exc})")
    return None


def _exit_after(seconds: float) -> None:
    time.sleep(seconds)
    logging.getLogger("app.runtime").error("stopping took over %.0f s: exiting now", seconds)
    os._exit(3)


def _stop_when_stdin_closes(stop: threading.Event) -> None:
    """The app that started this run holds our stdin: EOF means it stopped us, or it is gone.
    Either way the room must not go on speaking with nobody able to stop it."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    stop.set()


def _print_events(runtime) -> None:
    """Live events and feed health as JSON lines, so an operator sees the room and reconnects."""
    from app import events

    lock = threading.Lock()

    def show(ev) -> None:
        if isinstance(ev, events.LiveEvent) or (isinstance(ev, events.Health) and ev.component == "feed"):
            with lock:
                print(events.encode_str(ev), flush=True)

    for channel in (*events.LIVE_CHANNELS, events.Channel.SYSTEM):
        runtime.bus.subscribe(channel, show)
