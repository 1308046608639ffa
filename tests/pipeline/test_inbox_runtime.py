"""The demo room on the real bus (embedded Redis): every stage receives its channels through one
inbox, so the process runs on a dozen threads, and an operator's Pause overtakes clips that
were still waiting for the player."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from app import events
from app.media.wav import write_wav
from app.runtime import Runtime

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="a FIFO holds the player's inbox")

MAX_THREADS = 12
C = events.Channel


def wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def clip(tmp_path, item_id: str, *, priority: int, kind: str = "say_now", seconds: float = 0.6) -> events.SpeechReady:
    rate = 24000
    t = np.arange(int(seconds * rate)) / rate
    path = tmp_path / f"{item_id}.wav"
    write_wav(path, (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16), rate)
    req = events.SpeechRequest(id=item_id, text=f"插播{item_id}", kind=kind, priority=priority)
    return events.SpeechReady(request=req, audio_path=str(path), sample_rate=rate, duration_s=seconds)


@pytest.fixture
def demo_room(tmp_path):
    config = tmp_path / "config.ini"
    config.write_text(f"[store]\ndb_path = {tmp_path / 'live.sqlite3'}\n", encoding="utf-8")
    before = set(threading.enumerate())  # (threads other tests of this process left behind)
    runtime = Runtime(config, demo=True, sink="null")
    started: list[str] = []
    lock = threading.Lock()

    def on_player(e):
        if isinstance(e, events.PlaybackStarted):
            with lock:
                started.append(e.id)

    runtime.bus.subscribe(C.PLAYER_STATE, on_player)
    runtime.start()
    try:
        assert runtime.bus.backend == "redis"
        assert wait_for(lambda: started, 30), "the demo room never started speaking"
        yield runtime, started, before
    finally:
        runtime.close()


def test_the_demo_room_runs_on_at_most_a_dozen_threads_and_a_pause_overtakes_waiting_clips(demo_room, tmp_path):
    runtime, started, before = demo_room

    # once it runs: a delivery thread started for a slow turn retires after a few idle seconds
    names: list[str] = []

    def settled() -> bool:  # the main thread and what the room started
        names[:] = ["MainThread", *sorted(t.name for t in set(threading.enumerate()) - before)]
        return len(names) <= MAX_THREADS

    assert wait_for(settled, 10), f"{len(names)} threads (at most {MAX_THREADS}): {names}"

    # The player's inbox is held by a clip whose file reads slowly (a FIFO nobody writes yet);
    # meanwhile five urgent clips arrive, then the operator's Pause.
    fifo = tmp_path / "slow.wav"
    os.mkfifo(fifo)
    held = clip(tmp_path, "held-src", priority=events.Priority.SCRIPT, kind="script")
    wav_bytes = open(held.audio_path, "rb").read()
    reading = threading.Event()
    release = threading.Event()

    def slow_disk():
        with open(fifo, "wb") as f:  # returns once the player's inbox opened it to read
            reading.set()
            release.wait(10)
            f.write(wav_bytes)

    threading.Thread(target=slow_disk, daemon=True).start()
    runtime.bus.publish(C.SPEECH_READY, events.SpeechReady(
        request=events.SpeechRequest(id="held", text="慢慢读的文件", kind="script", priority=events.Priority.SCRIPT),
        audio_path=str(fifo), sample_rate=held.sample_rate, duration_s=held.duration_s))
    assert reading.wait(5), "the player's inbox never read the slow file"
    urgent = [clip(tmp_path, f"urgent-{i}", priority=events.Priority.EMERGENCY) for i in range(5)]
    for ready in urgent:
        runtime.bus.publish(C.SPEECH_READY, ready)
    runtime.bus.publish(C.CONTROL, events.Pause())
    time.sleep(0.5)  # all of them are in the player's inbox, behind the slow read
    release.set()

    ids = {r.request.id for r in urgent}
    time.sleep(2.0)
    assert not ids & set(started), "a clip that waited behind the slow read played before the Pause"
    runtime.bus.publish(C.CONTROL, events.Resume())
    assert wait_for(lambda: ids <= set(started), 20), "after Resume the urgent clips play"
