"""Helpers for the audio tests: short tone WAV files (a distinct frequency per item or per
sentence, so what the sink recorded can be told apart) and speech events around them."""

from __future__ import annotations

import itertools

import numpy as np

from app import events
from app.media.wav import write_wav

RATE = 8000


def tone(freq: float, seconds: float, rate: int = RATE, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (np.sin(2 * np.pi * freq * t) * amp * 32767).astype(np.int16)


def dominant_freq(samples: np.ndarray, rate: int = RATE) -> float:
    """The strongest frequency in ``samples`` (0 for silence)."""
    x = samples.astype(np.float64)
    if len(x) < 16 or not np.any(x):
        return 0.0
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


def clip_factory(tmp_path):
    """make(id, [(freq, seconds), …], priority=…, kind=…) -> SpeechReady of a WAV whose
    sentences are those tones back to back."""
    counter = itertools.count()

    def make(item_id: str, sentences, *, priority: int = 10, kind: str = "script",
             deadline: float | None = None, group: str | None = None, sentence_index: int = 0,
             rate: int = RATE, text: str = "") -> events.SpeechReady:
        parts, starts, t = [], [], 0.0
        for freq, seconds in sentences:
            starts.append(round(t, 6))
            parts.append(tone(freq, seconds, rate))
            t += len(parts[-1]) / rate
        path = tmp_path / f"{item_id}-{next(counter)}.wav"
        write_wav(path, np.concatenate(parts), rate)
        req = events.SpeechRequest(id=item_id, text=text or f"text of {item_id}", kind=kind,
                                   priority=priority, deadline=deadline, group=group,
                                   sentence_index=sentence_index, source_event=f"msg-{item_id}")
        return events.SpeechReady(request=req, audio_path=str(path), sample_rate=rate,
                                  duration_s=t, sentence_starts=tuple(starts))

    return make


class Rig:
    """A running player on a MemoryBus writing to a WAV sink, plus what it published."""

    def __init__(self, tmp_path, sink=None, **kwargs):
        import threading

        from app.audio.player import AudioPlayer
        from app.audio.sinks import WavFileSink
        from app.bus.memory import MemoryBus

        self.bus = MemoryBus("audiotest")
        self.path = tmp_path / "out.wav"
        self.sink = sink or WavFileSink(self.path, RATE, buffer_ms=80)
        kwargs.setdefault("sample_rate", RATE)
        kwargs.setdefault("chunk_bytes", 256)  # 16 ms at 8 kHz
        kwargs.setdefault("gap_ms", 60)
        self.player = AudioPlayer(self.bus, self.sink, **kwargs)
        self.seen: list = []
        self._lock = threading.Lock()
        self.bus.subscribe(events.Channel.PLAYER_STATE, self._record)
        self.player.start()

    def _record(self, ev) -> None:
        with self._lock:
            self.seen.append(ev)

    def events(self, kind) -> list:
        with self._lock:
            return [e for e in self.seen if isinstance(e, kind)]

    def publish_ready(self, ready: events.SpeechReady) -> None:
        self.bus.publish(events.Channel.SPEECH_REQUESTS, ready.request)
        self.bus.publish(events.Channel.SPEECH_READY, ready)

    def control(self, command) -> None:
        self.bus.publish(events.Channel.CONTROL, command)

    def pause(self) -> None:
        """Pause: the player's one inbox handles it before any clip published after it."""
        self.control(events.Pause())

    def wait_for(self, predicate, timeout: float = 5.0) -> None:
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return
            time.sleep(0.005)
        raise AssertionError(f"timed out after {timeout}s waiting; events: {self.seen[-8:]}")

    def finished(self, *ids) -> bool:
        done = {e.id for e in self.events(events.PlaybackFinished)}
        return set(ids) <= done

    def stop(self) -> None:
        self.player.stop()
        self.bus.close()

    def recording(self) -> np.ndarray:
        from app.media.wav import read_wav

        return read_wav(self.path).samples


def clip_samples(ready: events.SpeechReady) -> np.ndarray:
    from app.media.wav import read_wav

    return read_wav(ready.audio_path, RATE).samples
