"""The public command line of design §8, run as an operator would (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.redis_server import free_port
from tests.standins.gptsovits import StandinServer

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


def test_self_test_fails_when_no_configured_voice_works_and_says_why(tmp_path):
    """Issue 18.4: it exited 0 with zero working GPT-SoVITS routes ("16 of 16 checks without
    failure"). Nothing runs here: the feed and the configured server are down."""
    config = tmp_path / "plain.ini"
    config.write_text(f"[bus]\nurl = memory\n[tts]\nservers = http://127.0.0.1:{free_port()}\nvoices = main\n"
                      "[voice.main]\nref_audio = refs/main.wav\n", encoding="utf-8")
    done = main_py("self-test", "--config", str(config), "--sink", "null", "--timeout", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "FAIL  voice" in out and "#main：连不上" in out  # each route and why it failed
    assert "PASS  fallback" in out and "离线声音" in out  # the fallback on its own line
    assert "FAIL  feed" in out and "FAILED: feed, voice" in out
    assert "Traceback" not in done.stderr


def test_self_test_passes_with_the_services_running(tmp_path):
    from app.live.replay import ReplayServer
    from tests.standins.dybarrage import Room

    with StandinServer() as tts, ReplayServer([Room().stats(7400000000000000001, 10, 100)], speed=0) as feed:
        config = tmp_path / "good.ini"
        config.write_text(f"[bus]\nurl = memory\n[douyin]\nurl = {feed.url}\n[tts]\nservers = {tts.url}\n"
                          "voices = main\n[voice.main]\nref_audio = refs/main.wav\n", encoding="utf-8")
        done = main_py("self-test", "--config", str(config), "--sink", f"wav:{tmp_path / 'o.wav'}",
                       "--timeout", "8")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout and "PASS  voice" in done.stdout and "PASS  feed" in done.stdout


def test_self_test_on_a_broken_config_fails_at_the_line(tmp_path):
    bad = tmp_path / "bad.ini"
    bad.write_text("[audio]\nchunk_bytes = lots\n", encoding="utf-8")
    done = main_py("self-test", "--config", str(bad))
    assert done.returncode == 1
    assert "FAIL  config" in done.stdout and "bad.ini:2: [audio] chunk_bytes" in done.stdout


def test_self_test_of_the_demo_needs_no_service(tmp_path):
    config = tmp_path / "demo.ini"
    config.write_text(f"[bus]\nurl = memory\n[tts]\nservers = http://127.0.0.1:{free_port()}\n", encoding="utf-8")
    done = main_py("self-test", "--demo", "--config", str(config), "--sink", "null")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  fallback" in done.stdout and "PASS  products" in done.stdout


def test_run_with_a_missing_or_unreadable_replay_is_an_error(tmp_path):
    config = tmp_path / "config.ini"
    config.write_text("[bus]\nurl = memory\n", encoding="utf-8")
    for replay, says in ((tmp_path / "nope.feed", "回放文件不存在"), (tmp_path, "不是普通文件")):
        done = main_py("run", "--headless", "--config", str(config), "--replay", str(replay), "--duration", "3",
                       timeout=60)
        assert done.returncode == 2, done.stderr
        assert says in done.stderr and str(replay) in done.stderr and "replay" in done.stderr
        assert "Traceback" not in done.stderr


def test_run_on_an_empty_config_writes_the_defaults_and_says_so(tmp_path):
    config = tmp_path / "config.ini"
    config.write_text("", encoding="utf-8")
    done = main_py("run", "--headless", "--demo", "--config", str(config), "--duration", "1", "--sink", "null",
                   "--bus-url", "memory", timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "是空的，已按默认设置新建" in done.stderr and "[tts]" in config.read_text("utf-8")


def test_tts_says_why_it_fell_back(tmp_path):
    done = main_py("tts", "你好，欢迎来到直播间。", "--out", str(tmp_path / "t.wav"), "--server",
                   f"http://127.0.0.1:{free_port()}", "--ref", "refs/a.wav", "--timeout", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "via espeak" in done.stdout and "fallback voice because" in done.stdout
    assert "connection refused" in done.stdout


def test_tts_with_a_configured_voice_loads_its_weights_first(tmp_path):
    srv = StandinServer(port=0).start()  # a server just restarted: its default weights loaded
    try:
        config = tmp_path / "config.ini"
        config.write_text(f"[tts]\nservers = {srv.url}\nvoices = anchor\ncache_dir = {tmp_path / 'cache'}\n"
                          "[voice.anchor]\nref_audio = refs/anchor.wav\nprompt_text = 大家好\n"
                          "gpt_weights = GPT_weights/anchor.ckpt\nsovits_weights = SoVITS_weights/anchor.pth\n",
                          encoding="utf-8")
        out = tmp_path / "t.wav"
        done = main_py("tts", "欢迎来到直播间。", "--voice", "anchor", "--config", str(config), "--out", str(out))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "via gptsovits" in done.stdout and "#anchor" in done.stdout and out.stat().st_size > 1000
        assert srv.served == [("欢迎来到直播间。", "SoVITS_weights/anchor.pth")]  # the voice's own model spoke
        wrong = main_py("tts", "你好。", "--voice", "nobody", "--config", str(config), "--out", str(out))
        assert wrong.returncode == 2 and "anchor" in wrong.stdout  # says which voices there are
    finally:
        srv.stop()


def test_run_without_headless_says_how_to_start_the_gui():
    done = main_py("run")
    assert done.returncode == 2 and "--headless" in done.stderr
