"""Run every benchmark and write PERFORMANCE.md and performance.json.

    python -m tests.bench [--quick] [--runs N] [--only NAME,...] [--out-md FILE] [--out-json FILE]

Each run of each benchmark is a fresh process (``--child``) calling the module's
``measure(quick) -> dict``, so peak memory is per benchmark and a crash or timeout is reported
as that benchmark's failure while the others go on. Default runs: see ``targets.BENCHES``
(3 in full mode, 1–2 in quick mode; the 10-minute demo runs once). ``--runs`` overrides all.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench import report
from tests.bench.targets import BENCHES, FIGURES, KNOWN_CAUSES, UNKNOWN_CAUSE, Bench

ROOT = Path(__file__).resolve().parents[2]


def child(name: str, quick: bool, out: Path) -> int:
    """Inside the fresh process: run one benchmark once and write its figures as JSON."""
    module = importlib.import_module(f"tests.bench.{name}")
    t0 = time.perf_counter()
    if hasattr(module, "measure"):
        figures = dict(module.measure(quick))
    else:
        figures = figures_from_cli(module, quick, out.with_suffix(".cli.json"))
    figures["_seconds"] = time.perf_counter() - t0
    figures["_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(json.dumps(figures, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


def figures_from_cli(module, quick: bool, path: Path) -> dict:
    """For a module without ``measure()`` whose CLI writes ``--json FILE`` (tests.bench.gui):
    its exit status says pass/fail, which the report judges itself, so only the file counts."""
    try:
        module.main((["--quick"] if quick else []) + ["--json", str(path)])
    except SystemExit:
        pass
    if not path.exists():
        raise SystemExit(f"{module.__name__} has no measure(quick) entry and wrote no --json results")
    return json.loads(path.read_text(encoding="utf-8"))


def child_env(bench: Bench) -> tuple[dict, list[str]]:
    env = dict(os.environ, SDL_AUDIODRIVER=os.environ.get("SDL_AUDIODRIVER", "dummy"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    notes = []
    if bench.name == "gui" and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY") \
            and "QT_QPA_PLATFORM" not in env:
        env["QT_QPA_PLATFORM"] = "offscreen"
        notes.append("no display: run with QT_QPA_PLATFORM=offscreen")
    return env, notes


def run_once(bench: Bench, quick: bool, log: Path) -> tuple[dict | None, str | None]:
    """(figures, None) on success, (None, error) on a crash, a timeout or a missing entry."""
    env, notes = child_env(bench)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        cmd = [sys.executable, "-m", "tests.bench.run_all", "--child", bench.name, "--child-out", str(out)]
        if quick:
            cmd.append("--quick")
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"\n===== {' '.join(cmd)}\n")
            fh.flush()
            try:
                proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.PIPE, text=True,
                                      timeout=bench.timeout_s)
            except subprocess.TimeoutExpired:
                return None, f"timed out after {bench.timeout_s:.0f} s"
            fh.write(proc.stderr)
        if proc.returncode != 0 or not out.exists():
            tail = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()][-1:] or ["(no output)"]
            return None, f"exit {proc.returncode}: {tail[0][:300]}"
        figures = json.loads(out.read_text(encoding="utf-8"))
    figures["_notes"] = list(figures.get("_notes", [])) + notes
    return figures, None


def run_bench(bench: Bench, quick: bool, runs: int, log: Path) -> dict:
    if importlib.util.find_spec(bench.module) is None:
        result = report.evaluate(bench, FIGURES, [], f"{bench.module} does not exist yet")
        result["skipped"] = True
        return result
    good, error = [], None
    for i in range(runs):
        t0 = time.monotonic()
        figures, err = run_once(bench, quick, log)
        print(f"  {bench.name} run {i + 1}/{runs}: {'ok' if err is None else 'FAILED: ' + err} "
              f"({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
        if err is None:
            good.append(figures)
        else:
            error = err
            if bench.optional or "does not exist" in err or "no measure" in err:
                break
    result = report.evaluate(bench, FIGURES, good, error)
    if error and good:
        result["notes"].append(f"{runs - len(good)} of {runs} runs failed: {error}")
    if error and not good and bench.optional:
        result["skipped"] = True
    return result


def merge_previous(path: Path, fresh: list[dict], meta: dict) -> tuple[list[dict], dict]:
    """The earlier report's results with the benchmarks run now replaced (same mode only)."""
    if not path.exists():
        return fresh, meta
    old = json.loads(path.read_text(encoding="utf-8"))
    if old["meta"]["mode"] != meta["mode"]:
        raise SystemExit(f"--merge: {path} holds a {old['meta']['mode']} run, this is a {meta['mode']} run")
    merged = {name: {"name": name, **b} for name, b in old["benchmarks"].items()}
    for name, b in merged.items():  # kept figures, today's understanding of why a target was missed
        for row in b.get("figures", []):
            if row.get("status") == report.MISSED:
                row["cause"] = KNOWN_CAUSES.get((name, row["key"]), UNKNOWN_CAUSE)
    merged.update({b["name"]: b for b in fresh})
    order = [b.name for b in BENCHES]
    results = sorted(merged.values(), key=lambda b: order.index(b["name"]) if b["name"] in order else len(order))
    updated = list(old["meta"].get("updated", [])) + [
        f"{', '.join(b['name'] for b in fresh)} re-run by `{meta['command']}` on {meta['date']}"]
    return results, {**old["meta"], "updated": updated}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short runs: under 3 minutes in all")
    ap.add_argument("--runs", type=int, help="runs per benchmark (default: 3 full, 1–2 quick; demo 1)")
    ap.add_argument("--only", help="comma-separated benchmark names: " + ",".join(b.name for b in BENCHES))
    ap.add_argument("--out-md", type=Path, default=ROOT / "PERFORMANCE.md")
    ap.add_argument("--out-json", type=Path, default=ROOT / "performance.json")
    ap.add_argument("--merge", action="store_true",
                    help="keep the other benchmarks' results from --out-json and replace only those run now")
    ap.add_argument("--log", type=Path, help="benchmark output log (default: a file in the temp folder)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.child, args.quick, args.child_out)

    benches = list(BENCHES)
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(wanted) - {b.name for b in BENCHES})
        if unknown:
            ap.error(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(b.name for b in BENCHES)})")
        benches = [b for b in BENCHES if b.name in wanted]
    log = args.log or Path(tempfile.gettempdir()) / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.log"
    print(f"benchmark output: {log}", file=sys.stderr)
    started = time.monotonic()
    results = []
    for bench in benches:
        runs = args.runs or (bench.runs_quick if args.quick else bench.runs_full)
        print(f"{bench.name}: {runs} run(s)", file=sys.stderr, flush=True)
        results.append(run_bench(bench, args.quick, runs, log))
    cmd = "python -m tests.bench" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    meta = {"command": cmd, "mode": "quick" if args.quick else "full",
            "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
            "total_s": time.monotonic() - started}
    by_name = {b.name: b for b in BENCHES}
    if args.merge:
        results, meta = merge_previous(args.out_json, results, meta)
    args.out_md.write_text(report.render_markdown(results, meta, by_name), encoding="utf-8")
    args.out_json.write_text(json.dumps(report.to_json(results, meta), ensure_ascii=False, indent=2), encoding="utf-8")
    c = report.counts(results)
    print(f"targets: {c['met']} met, {c['MISSED']} missed, {c['not measured']} not measured; "
          f"{meta['total_s']:.0f} s; wrote {args.out_md} and {args.out_json}", file=sys.stderr)
    for b, row in report.missed(results):
        print(f"  MISSED {b['name']} · {row['label']}: {row['cause']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
