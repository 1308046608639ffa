"""Measuring recorded audio the way a listener would notice it: is there speech (webrtcvad), how
loud is a test tone (the "music" the tests generate) in each stretch of time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import webrtcvad

FRAME_S = 0.03  # webrtcvad frames


def tone_file(path: Path, freq: float, seconds: float, dbfs: float, *, rate: int = 44100,
              channels: int = 1, fmt: str | None = None) -> Path:
    """A sine "track" at ``dbfs`` RMS (no copyrighted music is shipped or needed)."""
    t = np.arange(int(seconds * rate)) / rate
    amp = 10 ** (dbfs / 20) * np.sqrt(2)
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    if channels > 1:
        x = np.stack([x] * channels, axis=1)
    # in pieces: libsndfile's Vorbis encoder crashes on one very large write
    with sf.SoundFile(str(path), "w", samplerate=rate, channels=channels, format=fmt) as f:
        for i in range(0, len(x), rate * 5):
            f.write(x[i:i + rate * 5])
    return path


def tone_db(x: np.ndarray, rate: int, freq: float, window_s: float = 0.05) -> np.ndarray:
    """RMS dBFS of the ``freq`` component in consecutive windows (one FFT bin, Hann window):
    speech below the tone's band does not count, so this is the music level under the voice."""
    n = int(window_s * rate)
    count = len(x) // n
    frames = x[: count * n].reshape(count, n).astype(np.float64)
    win = np.hanning(n)
    spec = np.abs(np.fft.rfft(frames * win, axis=1))
    k = int(round(freq * n / rate))
    peak = spec[:, max(0, k - 1):k + 2].max(axis=1)
    amplitude = 2 * peak / win.sum()  # sine amplitude
    return 20 * np.log10(amplitude / np.sqrt(2) + 1e-12)


def voiced_frames(x: np.ndarray, rate: int, mode: int = 2, floor_dbfs: float = -45.0) -> np.ndarray:
    """Speech per 30 ms frame: webrtcvad says voiced and the frame is louder than ``floor_dbfs``
    (on a 16 kHz copy, where a test tone above 8 kHz is gone; webrtcvad alone calls the
    near-silence left there "speech" until its noise estimate settles)."""
    y = soxr.resample(x.astype(np.float32), rate, 16000) if rate != 16000 else x.astype(np.float32)
    pcm = (np.clip(y, -1, 1) * 32767).astype("<i2")
    n = int(FRAME_S * 16000)
    vad = webrtcvad.Vad(mode)
    out = []
    for i in range(0, len(pcm) - n + 1, n):
        frame = y[i:i + n]
        loud = 10 * np.log10(np.mean(frame.astype(np.float64) ** 2) + 1e-12) > floor_dbfs
        out.append(loud and vad.is_speech(pcm[i:i + n].tobytes(), 16000))
    return np.array(out, dtype=bool)


def voiced_seconds(x: np.ndarray, rate: int) -> float:
    return float(voiced_frames(x, rate).sum() * FRAME_S)


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    x, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return x.mean(axis=1), rate
