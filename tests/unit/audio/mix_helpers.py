"""Driving a MixingSink the way the player does, on a hand-driven clock, and fake sound devices
that fail the way real ones do (unplugged, stuck, missing from the list)."""

from __future__ import annotations

import time

import numpy as np

from app.audio import sdl
from app.audio.mixer import MixingSink

RATE = 16000
TONE = 6000.0  # the test "music": above the band of the test "speech"


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def speech_pcm(seconds: float, seed: int = 1, dbfs: float = -18.0) -> bytes:
    """Voice-like noise below 3 kHz at ``dbfs`` RMS (the level the TTS stage levels to)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    spec = np.fft.rfft(rng.standard_normal(n))
    spec[int(3000 * n / RATE):] = 0
    x = np.fft.irfft(spec, n)
    x *= 10 ** (dbfs / 20) / np.sqrt(np.mean(x ** 2))
    return (x * 32768).astype("<i2").tobytes()


class Driver:
    """Writes like the player: fixed chunks, only when the sink has room; time passes by hand."""

    def __init__(self, sink: MixingSink, clock: Clock, chunk: int = 4096, system: FakeSystem | None = None):
        self.sink, self.clock, self.chunk, self.system = sink, clock, chunk, system

    def speak(self, tag: str, pcm: bytes) -> None:
        for i in range(0, len(pcm), self.chunk):
            piece = pcm[i:i + self.chunk]
            while (wait := self.sink.room_in(len(piece))) > 0:
                self.advance(min(wait, 0.01))
            self.sink.write(piece, tag)

    def advance(self, seconds: float, step: float = 0.01) -> None:
        end = self.clock.t + seconds
        while self.clock.t < end - 1e-9:
            dt = min(end, self.clock.t + step) - self.clock.t
            self.clock.t += dt
            if self.system is not None:  # the devices play in real time, then get topped up
                self.system.play_all(int(round(dt * self.sink.sample_rate)))
                for out in (self.sink.main, self.sink.monitor):
                    if out is not None:
                        out.maintain()
                self.sink.publish_status(force=False)  # what the device-upkeep thread does
            self.sink.pump()

    def drain(self) -> None:
        """Let time pass until all written audio was heard."""
        self.advance(self.sink.ahead_s() + 0.05)


def wait_for(cond, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def music_ready(sink: MixingSink, seconds: float) -> None:
    """Wait until the decoder has ``seconds`` of music ready (it runs on its real thread)."""
    wait_for(lambda: sum(sink.music.decoded().values()) >= seconds, timeout=20)


# ---- fake devices ---------------------------------------------------------------------------

class FakeDevice:
    def __init__(self, system: FakeSystem, name: str | None, rate: int):
        self.system, self.name, self.rate = system, name, rate
        self.queue_bytes = bytearray()
        self.played = bytearray()
        self.id = 1
        self.stopped = False
        self.stuck = False

    def queue(self, pcm: bytes) -> None:
        if self.stopped:
            raise sdl.SdlError("Audio device has been disconnected")
        self.queue_bytes += pcm

    def queued_samples(self) -> int:
        return len(self.queue_bytes) // 2

    def status(self) -> int:
        return sdl.STOPPED if self.stopped else sdl.PLAYING

    def play(self, samples: int) -> None:
        if self.stopped or self.stuck:
            return
        n = min(len(self.queue_bytes), samples * 2)
        self.played += self.queue_bytes[:n]
        del self.queue_bytes[:n]

    def close(self) -> None:
        self.id = 0
        if self in self.system.open_devices:
            self.system.open_devices.remove(self)


class FakeSystem:
    """A sound system with named devices; ``default`` is what a ``None`` open gets."""

    def __init__(self, names: list[str], default: str | None = None):
        self.present = list(names)
        self.default = default if default is not None else (names[0] if names else None)
        self.open_devices: list[FakeDevice] = []
        self.history: list[FakeDevice] = []

    def names(self) -> list[str]:
        return list(self.present)

    def open(self, name: str | None, rate: int) -> FakeDevice:
        real = name if name is not None else self.default
        if real is None or real not in self.present:
            raise sdl.SdlError("No such device" if name else "No audio devices")
        dev = FakeDevice(self, real, rate)
        self.open_devices.append(dev)
        self.history.append(dev)
        return dev

    def unplug(self, name: str) -> None:
        self.present.remove(name)
        for dev in self.open_devices:
            if dev.name == name:
                dev.stopped = True

    def plug(self, name: str) -> None:
        self.present.append(name)

    def play_all(self, samples: int) -> None:
        for dev in list(self.open_devices):
            dev.play(samples)

    def device(self, name: str) -> FakeDevice | None:
        return next((d for d in self.open_devices if d.name == name), None)
