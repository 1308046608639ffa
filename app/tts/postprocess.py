"""Making checked audio ready to play: trimmed, at one loudness, at the output rate.

Loudness is an RMS over the non-silent 10 ms frames (a gated RMS, close enough to LUFS for
speech from one engine and much cheaper; pyloudnorm would pull in scipy for little gain), with
a peak limit so loud voices never clip.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from app.media.resample import resample


@dataclass(frozen=True)
class PostSettings:
    output_rate: int = 44100
    loudness_target_db: float = -20.0  # gated RMS, dBFS
    peak_dbfs: float = -1.0
    silence_dbfs: float = -45.0  # trim threshold
    keep_edge_s: float = 0.04  # silence left at each end after trimming so onsets are not cut
    speed_jitter: float = 0.0  # e.g. 0.03 → each sentence sped up/slowed by up to 3 %


def trim(samples: np.ndarray, rate: int, silence_dbfs: float, keep_s: float) -> np.ndarray:
    frame = max(1, rate // 100)
    n = len(samples) // frame
    if n == 0:
        return samples
    frames = samples[:n * frame].reshape(n, frame)
    db = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
    loud = np.nonzero(db > silence_dbfs)[0]
    if len(loud) == 0:
        return samples[:0]
    keep = int(keep_s * rate)
    start = max(0, loud[0] * frame - keep)
    end = min(len(samples), (loud[-1] + 1) * frame + keep)
    return samples[start:end]


def normalize_loudness(samples: np.ndarray, rate: int, target_dbfs: float, peak_dbfs: float,
                       gate_dbfs: float = -45.0) -> np.ndarray:
    frame = max(1, rate // 100)
    n = len(samples) // frame
    if n == 0:
        return samples
    power = np.mean(samples[:n * frame].reshape(n, frame) ** 2, axis=1)
    gated = power[10 * np.log10(power + 1e-12) > gate_dbfs]
    if len(gated) == 0:
        return samples
    rms_db = 10 * np.log10(float(np.mean(gated)))
    gain = 10 ** ((target_dbfs - rms_db) / 20)
    peak = float(np.max(np.abs(samples))) * gain
    limit = 10 ** (peak_dbfs / 20)
    if peak > limit:
        gain *= limit / peak
    return (samples * gain).astype(np.float32)


def process(samples: np.ndarray, rate: int, settings: PostSettings) -> np.ndarray:
    """Trim, level and resample to ``settings.output_rate`` (what the cache stores)."""
    s = settings
    x = trim(samples.astype(np.float32), rate, s.silence_dbfs, s.keep_edge_s)
    x = normalize_loudness(x, rate, s.loudness_target_db, s.peak_dbfs)
    x = resample(x, rate, s.output_rate)
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def jitter_speed(samples: np.ndarray, rate: int, amount: float, rng: random.Random | None = None) -> np.ndarray:
    """Speed up or slow down by a random factor within ±``amount`` (anti-repetition: the same
    cached sentence never plays back bit-identical). Pitch moves with it, by the same tiny bit."""
    if amount <= 0 or not len(samples):
        return samples
    speed = 1.0 + (rng or random).uniform(-amount, amount)
    # treat the audio as if recorded at rate·speed and resample back to rate: shorter when faster
    return resample(samples, rate * speed, rate).astype(np.float32)
