"""Cold start: wall time from process start to exit of ``python main.py --help`` and of a
headless demo run that stops at once (start every stage, write nothing, stop cleanly).

    python -m tests.bench.cold_start [--quick] [--runs N]

No target is set by the issues for these (the GUI's "window within 2 s" is measured by
tests.bench.gui); they show what the operator waits for at every start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {
    "help": ["main.py", "--help"],
    "headless_demo": ["main.py", "run", "--headless", "--demo", "--duration", "0", "--sink", "null"],
}


def time_command(args: list[str], timeout: float = 60.0) -> float:
    env = dict(os.environ, SDL_AUDIODRIVER="dummy")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return elapsed * 1000


def measure(quick: bool = False, runs: int | None = None) -> dict:
    """Named figures for ``python -m tests.bench``: median and max over ``runs`` starts (ms)."""
    runs = runs or (3 if quick else 7)
    out: dict = {}
    for name, args in COMMANDS.items():
        samples = [time_command(args) for _ in range(runs)]
        out[f"{name}_median_ms"], out[f"{name}_max_ms"] = statistics.median(samples), max(samples)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 starts per command instead of 7")
    ap.add_argument("--runs", type=int, help="starts per command")
    args = ap.parse_args(argv)
    out = measure(args.quick, args.runs)
    print(f"{'command':<60} {'median ms':>10} {'max ms':>10}")
    for name, cmd in COMMANDS.items():
        print(f"{'python ' + ' '.join(cmd):<60} {out[name + '_median_ms']:>10.0f} {out[name + '_max_ms']:>10.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
