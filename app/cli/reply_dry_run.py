"""``reply-dry-run [FILE|-]``: what the reply policy would say for recorded live events.

Input: normalised live events, one JSON object per line (the output of ``parse-feed``).
Output: one JSON line per decision (speech_request, reply_job, dropped), then a summary on
stderr. Bad lines are reported as ``FILE:N: reason`` and skipped; the exit code is 1 if any.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "reply-dry-run", help="show what the reply policy would say for recorded live events",
        description="Replay normalised live events (one JSON object per line, as printed by "
        "parse-feed) through the reply policy on the events' own clock and print every "
        "decision as one JSON line: speech requests, LLM jobs and dropped events with reasons.")
    p.add_argument("file", nargs="?", default="-", help="events file, or - for stdin (default)")
    p.add_argument("--recording", action="store_true",
                   help="the input is a dy-barrage-grab recording ('<seconds>\\t<frame>' lines, "
                   "e.g. data/demo/room.feed): decode it and use its offsets as the clock")
    p.add_argument("--product", help="current product slug (for keyword rules and replies)")
    p.add_argument("--library", help="product library folder: its FAQ keyword rules answer comments")
    p.add_argument("--templates", help="reaction templates folder (default: built-in lines)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a reply setting, e.g. --set llm_enabled=true --set gift_window_s=2")
    p.add_argument("--summary-only", action="store_true", help="print only the summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from app.events import encode_str
    from app.reply import ReplyPolicy, ReplySettings, SettingsError
    from app.reply.dry_run import replay, settings_with

    try:
        settings = settings_with(ReplySettings(), args.overrides)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    render = faq = None
    if args.templates:
        from app.content import Templates
        render = Templates(args.templates).render
    if args.library:
        from app.content import ProductLibrary, Templates
        from app.reply.rules import library_faq

        library = ProductLibrary(args.library)
        for problem in library.problems():
            print(problem, file=sys.stderr)
        faq = library_faq(library, Templates(args.templates or args.library).render_text)
    policy = ReplyPolicy(settings=settings, render=render, faq=faq)
    policy.set_product(args.product)  # the product on air (a ProductOnAir in a live room)
    name = "<stdin>" if args.file == "-" else args.file
    try:
        source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    except OSError as exc:
        print(f"{args.file}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 2

    def emit(item):
        if not args.summary_only:
            print(encode_str(item), flush=False)

    def report(n, reason):
        print(f"{name}:{n}: {reason}", file=sys.stderr)
    try:
        with source:
            lines = _recorded_events(source, report) if args.recording else source
            bad = replay(lines, policy, emit, report)
    except UnicodeDecodeError as exc:
        print(f"{name}: not valid UTF-8 at byte {exc.start}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `reply-dry-run … | head` is fine
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    print(json.dumps(policy.counters(), ensure_ascii=False, sort_keys=True), file=sys.stderr)
    return 1 if bad else 0


def _recorded_events(source, report):
    """JSON lines of the events in a recording, stamped with the recording's own offsets."""
    import dataclasses
    import time

    from app.events import encode_str
    from app.live.decoder import FrameDecoder
    from app.live.recording import parse_line

    decoder, start, last = FrameDecoder(), time.time(), 0.0
    for n, text in enumerate(source, 1):
        rec = parse_line(text, n)
        if rec is None:
            continue
        last = rec.offset if rec.offset is not None else last
        result = decoder.decode(rec.frame)
        if hasattr(result, "category"):  # not an event: a malformed or skipped frame
            if result.is_bad:
                report(n, result.reason)
            continue
        yield encode_str(dataclasses.replace(result, ts=start + last))
