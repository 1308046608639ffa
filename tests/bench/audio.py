"""Audio player benchmark: interrupt latency and the gap between items.

    python -m tests.bench.audio [--quick] [--interrupts N] [--rate HZ] [--chunk-bytes B] [--gap-ms G]

Interrupt latency is the time from an urgent SpeechReady being published on the bus (its WAV
still to be decoded) to its first sample being written to the sink, while a script item plays.
The gap is measured on the sink's timeline (what a listener hears) between consecutive items
that were ready in time. Targets (design §5, issue 7): p95 latency <= one chunk's duration,
gap <= configured gap + 20 ms. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from app import events
from app.audio.player import AudioPlayer
from app.audio.sinks import NullSink
from app.bus.memory import MemoryBus
from app.media.wav import write_wav


class TimingSink(NullSink):
    """A real-time null sink that notes when each utterance's first sample was written."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.first_write: dict[str, float] = {}
        self.written = threading.Event()

    def write(self, pcm: bytes, tag: str | None = None) -> None:
        if tag is not None and tag not in self.first_write:
            self.first_write[tag] = time.monotonic()
            self.written.set()
        super().write(pcm, tag)


def tone_file(folder: Path, name: str, freq: float, seconds: float, rate: int) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    path = folder / f"{name}.wav"
    write_wav(path, (np.sin(2 * np.pi * freq * t) * 12000).astype(np.int16), rate)
    return path


def ready(item_id: str, path: Path, seconds: float, rate: int, priority: int,
          starts: tuple[float, ...] = (0.0,)) -> events.SpeechReady:
    req = events.SpeechRequest(id=item_id, text=item_id, kind="script" if priority >= 10 else "gift",
                               priority=priority)
    return events.SpeechReady(request=req, audio_path=str(path), sample_rate=rate, duration_s=seconds,
                              sentence_starts=starts)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def wait_until(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.001)
    return False


def bench_interrupts(folder: Path, n: int, rate: int, chunk_bytes: int) -> list[float]:
    bus = MemoryBus("bench")
    sink = TimingSink(rate)
    player = AudioPlayer(bus, sink, sample_rate=rate, chunk_bytes=chunk_bytes, gap_ms=20, bridge_lines=False)
    finished: set[str] = set()
    bus.subscribe(events.Channel.PLAYER_STATE,
                  lambda e: finished.add(e.id) if isinstance(e, events.PlaybackFinished) else None)
    script_s = 20.0
    script = tone_file(folder, "script", 300, script_s, rate)
    urgent = tone_file(folder, "urgent", 1000, 0.03, rate)
    latencies: list[float] = []
    rnd = random.Random(7)
    player.start()
    try:
        starts = tuple(i * 0.5 for i in range(int(script_s / 0.5)))
        bus.publish(events.Channel.SPEECH_READY, ready("script", script, script_s, rate, 10, starts))
        wait_until(lambda: "script" in sink.first_write, 2.0)
        for i in range(n):
            time.sleep(rnd.uniform(0.03, 0.12))  # somewhere inside a chunk of the script
            item_id = f"urgent-{i}"
            t0 = time.monotonic()
            bus.publish(events.Channel.SPEECH_READY, ready(item_id, urgent, 0.03, rate, -5))
            if not wait_until(lambda i=item_id: i in sink.first_write, 2.0):
                raise RuntimeError(f"{item_id} never reached the sink")
            latencies.append((sink.first_write[item_id] - t0) * 1000)
            wait_until(lambda i=item_id: i in finished, 2.0)
    finally:
        player.stop()
        bus.close()
    return latencies


def bench_gaps(folder: Path, n: int, rate: int, chunk_bytes: int, gap_ms: float) -> list[float]:
    bus = MemoryBus("bench-gap")
    sink = TimingSink(rate)
    player = AudioPlayer(bus, sink, sample_rate=rate, chunk_bytes=chunk_bytes, gap_ms=gap_ms)
    finished: set[str] = set()
    bus.subscribe(events.Channel.PLAYER_STATE,
                  lambda e: finished.add(e.id) if isinstance(e, events.PlaybackFinished) else None)
    clip = tone_file(folder, "line", 500, 0.12, rate)
    player.start()
    try:
        bus.publish(events.Channel.CONTROL, events.Pause())  # all ready before the first plays (one inbox: in order)
        for i in range(n):
            bus.publish(events.Channel.SPEECH_READY, ready(f"line-{i:03d}", clip, 0.12, rate, 10))
        wait_until(lambda: len(player.queue) == n, 5.0)
        bus.publish(events.Channel.CONTROL, events.Resume())
        wait_until(lambda: f"line-{n - 1:03d}" in finished, n * (0.12 + gap_ms / 1000) + 5)
    finally:
        player.stop()
        bus.close()
    segs = sink.segments
    return [(b.start - a.end) / rate * 1000 for a, b in zip(segs, segs[1:], strict=False)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.audio", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer interrupts and items (~15 s)")
    parser.add_argument("--interrupts", type=int, default=None)
    parser.add_argument("--rate", type=int, default=32000)
    parser.add_argument("--chunk-bytes", type=int, default=4096)
    parser.add_argument("--gap-ms", type=float, default=300.0)
    args = parser.parse_args(argv)
    n = args.interrupts or (40 if args.quick else 200)
    items = 10 if args.quick else 30
    chunk_ms = args.chunk_bytes / 2 / args.rate * 1000

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        latencies = bench_interrupts(folder, n, args.rate, args.chunk_bytes)
        gaps = bench_gaps(folder, items, args.rate, args.chunk_bytes, args.gap_ms)

    p95, gap_max = percentile(latencies, 95), max(gaps)
    rows = [
        ("interrupt latency p50 (ms)", percentile(latencies, 50), ""),
        ("interrupt latency p95 (ms)", p95, f"<= {chunk_ms:.0f}"),
        ("interrupt latency max (ms)", max(latencies), ""),
        ("gap between items p50 (ms)", percentile(gaps, 50), ""),
        ("gap between items max (ms)", gap_max, f"<= {args.gap_ms + 20:.0f}"),
    ]
    print(f"audio player: {n} interrupts, {items} items, {args.rate} Hz, chunk {args.chunk_bytes} B "
          f"({chunk_ms:.0f} ms), gap {args.gap_ms:.0f} ms")
    print(f"{'measure':<30}{'value':>10}  target")
    for name, value, target in rows:
        print(f"{name:<30}{value:>10.1f}  {target}")
    ok = p95 <= chunk_ms and gap_max <= args.gap_ms + 20
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


def measure(quick: bool = False, rate: int = 32000, chunk_bytes: int = 4096, gap_ms: float = 300.0) -> dict:
    """Named figures for ``python -m tests.bench`` (same runs as ``main``)."""
    n, items = (40, 10) if quick else (200, 30)
    with tempfile.TemporaryDirectory() as tmp:
        latencies = bench_interrupts(Path(tmp), n, rate, chunk_bytes)
        gaps = bench_gaps(Path(tmp), items, rate, chunk_bytes, gap_ms)
    return {"interrupt_p50_ms": percentile(latencies, 50), "interrupt_p95_ms": percentile(latencies, 95),
            "interrupt_max_ms": max(latencies), "chunk_ms": chunk_bytes / 2 / rate * 1000,
            "gap_p50_ms": percentile(gaps, 50), "gap_max_ms": max(gaps), "gap_configured_ms": gap_ms,
            "gap_over_configured_ms": max(gaps) - gap_ms, "interrupts": n}


if __name__ == "__main__":
    sys.exit(main())
