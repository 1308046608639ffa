"""插播音频 through a real runtime: the operator's WAV file (another rate, stereo) is decoded,
resampled to the output rate and played through the same queue, cutting the script; a file
that cannot be played is reported in Chinese and the room goes on."""

from __future__ import annotations

import threading
import time
import wave

import numpy as np
import pytest

from app import events as ev
from app.runtime import Runtime

TONE_HZ = 660.0
FILE_RATE = 44100


def write_tone(path, seconds=1.5, rate=FILE_RATE):
    t = np.arange(int(seconds * rate)) / rate
    left = 0.4 * np.sin(2 * np.pi * TONE_HZ * t)
    stereo = np.stack([left, left], axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((stereo * 32767).astype("<i2").tobytes())


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


@pytest.fixture
def room(tmp_path):
    config = tmp_path / "config.ini"
    config.write_text(f"[bus]\nurl = memory\n[audio]\nsample_rate = 32000\n[store]\ndb_path = {tmp_path / 'db.sqlite3'}\n",
                      encoding="utf-8")
    (tmp_path / "quiet.feed").write_text("", encoding="utf-8")
    runtime = Runtime(config, demo=True, sink=f"wav:{tmp_path / 'played.wav'}", replay=tmp_path / "quiet.feed")
    seen: list = []
    for channel in (ev.Channel.PLAYER_STATE, ev.Channel.SYSTEM, ev.Channel.SPEECH_REQUESTS):
        runtime.bus.subscribe(channel, seen.append)
    runtime.start()
    yield runtime, seen, tmp_path
    runtime.close()


def wait_for(cond, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        threading.Event().wait(0.05)
    return False


def test_a_wav_file_plays_through_the_queue_at_the_output_rate(room):
    runtime, seen, tmp = room
    assert wait_for(lambda: any(isinstance(e, ev.PlaybackStarted) and e.kind == "script" for e in seen), 30)
    tone = tmp / "开场音乐.wav"
    write_tone(tone)
    runtime.bus.publish(ev.Channel.CONTROL, ev.PlayFile(path=str(tone), label="开场音乐"))
    started = lambda: [e for e in seen if isinstance(e, ev.PlaybackStarted) and e.kind == "say_now"]  # noqa: E731
    assert wait_for(lambda: started(), 10), "the file was not played"
    item = started()[0]
    assert item.text == "插播音频：开场音乐" and item.route == "file" and item.priority == ev.Priority.EMERGENCY
    assert abs(item.duration_s - 1.5) < 0.05, "resampled to the output rate, the length stays 1.5 s"
    assert wait_for(lambda: any(isinstance(e, ev.PlaybackFinished) and e.id == item.id for e in seen), 10)
    # it cut the script that was playing (an urgent item), and the script resumed afterwards
    assert any(isinstance(e, ev.PlaybackInterrupted) and e.by_id == item.id for e in seen)
    assert not any(isinstance(e, ev.SpeechRequest) and e.id == item.id for e in seen), \
        "the TTS stage must never be asked to synthesise the file's label"
    segments = [s for s in runtime.player.sink.segments if s.id == item.id]
    runtime.stop()
    with wave.open(str(tmp / "played.wav"), "rb") as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    assert rate == 32000 and segments
    heard = np.concatenate([pcm[s.start:s.end] for s in segments])
    assert abs(len(heard) / rate - 1.5) < 0.05
    assert abs(dominant_hz(heard, rate) - TONE_HZ) < 5, "the file's sound, at its own pitch, is what was heard"
    spoken = runtime_rows(tmp / "db.sqlite3")
    assert ("say_now", "插播音频：开场音乐") in spoken, "the spoken record lists the insert"


def runtime_rows(db):
    import sqlite3

    with sqlite3.connect(db) as con:
        return con.execute("SELECT kind, text FROM spoken").fetchall()


def test_a_file_that_cannot_be_played_is_reported_in_chinese_and_the_room_goes_on(room):
    runtime, seen, tmp = room
    broken = tmp / "坏文件.mp3"
    broken.write_bytes(b"this is not audio at all" * 100)
    runtime.bus.publish(ev.Channel.CONTROL, ev.PlayFile(path=str(broken)))
    runtime.bus.publish(ev.Channel.CONTROL, ev.PlayFile(path=str(tmp / "没有这个文件.wav")))
    errors = lambda: [e for e in seen if isinstance(e, ev.ErrorReport) and e.component == "插播音频"]  # noqa: E731
    assert wait_for(lambda: len(errors()) == 2, 10)
    messages = sorted(e.message for e in errors())
    assert "无法读取 坏文件.mp3" in messages[0] or "无法读取 坏文件.mp3" in messages[1]
    assert any("找不到文件" in m for m in messages)
    count = len([e for e in seen if isinstance(e, ev.PlaybackStarted)])
    assert wait_for(lambda: len([e for e in seen if isinstance(e, ev.PlaybackStarted)]) > count, 30), \
        "the room kept speaking"
