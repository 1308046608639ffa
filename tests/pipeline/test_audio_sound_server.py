"""The sound reaches the right device of a real sound server (PulseAudio, private instance, null
sinks named as on an operator's PC: the virtual cable into 直播伴侣/OBS, and the speakers that are
the system default), chosen
by name; what each device got is recorded from its monitor and listened to: speech by webrtcvad,
the test music (a 12 kHz tone, above every speech sound espeak-ng makes) by its own frequency.

Needs ``pulseaudio``/``pactl``/``parec``; skips without them except where
``LIVE_REQUIRE_SOUND_SERVER=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.audio_measure import FRAME_S, tone_db, tone_file, voiced_frames, voiced_seconds
from tests.pulse_server import PulseServer

ROOT = Path(__file__).resolve().parents[2]
RATE = 32000
TONE = 12000.0
CABLE = "CABLE Input (VB-Audio Virtual Cable)"  # sink live_out
SPEAKERS = "扬声器 (Realtek(R) Audio)"  # sink other_out, the default device
LINE_A = "欢迎来到直播间，今天这款保温杯特别实惠，喜欢的朋友点点关注。"
LINE_B = "刚进来的宝宝们，左下角小黄车一号链接，现在下单还送杯套。"


@pytest.fixture(scope="module")
def pulse():
    server = PulseServer({"live_out": CABLE, "other_out": SPEAKERS}).start()
    server.set_default("other_out")  # the device by name, not the default, must get the sound
    yield server
    server.stop()


@pytest.fixture
def music(tmp_path):
    d = tmp_path / "music"
    d.mkdir()
    tone_file(d / "tone.ogg", TONE, 60, -12.0)
    return d


def write_config(tmp_path: Path, **sections: dict) -> Path:
    base = {"bus": {"url": "memory"}, "store": {"db_path": str(tmp_path / "db.sqlite3")},
            "audio": {"backend": "pygame", "sample_rate": RATE}}
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    text = "".join(f"[{s}]\n" + "".join(f"{k} = {v}\n" for k, v in kv.items()) for s, kv in base.items())
    path = tmp_path / "config.ini"
    path.write_text(text, encoding="utf-8")
    return path


def play(pulse: PulseServer, cfg: Path, plan: list, tmp_path: Path, *, during=None) -> dict:
    """Run ``tests.play_through`` on the sound server; ``during(proc)`` runs while it plays."""
    out = tmp_path / "play.json"
    proc = subprocess.Popen([sys.executable, "-m", "tests.play_through", "--config", str(cfg),
                             "--plan", json.dumps(plan, ensure_ascii=False), "--report", str(out)],
                            cwd=ROOT, env=pulse.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if during is not None:
            during(proc)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def test_the_demo_room_speaks_on_the_device_named_in_config_and_nowhere_else(pulse, tmp_path):
    cfg = write_config(tmp_path, audio={"device": CABLE})
    live, other = pulse.record("live_out"), pulse.record("other_out")
    done = subprocess.run([sys.executable, "main.py", "run", "--headless", "--demo", "--config", str(cfg),
                           "--duration", "12", "--report", str(tmp_path / "report.json")],
                          cwd=ROOT, env=pulse.env(), capture_output=True, text=True, timeout=120)
    x_live, x_other = live.stop(), other.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["played"], "the demo played nothing"
    assert report["audio_out"]["output"]["target"] == CABLE
    assert voiced_seconds(x_live, RATE) > 3.0, "no speech arrived on the cable"
    assert voiced_seconds(x_other, RATE) < 0.3, "speech leaked onto the default device"


def test_music_ducks_under_speech_by_the_configured_depth_on_the_recorded_mix(pulse, tmp_path, music):
    duck = 12.0
    cfg = write_config(tmp_path, audio={"device": CABLE},
                       music={"enabled": "true", "folder": str(music), "duck_db": duck, "volume_db": -14,
                              "duck_attack_ms": 80, "duck_release_ms": 400})
    rec = pulse.record("live_out")
    report = play(pulse, cfg, [["wait", 3.5], ["say", LINE_A], ["wait", 4.5], ["say", LINE_B], ["wait", 3.0]],
                  tmp_path)
    x = rec.stop()
    assert len(report["segments"]) == 2
    voiced = voiced_frames(x, RATE)
    level = tone_db(x, RATE, TONE, window_s=FRAME_S)[: len(voiced)]
    assert voiced.sum() * FRAME_S > 4.0, "the speech did not arrive"
    # music under speech: voiced frames; music in the gaps: frames at least hold + release + a
    # margin away from any speech (and after the fade-in at the start)
    settle = int((0.5 + 0.4 + 0.3) / FRAME_S)
    near = np.convolve(voiced.astype(int), np.ones(2 * settle + 1, int), mode="same") > 0
    audible = level > -70  # the recording may start before the stream does
    gap = ~near & audible
    gap[: int(np.argmax(audible)) + int(1.0 / FRAME_S)] = False
    speech = voiced & audible
    assert gap.sum() * FRAME_S > 2.0 and speech.sum() * FRAME_S > 3.0
    depth = float(np.median(level[gap]) - np.median(level[speech]))
    assert depth == pytest.approx(duck, abs=2.0), f"music ducked by {depth:.1f} dB under speech, configured {duck}"
    # music level 14 dB under the voice (-18 dBFS); 12 kHz loses a little in the two resamplers
    # (SDL's to the sink rate, PulseAudio's back for the recording)
    assert np.median(level[gap]) == pytest.approx(-18 - 14, abs=3.0)


def test_the_monitor_plays_the_same_mix_and_its_failure_never_touches_the_stream(pulse, tmp_path, music):
    cfg = write_config(tmp_path, audio={"device": CABLE, "monitor": "true", "monitor_device": SPEAKERS,
                                        "monitor_volume": 50},
                       music={"enabled": "true", "folder": str(music)})
    live, mon = pulse.record("live_out"), pulse.record("other_out")
    state = {}

    def unplug_monitor(proc):
        time.sleep(5.0)
        state["mon"] = mon.stop()
        pulse.remove_sink("other_out")  # the headphones go away mid-live
        state["at"] = time.monotonic()

    try:
        report = play(pulse, cfg, [["wait", 1.5], ["say", LINE_A], ["wait", 1.0], ["say", LINE_B], ["wait", 2.0]],
                      tmp_path, during=unplug_monitor)
    finally:
        if "other_out" not in pulse.modules:
            pulse.add_sink("other_out")
            pulse.set_default("other_out")
    x_live, x_mon = live.stop(), state["mon"]
    # the monitor got the same speech and music, at half the volume
    assert voiced_seconds(x_mon, RATE) > 1.5
    v_live = voiced_frames(x_live, RATE)
    t_live, t_mon = tone_db(x_live, RATE, TONE), tone_db(x_mon, RATE, TONE)
    gain = np.median(t_mon[t_mon > -70]) - np.median(t_live[t_live > -70])
    assert gain == pytest.approx(20 * np.log10(0.5), abs=1.5)
    assert v_live.sum() * FRAME_S > 4.0, "the stream lost speech when the monitor went away"
    # the stream never had a dropout: the music is there in every 50 ms from start to end
    start = int(np.argmax(t_live > -70)) + 20
    end = len(t_live) - int(np.argmax(t_live[::-1] > -70)) - 20
    assert (t_live[start:end] > -32 - 12 - 6).all(), "the stream dropped out"
    mon_report = report["sink"]["monitor"]
    assert mon_report["lost"] >= 1 and "down" in [c["status"] for c in mon_report["changes"]]
    assert report["sink"]["output"]["lost"] == 0


def test_a_lost_stream_device_falls_back_to_the_default_and_returns(pulse, tmp_path, music):
    cfg = write_config(tmp_path, audio={"device": CABLE}, music={"enabled": "true", "folder": str(music)})
    other = pulse.record("other_out")
    state = {}

    def unplug_and_return(proc):
        time.sleep(4.0)
        pulse.remove_sink("live_out")  # the virtual cable's driver restarts
        time.sleep(5.0)
        pulse.add_sink("live_out")
        state["back"] = pulse.record("live_out")
        time.sleep(6.0)

    try:
        report = play(pulse, cfg, [["wait", 2.0], ["say", LINE_A], ["wait", 2.0], ["say", LINE_B], ["wait", 2.0],
                                   ["say", LINE_A], ["wait", 2.0]], tmp_path, during=unplug_and_return)
    finally:
        if "live_out" not in pulse.modules:
            pulse.add_sink("live_out")
    x_other, x_back = other.stop(), state["back"].stop()
    out = report["sink"]["output"]
    statuses = [c["status"] for c in out["changes"]]
    assert statuses[:3] == ["ok", "degraded", "ok"], out["changes"]
    assert CABLE in out["changes"][1]["detail"] and "系统默认设备" in out["changes"][1]["detail"]
    # while the cable was gone, the room was heard on the default device; then back on the cable
    assert (tone_db(x_other, RATE, TONE) > -60).sum() * 0.05 > 2.0
    back = tone_db(x_back, RATE, TONE)
    assert (back > -60).sum() * 0.05 > 2.0, "the sound did not come back to the cable"
    spoken = [s["id"] for i, s in enumerate(report["segments"]) if i == 0 or report["segments"][i - 1]["id"] != s["id"]]
    assert spoken == ["u1", "u3", "u5"], "the room stopped speaking"  # (a hiccup at the switch may split one)
    health = [e for e in report["events"] if e["type"] == "health" and e["component"] == "audio:输出"]
    assert {"ok", "degraded"} <= {e["status"] for e in health}


def test_audio_devices_lists_the_devices_and_tests_one_by_name(pulse, tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "main.py", "audio-devices", *args], cwd=ROOT, env=pulse.env(),
                              capture_output=True, text=True, timeout=60)

    listed = json.loads(cli("--json").stdout)
    assert {"name": CABLE, "default": False} in listed and {"name": SPEAKERS, "default": True} in listed
    cable, speakers = pulse.record("live_out"), pulse.record("other_out")
    done = cli("--test", CABLE)
    x_cable, x_speakers = cable.stop(), speakers.stop()
    assert done.returncode == 0 and CABLE in done.stdout, done.stderr
    assert voiced_seconds(x_cable, RATE) > 1.0 and voiced_seconds(x_speakers, RATE) < 0.3
    missing = cli("--test", "耳机 (USB Audio)")
    assert missing.returncode == 1 and "设备列表中没有「耳机 (USB Audio)」" in missing.stderr and CABLE in missing.stderr
