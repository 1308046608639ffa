"""The check every synthesis passes before anyone may hear it.

GPT-SoVITS fails quietly: HTTP 200 with one second of zeros, near-silence, noise or a hum, or
speech that stops after a few words. Each rule below catches one of those and says so in the
verdict's reason, so the report shows why a route was rotated away from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.media.resample import resample

try:
    import webrtcvad
except ImportError:  # the energy check below stands in
    webrtcvad = None

VAD_RATE = 16000
FRAME_MS = 30


@dataclass(frozen=True)
class CheckSettings:
    min_voiced_ratio: float = 0.30  # of the trimmed audio, by VAD
    min_chars_per_s: float = 1.2  # speakable chars per second: slower is drawn-out/garbage
    max_chars_per_s: float = 9.0  # faster means words were swallowed
    duration_slack_s: float = 1.2  # pauses, fragment intervals
    max_flatness: float = 0.45  # spectral flatness of voiced frames: noise is near 1
    min_envelope_cv: float = 0.30  # speech's loudness moves with syllables; a hum or hiss does not
    vad_mode: int = 2
    silence_dbfs: float = -50.0


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    code: str = "ok"  # short name for counting: zeros, silence, unvoiced, too_short, noise …
    metrics: dict[str, float] = field(default_factory=dict)


def check(samples: np.ndarray, sample_rate: int, speakable_chars: int,
          settings: CheckSettings = CheckSettings()) -> Verdict:
    """Judge mono ``samples`` synthesised for a text of ``speakable_chars`` units (float in
    [-1, 1]; integer PCM is scaled, so a caller passing int16 is judged right, not as noise)."""
    if np.issubdtype(samples.dtype, np.integer):
        samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max + 1)
    s = settings
    duration = len(samples) / sample_rate if sample_rate else 0.0
    m: dict[str, float] = {"duration_s": round(duration, 3)}
    if len(samples) < sample_rate * 0.05:
        return Verdict(False, f"empty audio ({duration:.3f} s)", "empty", metrics=m)
    peak = float(np.max(np.abs(samples)))
    m["peak"] = round(peak, 5)
    if float(np.ptp(samples)) < 1e-4:
        what = "all-zero" if peak < 1e-4 else "constant"
        hint = " (GPT-SoVITS's 1 s internal-failure block)" if abs(duration - 1.0) < 0.01 else ""
        return Verdict(False, f"{what} block of {duration:.2f} s{hint}", "zeros", metrics=m)
    audio16 = resample(samples.astype(np.float32), sample_rate, VAD_RATE)
    frame = VAD_RATE * FRAME_MS // 1000
    n = len(audio16) // frame
    frames = audio16[:n * frame].reshape(n, frame)
    rms = np.sqrt(np.mean(frames * frames, axis=1) + 1e-12)
    db = 20 * np.log10(rms)
    loud = db > s.silence_dbfs
    if not loud.any():
        return Verdict(False, f"silence (loudest frame {db.max():.0f} dBFS)", "silence", metrics=m)
    first, last = int(np.argmax(loud)), int(n - np.argmax(loud[::-1]))
    span = slice(first, last)
    active_s = (last - first) * FRAME_MS / 1000
    m["active_s"] = round(active_s, 3)
    voiced = _voiced(frames[span], s.vad_mode)
    ratio = float(voiced.mean()) if len(voiced) else 0.0
    m["voiced_ratio"] = round(ratio, 3)
    if ratio < s.min_voiced_ratio:
        return Verdict(False, f"too little voiced audio ({ratio:.0%} < {s.min_voiced_ratio:.0%})", "unvoiced", metrics=m)
    if speakable_chars > 0:
        lo = speakable_chars / s.max_chars_per_s
        hi = speakable_chars / s.min_chars_per_s + s.duration_slack_s
        if active_s < lo:
            return Verdict(False, f"too short for the text: {active_s:.2f} s for {speakable_chars} chars "
                                  f"(at least {lo:.2f} s) — words swallowed", "too_short", metrics=m)
        if active_s > hi:
            return Verdict(False, f"too long for the text: {active_s:.2f} s for {speakable_chars} chars "
                                  f"(at most {hi:.2f} s)", "too_long", metrics=m)
    sel = frames[span][voiced] if voiced.any() else frames[span]
    flat = _flatness(sel)
    m["flatness"] = round(flat, 3)
    if flat > s.max_flatness:
        return Verdict(False, f"noise, not speech (spectral flatness {flat:.2f} > {s.max_flatness})", "noise", metrics=m)
    env = rms[span]
    cv = float(np.std(env) / (np.mean(env) + 1e-9))
    m["envelope_cv"] = round(cv, 3)
    if cv < s.min_envelope_cv and active_s > 0.4:
        return Verdict(False, f"steady buzz or hiss, not speech (loudness variation {cv:.2f} < "
                              f"{s.min_envelope_cv})", "buzz", metrics=m)
    return Verdict(True, "ok", "ok", metrics=m)


def _voiced(frames: np.ndarray, aggressiveness: int) -> np.ndarray:
    if len(frames) == 0:
        return np.zeros(0, dtype=bool)
    if webrtcvad is None:
        # energy check: frames within 30 dB of the loudest count as voiced
        rms = np.sqrt(np.mean(frames * frames, axis=1) + 1e-12)
        return 20 * np.log10(rms / rms.max()) > -30
    vad = webrtcvad.Vad(aggressiveness)
    pcm = (np.clip(frames, -1, 1) * 32767).astype("<i2")
    return np.fromiter((vad.is_speech(f.tobytes(), VAD_RATE) for f in pcm), dtype=bool, count=len(pcm))


def _flatness(frames: np.ndarray) -> float:
    """Median spectral flatness (geometric / arithmetic mean of the power spectrum) over frames,
    in the 100 Hz–4 kHz speech band where noise and speech differ most."""
    if len(frames) == 0:
        return 0.0
    win = np.hanning(frames.shape[1]).astype(np.float32)
    spec = np.abs(np.fft.rfft(frames * win, axis=1)) ** 2 + 1e-12
    freqs = np.fft.rfftfreq(frames.shape[1], 1 / VAD_RATE)
    band = spec[:, (freqs >= 100) & (freqs <= 4000)]
    flat = np.exp(np.mean(np.log(band), axis=1)) / np.mean(band, axis=1)
    return float(np.median(flat))
