"""``replay-server FILE [--port P] [--speed X] [--loop]``: serve a recording as dy-barrage-grab.

The recording format is described in app/live/recording.py. Playback starts when the first
client connects (``--wait-clients``) and pauses while fewer are connected.
"""

from __future__ import annotations

import argparse
import sys
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "replay-server", help="serve a feed recording over WebSocket exactly as dy-barrage-grab does",
        description="Serve a recording (one frame per line, optional '<seconds>\\t' prefix for pacing) "
        "on ws://HOST:PORT, broadcasting every frame to every connected client.")
    p.add_argument("file", help="recording file (e.g. data/demo/room.feed)")
    p.add_argument("--port", type=int, default=8888, help="port (default 8888, as dy-barrage-grab; 0 = any free)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--speed", type=float, default=1.0, help="pacing factor: 2 = twice as fast, 0 = no pacing")
    p.add_argument("--loop", action="store_true", help="start again at the end (MsgIds shifted each pass)")
    p.add_argument("--wait-clients", type=int, default=1, metavar="N",
                   help="start playing once N clients are connected (default 1; 0 = at once)")
    p.add_argument("--exit-when-done", action="store_true", help="quit after the last frame instead of idling")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.live.replay import ReplayServer

    path = Path(args.file)
    if not path.is_file():
        print(f"{args.file}: no such recording file", file=sys.stderr)
        return 2
    if args.speed < 0:
        print(f"--speed must be >= 0, got {args.speed}", file=sys.stderr)
        return 2
    server = ReplayServer(path, host=args.host, port=args.port, speed=args.speed, loop=args.loop,
                          wait_for_clients=args.wait_clients)
    try:
        server.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"serving {path} on {server.url} (speed {args.speed:g}{', loop' if args.loop else ''}); "
          f"Ctrl-C to stop", file=sys.stderr, flush=True)
    last_report, finished = 0, False
    try:
        while True:
            done = server.wait_finished(1.0)
            if server.sent // 100 != last_report // 100:
                print(f"{server.sent} frames sent, {server.clients} client(s)", file=sys.stderr, flush=True)
                last_report = server.sent
            if done and not finished:
                finished = True
                print(f"recording finished: {server.sent} frames sent", file=sys.stderr, flush=True)
                if args.exit_when_done:
                    time.sleep(0.5)  # let the last frames leave the socket buffers
                    break
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
