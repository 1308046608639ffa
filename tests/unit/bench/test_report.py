"""The benchmark runner's reporting logic on fabricated benchmark outputs (no benchmark runs)."""

from __future__ import annotations

import json

import pytest

from tests.bench import report
from tests.bench.targets import BENCHES, FIGURES, KNOWN_CAUSES, UNKNOWN_CAUSE, Bench, Figure

BENCH = Bench("fake", "Fake benchmark", 99)
FIGS = (
    Figure("fake", "rate", "messages per second", "msg/s", "≥ 100/s", ">=", 100.0),
    Figure("fake", "lat_ms", "latency", "ms", "< 2 ms", "<", 2.0),
    Figure("fake", "share", "bus / raw", "×", "≥ 50 % of raw", ">=", 0.5, ratio=("rate", "raw")),
    Figure("fake", "raw", "raw rate", "msg/s"),
    Figure("fake", "hits", "cache hits", "ms", "≤ 50 ms", "<=", 50.0, absent="no cache hit this run"),
)
META = {"command": "python -m tests.bench --quick", "mode": "quick", "date": "2026-01-01 10:00 UTC",
        "cpu_count": 2, "python": "3.11.7", "platform": "Linux", "total_s": 12.0}


def row(result: dict, key: str) -> dict:
    return next(r for r in result["figures"] if r["key"] == key)


def test_median_min_max_over_runs_ignore_missing_and_nan():
    stats = report.summarize([3.0, None, 1.0, float("nan"), 10.0])
    assert (stats["median"], stats["min"], stats["max"], stats["n"]) == (3.0, 1.0, 10.0, 3)
    assert report.summarize([None, "x"]) is None


def test_ratio_is_taken_within_each_run_then_the_median():
    runs = [{"rate": 60.0, "raw": 100.0}, {"rate": 90.0, "raw": 300.0}, {"rate": 40.0, "raw": 50.0}]
    share = row(report.evaluate(BENCH, FIGS, runs), "share")["stats"]
    assert share["values"] == [0.6, 0.3, 0.8]  # not median(rate) / median(raw) = 60/100
    assert share["median"] == 0.6


def test_ratio_with_zero_or_missing_denominator_is_not_measured():
    result = report.evaluate(BENCH, FIGS, [{"rate": 60.0, "raw": 0}, {"rate": 60.0}])
    assert row(result, "share")["status"] == report.NOT_MEASURED


def test_verdict_uses_the_median_and_the_operator():
    result = report.evaluate(BENCH, FIGS, [{"rate": 99.0, "lat_ms": 1.0}, {"rate": 150.0, "lat_ms": 2.0},
                                           {"rate": 200.0, "lat_ms": 5.0}])
    assert row(result, "rate")["status"] == report.MET  # median 150, one run below the target
    assert row(result, "lat_ms")["status"] == report.MISSED  # median 2.0 is not < 2
    assert row(result, "raw")["status"] == report.NOT_MEASURED


def test_missed_target_names_a_known_cause_or_says_unknown(monkeypatch):
    runs = [{"lat_ms": 9.0}]
    assert row(report.evaluate(BENCH, FIGS, runs), "lat_ms")["cause"] == UNKNOWN_CAUSE
    monkeypatch.setitem(KNOWN_CAUSES, ("fake", "lat_ms"), "the server is shared")
    assert row(report.evaluate(BENCH, FIGS, runs), "lat_ms")["cause"] == "the server is shared"


def test_absent_figure_and_failed_benchmark_say_why():
    ok = report.evaluate(BENCH, FIGS, [{"rate": 150.0}])
    assert row(ok, "hits")["cause"] == "no cache hit this run"
    failed = report.evaluate(BENCH, FIGS, [], "exit 1: ConnectionRefusedError")
    assert all(r["status"] == report.NOT_MEASURED for r in failed["figures"])
    assert row(failed, "rate")["cause"] == "benchmark failed: exit 1: ConnectionRefusedError"


def test_markdown_has_the_table_the_command_the_machine_and_each_miss_with_cause():
    result = report.evaluate(BENCH, FIGS, [{"rate": 150.0, "raw": 200.0, "lat_ms": 3.0, "_notes": ["bus: redis"]},
                                           {"rate": 170.0, "raw": 400.0, "lat_ms": 4.0}])
    md = report.render_markdown([result], META, {"fake": BENCH})
    assert "2 CPUs, Python 3.11.7" in md and "2026-01-01" in md
    assert "Command: `python -m tests.bench.fake --quick`" in md
    assert "| messages per second | ≥ 100/s | 160 msg/s (150–170, 2 runs) | met |" in md
    assert "| bus / raw | ≥ 50 % of raw | 0.59× (0.42–0.75, 2 runs) | met |" in md
    assert "**fake · latency** — target < 2 ms, measured 3.50 ms (3.00–4.00, 2 runs). Cause: " + UNKNOWN_CAUSE in md
    assert "Targets: **2 met, 1 missed, 1 not measured.**" in md
    assert "Notes: bus: redis." in md


def test_json_carries_the_same_numbers():
    result = report.evaluate(BENCH, FIGS, [{"rate": 150.0}, {"rate": 170.0}])
    data = json.loads(json.dumps(report.to_json([result], META)))
    assert data["benchmarks"]["fake"]["figures"][0]["stats"]["median"] == 160.0
    assert data["summary"] == {"met": 1, "MISSED": 0, "not measured": 3}
    assert data["meta"]["mode"] == "quick"


@pytest.mark.parametrize("fig", FIGURES, ids=lambda f: f"{f.bench}.{f.key}")
def test_every_figure_belongs_to_a_benchmark_and_targets_are_checkable(fig):
    assert fig.bench in {b.name for b in BENCHES}
    assert (fig.op is None) == (fig.limit is None)
    if fig.op is not None:
        assert fig.target, "a checked figure must say its target"


def test_merge_replaces_only_the_benchmarks_run_now(tmp_path):
    from tests.bench.run_all import merge_previous

    bus, gui = (next(b for b in BENCHES if b.name == n) for n in ("bus", "gui"))
    old = [report.evaluate(bus, FIGURES, [{"redis_hop_p99_ms": 1.0}]), report.evaluate(gui, FIGURES, [], "missing")]
    path = tmp_path / "performance.json"
    path.write_text(json.dumps(report.to_json(old, META)), encoding="utf-8")
    fresh = [report.evaluate(gui, FIGURES, [{"stall_max_ms": 80.0}])]
    merged, meta = merge_previous(path, fresh, {**META, "command": "python -m tests.bench --only gui --merge"})
    assert [b["name"] for b in merged] == ["bus", "gui"]
    assert row(merged[0], "redis_hop_p99_ms")["stats"]["median"] == 1.0
    assert row(merged[1], "stall_max_ms")["status"] == report.MISSED
    assert "gui re-run by `python -m tests.bench --only gui --merge`" in meta["updated"][0]
    with pytest.raises(SystemExit, match="quick run"):
        merge_previous(path, fresh, {**META, "mode": "full"})
