"""Small helpers shared by the benchmarks: percentiles, a table printer, JSON output."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    cells = [header] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for i, row in enumerate(cells):
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)))
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def write_json(path: str | None, results: dict) -> None:
    if path:
        Path(path).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


# ---- a replay server in another process (dy-barrage-grab runs beside the app, not inside it) ---


def serve_until_killed(server) -> int:
    """Child side: print the started server's port, then "done N" once every frame is sent,
    and wait to be killed (closing would drop the client before it read everything)."""
    import time

    print(server.port, flush=True)
    server.wait_finished(None)
    print(f"done {server.sent}", flush=True)
    time.sleep(3600)
    return 0


def spawn_server(module: str, *args: str):
    """Parent side: run ``python -m module *args`` (which calls ``serve_until_killed``).
    Returns (process, port, finished event, [frames sent] once finished)."""
    import subprocess
    import threading

    child = subprocess.Popen([sys.executable, "-m", module, *args], stdout=subprocess.PIPE, text=True)
    port = int(child.stdout.readline())
    finished = threading.Event()
    sent: list[int] = []

    def read_rest() -> None:
        for line in child.stdout:
            if line.startswith("done"):
                sent.append(int(line.split()[1]))
                finished.set()

    threading.Thread(target=read_rest, daemon=True).start()
    return child, port, finished, sent
