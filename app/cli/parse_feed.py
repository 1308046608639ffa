"""``parse-feed [FILE|-] [--strict]``: dy-barrage-grab frames in, normalised events out.

Input is a recording (app/live/recording.py: one frame per line, optional ``<offset>\\t``
prefix, ``#`` comments) or raw frames on stdin. Each decoded event is printed as one JSON line
(design §4); every frame that gives no event is reported on stderr as ``line N: reason``.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "parse-feed", help="decode dy-barrage-grab frames (one per line) into normalised events",
        description="Decode dy-barrage-grab WebSocket frames, one per line (optionally "
        "'<seconds>\\t<frame>'), into normalised live events printed one JSON object per line. "
        "Frames that cannot be decoded are reported on stderr as 'line N: reason'.")
    p.add_argument("file", nargs="?", default="-", help="recording file, or - for stdin (default)")
    p.add_argument("--strict", action="store_true", help="exit 1 if any frame is malformed")
    p.add_argument("--quiet", action="store_true", help="do not print the summary line on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.events import encode
    from app.live.decoder import NOT_UTF8, FrameDecoder
    from app.live.recording import parse_line

    if args.file == "-":
        source, name = sys.stdin.buffer, "<stdin>"
    else:
        try:
            source, name = open(args.file, "rb"), args.file
        except OSError as exc:
            print(f"{args.file}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            return 2
    decoder = FrameDecoder()
    out, err = sys.stdout.buffer, sys.stderr
    malformed = 0
    try:
        with source:
            for n, raw in enumerate(source, 1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    decoder.stats.frames += 1
                    decoder.reject(NOT_UTF8, f"not valid UTF-8 at byte {exc.start}")
                    print(f"line {n}: not valid UTF-8 at byte {exc.start}", file=err)
                    malformed += 1
                    continue
                rec = parse_line(text, n)
                if rec is None:
                    continue
                result = decoder.decode(rec.frame)
                if hasattr(result, "category"):
                    if result.is_bad:
                        malformed += 1
                        print(f"line {n}: {result.reason}", file=err)
                    else:
                        print(f"line {n}: skipped: {result.reason}", file=err)
                    continue
                out.write(encode(result) + b"\n")
    except BrokenPipeError:  # `parse-feed … | head` is fine
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    out.flush()
    st = decoder.stats
    if not args.quiet:
        print(f"{name}: {st.frames} frames, {st.decoded} events, {st.bad_frames} malformed, "
              f"{st.duplicates} duplicates, {st.unknown_types} of unknown type", file=err)
    return 1 if args.strict and malformed else 0
