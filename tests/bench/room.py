"""The room as an operator judges it (issue 17): does it sell? Replays four recordings headless.

    python -m tests.bench.room [--quick] [--only demo,quiet,sale,storm] [--wav DIR]

Each recording is replayed, in real time, into ``Runtime(demo=True, sink="null")`` — the
headless demo: bundled products, espeak-ng, keyword rules, no LLM — with the shipped default
config.ini and an empty TTS cache of its own (``bench_config``), and the bus is tapped.
Recordings: the bundled demo room (``data/demo/room.feed``) and the quiet room, normal sale room
and gift storm of ``tests/data/rooms/`` (written by ``python -m tests.standins.make_room_feeds``
and committed, so that the runs before and after a change replay the very same frames). Full
mode replays each whole (about 13 minutes in all); ``--quick`` a 75 s cut of each (the demo's
from 48 s, so that its rocket is in; the end of the live is left out of a cut). Each run goes on
``GRACE_S`` after the last frame, so that what is queued can still be heard.

Per recording (how each figure is computed: ``tests.bench.room_figures``): spoken time by class
and the script's and thanks' shares; keyword FAQ questions answered / limited by an operator
limit / unanswered, and first-audio latency p50/p95; large gifts → first audio of their thanks;
interrupted script items resumed / excused / not resumed; dead air (the run report's).
Targets (issue 17) live in ``tests.bench.targets``; this command prints them met or missed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app import events
from app.config import ensure_config, write_values
from app.live.recording import format_line, read_recording
from app.paths import bundled_data_dir
from app.text.keywords import KeywordMatcher
from tests.bench import report as bench_report
from tests.bench import room_figures as rf
from tests.bench.common import print_table
from tests.bench.targets import BENCHES, FIGURES

ROOMS_DIR = Path(__file__).resolve().parents[1] / "data" / "rooms"
GRACE_S = 10.0  # the run goes on this long after the last frame
QUICK_S = 75.0
LATE_S = 5.0  # answers slower than this are listed
LIVE_END = 9
_TAPPED = (events.LiveEvent, events.SpeechRequest, events.SpeechFailed, events.PlaybackStarted,
           events.PlaybackFinished, events.PlaybackInterrupted, events.PlaybackResumed,
           events.UtteranceDropped, events.Dropped, events.QuestionSeen)


@dataclass(frozen=True)
class Recording:
    name: str  # figure key prefix
    title: str
    path: Path
    quick_from: float = 0.0  # the --quick cut starts here


RECORDINGS = (
    Recording("demo", "demo room (data/demo/room.feed)", bundled_data_dir() / "demo" / "room.feed", 48.0),
    Recording("quiet", "quiet room (tests/data/rooms/quiet.feed)", ROOMS_DIR / "quiet.feed"),
    Recording("sale", "normal sale room (tests/data/rooms/sale.feed)", ROOMS_DIR / "sale.feed"),
    Recording("storm", "gift storm (tests/data/rooms/storm.feed)", ROOMS_DIR / "storm.feed"),
)


class Tap:
    """Every event the figures need, with the moment it was seen, in the order seen."""

    def __init__(self, bus):
        self.bus = bus
        self.lock = threading.Lock()
        self.log: rf.Log = []
        self.subs = [bus.subscribe(ch, self.handle) for ch in (
            *events.LIVE_CHANNELS, events.Channel.SPEECH_REQUESTS, events.Channel.SPEECH_READY,
            events.Channel.PLAYER_STATE, events.Channel.SYSTEM)]

    def handle(self, ev) -> None:
        if isinstance(ev, _TAPPED):
            with self.lock:  # the time is taken under the lock: the log stays in time order
                self.log.append((time.time(), ev))

    def close(self) -> None:
        for sub in self.subs:
            self.bus.unsubscribe(sub)

    def snapshot(self) -> rf.Log:
        with self.lock:
            return list(self.log)


def cut_recording(src: Path, dest: Path, start: float, length: float) -> None:
    """Frames of ``src`` from ``start`` for ``length`` seconds, offsets moved to begin at 0; the
    end of the live is left out (a cut is a stretch of a room that goes on)."""
    with dest.open("w", encoding="utf-8") as fh:
        fh.write(f"# {src.name}, {start:.0f}–{start + length:.0f} s, for the room benchmark's --quick run\n")
        for rec in read_recording(src):
            offset = rec.offset or 0.0
            if start <= offset < start + length and json.loads(rec.frame).get("Type") != LIVE_END:
                fh.write(format_line(rec.frame, offset - start) + "\n")


def faq_hits(library) -> Callable[[str, str | None], bool]:
    """Does a text hit a FAQ keyword rule of this product (its own rules, not global ones)?"""
    matchers = {p.slug: KeywordMatcher(p.faq) for p in library.products()}

    def hits(text: str, product: str | None) -> bool:
        m = matchers.get(product or "")
        return m is not None and m.match(text, product) is not None

    return hits


def bench_config(folder: Path) -> Path:
    """The shipped defaults (not whatever the local config.ini holds), with the TTS cache and the
    store in ``folder``: every run starts from the same empty cache, so a figure does not depend
    on what ran on this machine before (answers synthesised ahead count only within the run)."""
    path = folder / "config.ini"
    ensure_config(path)
    write_values(path, {("tts", "cache_dir"): str(folder / "tts-cache"),
                        ("store", "db_path"): str(folder / "live.sqlite3")})
    return path


def replay(feed_path: Path, sink: str, config: Path) -> tuple[rf.RoomRun, dict]:
    """One recording through a headless demo runtime; the analysed run and its extra figures."""
    from app.runtime import Runtime

    offsets = [r.offset or 0.0 for r in read_recording(feed_path)]
    length = max(offsets, default=0.0)
    runtime = Runtime(config, demo=True, sink=sink, replay=feed_path, replay_speed=1.0)
    tap = Tap(runtime.bus)
    t0 = time.time()
    try:
        runtime.start()
        # Deadline: a runtime that never connects must not hang the benchmark.
        finished = runtime.replay_server.wait_finished(length + 60.0)
        time.sleep(GRACE_S)
        end_t = time.time()
        report = runtime.report()
        threshold = runtime.config.current.get("priority", "large_gift_diamonds")
        products = runtime.library.products(enabled_only=True)
        hits = faq_hits(runtime.library)
    finally:
        tap.close()
        runtime.close()
    feed = rf.parse_feed(read_recording(feed_path))
    run = rf.analyse(tap.snapshot(), feed, hits_faq=hits, first_product=products[0].slug if products else None,
                     large_gift_diamonds=threshold, end_t=end_t)
    extra = {"dead_air_s": report["dead_air_s"], "run_s": end_t - t0, "recording_s": length,
             "feed_decoded": report["feed"]["decoded"], "large_gift_diamonds": threshold,
             "replay_finished": finished}
    return run, extra


def measure_room(rec: Recording, quick: bool, wav_dir: Path | None = None) -> tuple[dict, rf.RoomRun]:
    sink = f"wav:{wav_dir / (rec.name + '.wav')}" if wav_dir else "null"
    with tempfile.TemporaryDirectory() as tmp:
        path = rec.path
        if quick:
            path = Path(tmp) / f"{rec.name}-quick.feed"
            cut_recording(rec.path, path, rec.quick_from, QUICK_S)
        run, extra = replay(path, sink, bench_config(Path(tmp)))
    out = rf.figures(run, rec.name)
    out.update({f"{rec.name}_{k}": v for k, v in extra.items()})
    return out, run


def notes(name: str, run: rf.RoomRun) -> list[str]:
    """Short lines for the report: why questions, gifts and cuts went wrong."""
    out = []
    for what, counter in rf.reasons(run).items():
        if counter:
            out.append(f"{name}: {what} — " + ", ".join(f"{r} ×{n}" for r, n in counter.most_common()))
    return out


def measure(quick: bool = False, only: list[str] | None = None, wav_dir: Path | None = None,
            show: bool = False) -> dict:
    """Named figures for ``python -m tests.bench``."""
    out: dict = {"_notes": []}
    for rec in RECORDINGS:
        if only and rec.name not in only:
            continue
        figs, run = measure_room(rec, quick, wav_dir)
        out.update(figs)
        out["_notes"] += notes(rec.name, run)
        if show:
            show_room(rec, figs, run)
    return out


def show_room(rec: Recording, figs: dict, run: rf.RoomRun) -> None:
    bench = next(b for b in BENCHES if b.name == "room")
    result = bench_report.evaluate(bench, [f for f in FIGURES if f.key.startswith(rec.name + "_")], [figs])
    rows = [[r["label"].split(": ", 1)[-1], r["target"] or "–",
             "-" if r["stats"] is None else round(r["stats"]["median"], 2), r["status"]]
            for r in result["figures"]]
    print_table(f"{rec.title}: {figs[rec.name + '_recording_s']:.0f} s replayed", ["figure", "target", "value",
                                                                                  "verdict"], rows)
    for q in run.questions:
        if q.status != "answered":
            print(f"    question {q.text!r} ({q.product}): {q.status} — {q.reason}")
        elif q.latency_s > LATE_S:
            print(f"    question {q.text!r} ({q.product}): answered after {q.latency_s:.1f} s")
    for g in run.large_gifts:
        state = f"{g.latency_s:.1f} s" if g.latency_s is not None else g.reason
        print(f"    large gift worth {g.value}: {state}")
    for c in run.cuts:
        if c.status != "resumed":
            print(f"    script cut {c.id} ({c.product}): {c.status} — {c.reason}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"a {QUICK_S:.0f} s cut of each recording")
    ap.add_argument("--only", help="comma-separated recordings: " + ",".join(r.name for r in RECORDINGS))
    ap.add_argument("--wav", type=Path, help="also record what the room said to DIR/<recording>.wav")
    args = ap.parse_args(argv)
    only = [n.strip() for n in args.only.split(",")] if args.only else None
    unknown = sorted(set(only or ()) - {r.name for r in RECORDINGS})
    if unknown:
        ap.error(f"unknown recording(s): {', '.join(unknown)}")
    if args.wav:
        args.wav.mkdir(parents=True, exist_ok=True)
    out = measure(args.quick, only, args.wav, show=True)
    bench = next(b for b in BENCHES if b.name == "room")
    result = bench_report.evaluate(bench, FIGURES, [out])
    judged = [r for r in result["figures"] if r["status"] in (bench_report.MET, bench_report.MISSED)]
    missed = Counter(r["status"] for r in judged)[bench_report.MISSED]
    print(f"\ntargets: {len(judged) - missed} met, {missed} missed")
    for r in judged:
        if r["status"] == bench_report.MISSED:
            print(f"  MISSED {r['label']}: {r['stats']['median']:.2f} (target {r['target']})")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
