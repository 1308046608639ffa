"""A demo run recorded to WAV with background music on: the file is what viewers hear — the
voice, the music under it and in every pause — and it carries the AI-content label."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio_measure import FRAME_S, tone_db, tone_file, voiced_frames

ROOT = Path(__file__).resolve().parents[2]
TONE = 12000.0


def test_a_demo_run_records_music_under_the_voice_and_the_label(tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    tone_file(music / "a.mp3", TONE, 8, -6.0, fmt="MP3")
    tone_file(music / "b.ogg", TONE, 8, -30.0)
    cfg = tmp_path / "config.ini"
    cfg.write_text(f"""[bus]
url = memory
[store]
db_path = {tmp_path / "db.sqlite3"}
[audio]
sample_rate = 32000
[music]
enabled = true
folder = {music}
duck_db = 15
""", encoding="utf-8")
    wav, report_path = tmp_path / "run.wav", tmp_path / "report.json"
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy"}
    done = subprocess.run([sys.executable, "main.py", "run", "--headless", "--demo", "--config", str(cfg),
                           "--duration", "14", "--sink", f"wav:{wav}", "--report", str(report_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["played"]
    assert report["audio_out"]["music"]["tracks_started"][:2] == ["a.mp3", "b.ogg"]

    x, rate = sf.read(str(wav), dtype="float32")
    level = tone_db(x, rate, TONE, window_s=FRAME_S)
    voiced = voiced_frames(x, rate)[: len(level)]
    level = level[: len(voiced)]
    start = int(1.0 / FRAME_S)  # after the fade-in
    assert voiced.sum() * FRAME_S > 3.0, "no speech in the recording"
    assert (level[start:] > -32 - 15 - 4).mean() > 0.98, "the music is missing from parts of the recording"
    # under speech the music sits the duck depth below its level (the voice's -18 dBFS - 14 dB);
    # the two tracks, 24 dB apart on disk, sound alike there
    under = voiced & (np.arange(len(voiced)) >= start)
    idx = np.arange(len(level))
    first, second = np.median(level[under & (idx < int(7.5 / FRAME_S))]), np.median(level[under & (idx > int(8.5 / FRAME_S))])
    assert first == pytest.approx(-18 - 14 - 15, abs=2.0) and second == pytest.approx(-18 - 14 - 15, abs=2.0)

    with sf.SoundFile(str(wav)) as f:
        assert f.copy_metadata()["comment"] == "本音频部分内容由人工智能生成"
