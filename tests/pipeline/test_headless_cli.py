"""The public command line of design §8, run as an operator would (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "SDL_AUDIODRIVER": "dummy", "QT_QPA_PLATFORM": "offscreen"}


def main_py(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV, cwd=ROOT)


def test_headless_demo_writes_the_report_of_the_design(tmp_path):
    config = tmp_path / "config.ini"
    config.write_text(f"[bus]\nurl = memory\n[store]\ndb_path = {tmp_path / 'db.sqlite3'}\n", encoding="utf-8")
    report_path = tmp_path / "report.json"
    done = main_py("run", "--headless", "--demo", "--config", str(config), "--duration", "12",
                   "--sink", f"wav:{tmp_path / 'out.wav'}", "--report", str(report_path))
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["played"], "nothing was played in 12 s of demo"
    keys = {"id", "kind", "text", "priority", "source_msg_id", "queued_at", "started_at", "ended_at",
            "interrupted", "resumed"}
    assert all(keys <= set(p) for p in report["played"])
    assert all({"id", "reason"} <= set(d) for d in report["dropped"])
    assert isinstance(report["dead_air_s"], float)
    assert {"p50", "p95", "max"} <= set(report["latency_ms"]["event_to_first_audio"])
    assert {"requests", "retries", "rejected", "rotations", "cache_hits", "fallback_used"} <= set(report["tts"])
    assert report["feed"]["decoded"] > 0 and report["feed"]["bad_frames"] == 0
    assert {"frames", "reconnects"} <= set(report["feed"])
    assert (tmp_path / "out.wav").stat().st_size > 44 + 32000  # more than a second of audio


def test_self_test_passes_on_a_plain_machine_and_fails_on_a_broken_config(tmp_path):
    good = tmp_path / "good.ini"
    good.write_text("[bus]\nurl = memory\n", encoding="utf-8")
    done = main_py("self-test", "--config", str(good), "--sink", "null")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  tts espeak-ng" in done.stdout and "FAIL" not in done.stdout

    bad = tmp_path / "bad.ini"
    bad.write_text("[audio]\nchunk_bytes = lots\n", encoding="utf-8")
    done = main_py("self-test", "--config", str(bad))
    assert done.returncode == 1
    assert "FAIL  config" in done.stdout and "bad.ini:2: [audio] chunk_bytes" in done.stdout


def test_run_without_headless_says_how_to_start_the_gui():
    done = main_py("run")
    assert done.returncode == 2 and "--headless" in done.stderr
