"""Test helpers around the GPT-SoVITS stand-in: voice models, and a harness that collects
what a TtsPool publishes on a MemoryBus."""

from __future__ import annotations

import threading
import time

from app import events
from app.bus.memory import MemoryBus
from app.media import wav as wavfile
from app.tts.pool import TtsPool
from app.tts.settings import VoiceModel


def voice(name: str, **kw) -> VoiceModel:
    return VoiceModel(name=name, ref_audio=f"refs/{name}.wav", prompt_text="参考文本",
                      gpt_weights=f"GPT_weights/{name}.ckpt", sovits_weights=f"SoVITS_weights/{name}.pth", **kw)


DEAD_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connection refused


class Harness:
    def __init__(self, bus: MemoryBus, pool: TtsPool):
        self.bus = bus
        self.pool = pool
        self.ready: list = []
        self.health: list = []
        self._lock = threading.Lock()
        bus.subscribe(events.Channel.SPEECH_READY, self._on_ready)
        bus.subscribe(events.Channel.SYSTEM, self.health.append)

    def _on_ready(self, e):
        with self._lock:
            self.ready.append(e)

    def say(self, rid: str, text: str, priority: int = events.Priority.SCRIPT, **kw) -> events.SpeechRequest:
        req = events.SpeechRequest(id=rid, text=text, kind="script", priority=priority, **kw)
        self.bus.publish(events.Channel.SPEECH_REQUESTS, req)
        return req

    def wait_for(self, n: int, timeout: float = 15.0) -> list:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if len(self.ready) >= n:
                    return list(self.ready)
            time.sleep(0.01)
        raise AssertionError(f"expected {n} results on speech.ready, got {len(self.ready)}: {self.ready}")

    def by_id(self, rid: str):
        return next(e for e in self.ready if e.request.id == rid)


def read_published(event) -> wavfile.Wav:
    with open(event.audio_path, "rb") as f:
        return wavfile.parse(f.read())
