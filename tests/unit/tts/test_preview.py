"""One line outside the live room (the 试听 button, the tts command): configured voice, the
same server lock as the room, and the reason when the fallback spoke."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import config
from app.media import wav as wavfile
from app.tts import quality
from app.tts.preview import synthesize_line
from tests.standins.gptsovits_harness import DEAD_URL

ROOT = Path(__file__).resolve().parents[3]


def snapshot(url: str, tmp_path) -> config.Snapshot:
    return config.loads(f"""[tts]
servers = {url}
connect_timeout_s = 0.5
request_timeout_s = 3
cache_dir = {tmp_path / 'cache'}
[voice.main]
ref_audio = refs/main.wav
prompt_text = 参考文本
gpt_weights = GPT_weights/main.ckpt
sovits_weights = SoVITS_weights/main.pth
[voice.second]
ref_audio = refs/second.wav
sovits_weights = SoVITS_weights/second.pth
gpt_weights = GPT_weights/second.ckpt
""")


def test_a_line_in_the_configured_voice(standin, tmp_path):
    srv = standin()
    path, route, why = synthesize_line(snapshot(srv.url, tmp_path), "欢迎来到直播间。", "second",
                                       out_path=tmp_path / "line.wav")
    assert route == f"gptsovits:{srv.url}#second" and why == ""
    wav = wavfile.parse(Path(path).read_bytes())
    assert quality.check(wav.samples, wav.sample_rate, 7).ok
    assert srv.served == [("欢迎来到直播间。", "SoVITS_weights/second.pth")]


def test_a_line_says_why_the_fallback_spoke(tmp_path):
    path, route, why = synthesize_line(snapshot(DEAD_URL, tmp_path), "欢迎来到直播间。")
    assert path and route == "espeak"
    assert "连接不上" in why and "connection refused" in why
    Path(path).unlink()
    with pytest.raises(ValueError, match="可用音色: main, second"):
        synthesize_line(snapshot(DEAD_URL, tmp_path), "你好。", "nobody")


def test_the_tts_command_prints_the_reason(tmp_path):
    out = tmp_path / "x.wav"
    done = subprocess.run([sys.executable, "main.py", "tts", "你好，欢迎。", "--out", str(out), "--server", DEAD_URL,
                           "--ref", "refs/a.wav", "--timeout", "2"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "via espeak" in done.stdout and "fallback voice because" in done.stdout
    assert "connection refused" in done.stdout and out.exists()
