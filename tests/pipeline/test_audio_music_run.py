"""A demo run recorded to WAV with background music on: the file is what viewers hear — the
voice, the music under it and in every pause — and it carries the AI-content label."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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
        assert f.copy_metadata()["comment"] == "本直播间部分内容由AI生成"  # [compliance] ai_label_text


def test_music_settings_edited_in_config_apply_to_the_running_room(tmp_path):
    """On / off, level and folder are live: an edit of config.ini (what the settings page
    writes) reaches the sink of a running room, heard in its recording, without a restart."""
    from app.config import write_values
    from app.runtime import Runtime
    from tests.unit.audio.mix_helpers import wait_for

    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    tone_file(one / "x.ogg", TONE, 60, -20.0)
    tone_file(two / "y.ogg", 9000.0, 60, -20.0)
    cfg = tmp_path / "config.ini"
    cfg.write_text(f"[bus]\nurl = memory\n[audio]\nsample_rate = 32000\n[music]\nenabled = false\nfolder = {one}\n"
                   f"[store]\ndb_path = {tmp_path / 'db.sqlite3'}\n", encoding="utf-8")
    (tmp_path / "empty.feed").write_text("", encoding="utf-8")
    wav = tmp_path / "live.wav"
    runtime = Runtime(cfg, demo=True, sink=f"wav:{wav}", replay=tmp_path / "empty.feed")
    runtime.start()
    sink = runtime.player.sink
    try:
        time.sleep(2.0)
        write_values(cfg, {("music", "enabled"): True})
        wait_for(lambda: sink.settings.music.enabled, timeout=10)
        t_on = sink.heard_samples / 32000
        time.sleep(3.0)
        write_values(cfg, {("music", "folder"): str(two)})
        wait_for(lambda: sink.settings.music.folder == two, timeout=10)
        t_switch = sink.heard_samples / 32000
        time.sleep(3.0)
    finally:
        runtime.close()
    x, rate = sf.read(str(wav), dtype="float32")
    a, b = tone_db(x, rate, TONE, 0.05), tone_db(x, rate, 9000.0, 0.05)
    w = 0.05
    assert a[: int(t_on / w)].max() < -80, "music played before it was turned on"
    assert np.median(a[int((t_on + 1.0) / w):int(t_switch / w)]) > -50, "turning music on did not apply"
    assert np.median(b[int((t_switch + 1.0) / w):]) > -50 and np.median(a[int((t_switch + 1.0) / w):]) < -80
