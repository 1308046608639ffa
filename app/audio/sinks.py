"""Where played audio goes: the sound device (the mixing sink of ``mixer.py``: the device by
name through SDL, music, monitor; or sounddevice), a WAV file, or nowhere — always paced like a real device, so timing, interrupts and silences behave the same
headless as on air.

Every sink keeps one timeline in samples since ``open()``. The device consumes it in real time;
what the player has not written by the time the device gets there is silence (an underrun),
which the WAV sink records as zeros — so the file is exactly what a listener heard, gaps and
dead air included. ``segments`` lists which utterance occupied which samples.
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.logs import get_logger
from app.media.wav import WavRecorder

log = get_logger("audio")

BYTES_PER_SAMPLE = 2  # mono signed 16-bit everywhere


class SinkError(OSError):
    """An output that cannot be opened or used; the message says which and why."""


@dataclass
class Segment:
    id: str
    start: int  # first sample (timeline index)
    end: int  # one past the last sample


class Sink(abc.ABC):
    """Blocking writer of mono int16 PCM at ``sample_rate``."""

    name = "?"

    def __init__(self, sample_rate: int):
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
        self.sample_rate = sample_rate

    def open(self) -> None:  # noqa: B027 - most sinks have nothing to open
        pass

    def close(self) -> None:  # noqa: B027
        pass

    @abc.abstractmethod
    def room_in(self, nbytes: int) -> float:
        """Seconds until ``write`` of ``nbytes`` would be accepted without blocking (0 = now)."""

    @abc.abstractmethod
    def write(self, pcm: bytes, tag: str | None = None) -> None:
        """Queue ``pcm`` for playback, blocking until the device has room. ``tag`` names the
        utterance it belongs to (None for deliberate silence)."""

    @abc.abstractmethod
    def flush(self) -> int:
        """Discard what was written but not yet heard; returns the samples discarded."""

    @abc.abstractmethod
    def next_sample(self) -> int:
        """Timeline index at which the next written sample will sound."""

    def ahead_s(self) -> float:
        """Seconds of audio written but not yet heard."""
        return 0.0

    @property
    def segments(self) -> list[Segment]:
        return []


class PacedSink(Sink):
    """A device model: the playback cursor moves at ``sample_rate`` in real time from
    ``open()``; at most ``buffer_ms`` of audio may be written ahead of it."""

    name = "null"

    def __init__(self, sample_rate: int, *, buffer_ms: float = 150.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        super().__init__(sample_rate)
        self.buffer_samples = max(1, int(sample_rate * buffer_ms / 1000))
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.RLock()
        self._t0: float | None = None
        self._end = 0  # timeline index after the last written sample
        self._committed = 0  # everything before this index is final (heard)
        self._pending = bytearray()  # samples [_committed, _end): written, not yet heard
        self._segments: list[Segment] = []

    # ---- Sink ----------------------------------------------------------------------------

    def open(self) -> None:
        with self._lock:
            self._t0 = self.clock()

    def close(self) -> None:
        # What was written is treated as heard: a device plays its buffer out.
        with self._lock:
            if self._t0 is None:
                return
            self._settle()
            if self._pending:
                self._commit(bytes(self._pending))
                self._committed = self._end
                self._pending.clear()
            self._t0 = None

    def room_in(self, nbytes: int) -> float:
        with self._lock:
            device = self._device()
            if self._end <= device:
                return 0.0  # empty buffer always takes a chunk, whatever its size
            over = self._end + nbytes // BYTES_PER_SAMPLE - device - self.buffer_samples
            return max(0.0, over / self.sample_rate)

    def write(self, pcm: bytes, tag: str | None = None) -> None:
        if self._t0 is None:
            raise SinkError(f"{self.name} sink: write before open()")
        while True:
            wait = self.room_in(len(pcm))
            if wait <= 0:
                break
            self.sleep(wait)
        self._append(pcm, tag)

    def _append(self, pcm: bytes, tag: str | None) -> None:
        with self._lock:
            self._settle()
            n = len(pcm) // BYTES_PER_SAMPLE
            if tag is not None:
                last = self._segments[-1] if self._segments else None
                if last is not None and last.id == tag and last.end == self._end:
                    last.end += n
                else:
                    self._segments.append(Segment(tag, self._end, self._end + n))
            self._pending += pcm[: n * BYTES_PER_SAMPLE]
            self._end += n
            self._accept(pcm[: n * BYTES_PER_SAMPLE])

    def flush(self) -> int:
        with self._lock:
            if self._t0 is None:
                return 0
            self._settle()
            cut = self._committed  # == device position after _settle
            discarded = self._end - cut
            self._pending.clear()
            self._end = cut
            kept = []
            for seg in self._segments:
                if seg.start >= cut:
                    continue
                seg.end = min(seg.end, cut)
                kept.append(seg)
            self._segments = kept
            self._discard()
            return discarded

    def next_sample(self) -> int:
        with self._lock:
            return max(self._end, self._device()) if self._t0 is not None else self._end

    @property
    def segments(self) -> list[Segment]:
        with self._lock:
            return [Segment(s.id, s.start, s.end) for s in self._segments]

    def ahead_s(self) -> float:
        with self._lock:
            if self._t0 is None:
                return 0.0
            return max(0, self._end - self._device()) / self.sample_rate

    @property
    def heard_samples(self) -> int:
        with self._lock:
            return self._committed

    # ---- internals -----------------------------------------------------------------------

    def _device(self) -> int:
        return int((self.clock() - (self._t0 or 0.0)) * self.sample_rate)

    def _settle(self) -> None:
        """Advance to the device cursor: silence where nothing was written, commit what was heard."""
        device = self._device()
        if self._end < device:  # underrun: all that was written was heard, then silence
            if self._pending:
                self._commit(bytes(self._pending))
                self._pending.clear()
            # counted, not built: after a 30-minute pause that silence would be 100+ MB of zeros
            self._commit_silence(device - self._end)
            self._end = self._committed = device
            return
        heard = device - self._committed
        if heard > 0:
            self._commit(bytes(self._pending[: heard * BYTES_PER_SAMPLE]))
            del self._pending[: heard * BYTES_PER_SAMPLE]
            self._committed = device

    def _commit(self, pcm: bytes) -> None:  # heard audio, final
        pass

    def _commit_silence(self, samples: int) -> None:  # heard silence, final
        pass

    def _accept(self, pcm: bytes) -> None:  # a real device gets the bytes here
        pass

    def _discard(self) -> None:  # a real device drops its queue here
        pass


class NullSink(PacedSink):
    """Plays nothing, at real-time speed."""

    name = "null"


class WavFileSink(PacedSink):
    """Records exactly what was heard, silences included, to a 16-bit mono WAV file; ``info``
    goes into its LIST/INFO metadata (the AI-content label, ``app.media.wav.ai_label_info``)."""

    name = "wav"

    def __init__(self, path: str | Path, sample_rate: int, *, info: dict[str, str] | None = None, **kwargs):
        super().__init__(sample_rate, **kwargs)
        self.path = Path(path)
        self.info = info
        self._wav: WavRecorder | None = None

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wav = WavRecorder(self.path, self.sample_rate, info=self.info)
        except OSError as exc:
            raise SinkError(f"wav sink: cannot write {self.path}: {exc.strerror or exc}") from None
        super().open()

    def close(self) -> None:
        super().close()
        if self._wav is not None:
            self._wav.close()
            self._wav = None

    def _commit(self, pcm: bytes) -> None:
        if self._wav is not None and pcm:
            self._wav.write(pcm)

    def _commit_silence(self, samples: int) -> None:
        second = bytes(self.sample_rate * BYTES_PER_SAMPLE)
        while samples > 0:  # a second at a time: a long pause never sits in memory whole
            n = min(samples, self.sample_rate)
            self._commit(second[: n * BYTES_PER_SAMPLE])
            samples -= n


class SounddeviceSink(PacedSink):
    """The sound card through ``sounddevice`` (PortAudio), used only when that package is
    installed; it is not a dependency."""

    name = "sounddevice"

    def __init__(self, sample_rate: int, *, device: str | int | None = None, **kwargs):
        super().__init__(sample_rate, **kwargs)
        self.device = device
        self._stream = None

    @staticmethod
    def available() -> bool:
        try:
            import sounddevice  # noqa: F401
        except (ImportError, OSError):
            return False
        return True

    def open(self) -> None:
        try:
            import sounddevice as sd
        except (ImportError, OSError) as exc:
            raise SinkError(f"sounddevice sink: the sounddevice package is not usable: {exc}") from None
        try:
            self._stream = sd.RawOutputStream(samplerate=self.sample_rate, channels=1, dtype="int16",
                                              device=self.device, latency="low")
            self._stream.start()
        except Exception as exc:  # PortAudio raises its own error types
            raise SinkError(f"sounddevice sink: cannot open the audio device: {exc}") from None
        super().open()

    def close(self) -> None:
        super().close()
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def _accept(self, pcm: bytes) -> None:
        self._stream.write(pcm)  # pacing already keeps the model within the buffer

    def _discard(self) -> None:
        self._stream.abort()
        self._stream.start()
