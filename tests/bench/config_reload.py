"""Config benchmark: cost of loading/validating config.ini, of a comment-preserving write, and
the latency from saving the file to a live option being applied by the watcher.

    python -m tests.bench.config_reload [--quick]
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import threading
import time
from pathlib import Path

from app import config


def _time(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def collect(quick: bool) -> tuple[list[float], list[float], list[float], int, int, float, float]:
    rounds, edits = (30, 5) if quick else (300, 30)
    poll_s, debounce_s = 0.05, 0.1

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.ini"
        path.write_text(config.render_default(), encoding="utf-8")
        load_ms = _time(lambda: config.load(path), rounds)
        counter = iter(range(10**9))
        write_ms = _time(lambda: config.write_values(path, {("audio", "gap_ms"): next(counter) % 5000}), rounds)

        store = config.ConfigStore(path, poll_s=poll_s, debounce_s=debounce_s)
        applied = threading.Event()
        store.add_listener(lambda update: applied.set())
        store.start_watching()
        latency_ms = []
        try:
            for i in range(edits):
                applied.clear()
                time.sleep(0.02)
                t0 = time.perf_counter()
                config.write_values(path, {("audio", "gap_ms"): 1000 + i})
                if not applied.wait(5):
                    raise SystemExit("a live edit was not applied within 5 s")
                latency_ms.append((time.perf_counter() - t0) * 1000)
        finally:
            store.stop_watching()

    return load_ms, write_ms, latency_ms, rounds, edits, poll_s, debounce_s


def measure(quick: bool = False) -> dict:
    """Named figures for ``python -m tests.bench``."""
    load_ms, write_ms, latency_ms, *_ = collect(quick)
    return {"load_p50_ms": statistics.median(load_ms), "write_p50_ms": statistics.median(write_ms),
            "reload_applied_p50_ms": statistics.median(latency_ms), "reload_applied_max_ms": max(latency_ms)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a few seconds)")
    args = parser.parse_args(argv)
    load_ms, write_ms, latency_ms, rounds, edits, poll_s, debounce_s = collect(args.quick)

    def row(name, values, note=""):
        ordered = sorted(values)
        p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]  # nearest rank: never above max
        print(f"{name:<34}{statistics.median(values):>9.2f}{p95:>9.2f}{ordered[-1]:>9.2f}  {note}")

    print(f"{len(list(config.schema))} options; {rounds} load/write rounds, {edits} watched edits")
    print(f"{'':<34}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    row("load + validate config.ini", load_ms)
    row("write_values (keeps comments)", write_ms)
    row("save → live option applied", latency_ms, f"poll {poll_s}s + debounce {debounce_s}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
