"""The check every synthesised sentence passes (VAD, length for the text, failure shapes) and the
post-processing after it."""

import numpy as np
import pytest

from app.text.spoken import speakable_length
from app.tts import espeak, postprocess, quality

TEXT = "欢迎来到直播间，今天的福利非常多。"


@pytest.fixture(scope="module")
def speech():
    pcm, rate = espeak.synthesize(TEXT)
    return pcm.astype(np.float32) / 32768.0, rate


def test_real_speech_passes_the_check(speech):
    v = quality.check(*speech, speakable_length(TEXT))
    assert v.ok, v.reason
    assert v.metrics["voiced_ratio"] > 0.5


def _bad(kind: str, rate: int = 32000, seconds: float = 4.0) -> np.ndarray:
    rng = np.random.default_rng(3)
    n = int(rate * seconds)
    if kind == "zeros":
        return np.zeros(16000, np.float32)
    if kind == "silence":
        return rng.normal(0, 3e-4, n).astype(np.float32)
    if kind == "noise":
        return rng.normal(0, 0.2, n).astype(np.float32)
    if kind == "buzz":
        t = np.arange(n) / rate
        return (0.3 * ((t * 120) % 1.0 - 0.5)).astype(np.float32)
    raise ValueError(kind)


@pytest.mark.parametrize("kind, code, words", [
    ("zeros", "zeros", "all-zero"), ("silence", "silence", "silence"),
    ("noise", "noise", "noise"), ("buzz", "buzz", "buzz"),
])
def test_failure_audio_is_rejected_with_its_reason(kind, code, words):
    x = _bad(kind)
    v = quality.check(x, 16000 if kind == "zeros" else 32000, speakable_length(TEXT))
    assert not v.ok and v.code == code and words in v.reason


def test_an_empty_answer_is_refused(speech):
    """A streamed answer that broke off after its header parses to no samples at all."""
    v = quality.check(np.zeros(0, np.float32), 32000, 2)
    assert not v.ok


def test_speech_too_short_or_too_long_for_the_text_is_rejected(speech):
    x, rate = speech
    v = quality.check(x[: rate // 2], rate, speakable_length(TEXT))
    assert not v.ok and v.code == "too_short"
    v = quality.check(np.tile(x, 4), rate, speakable_length(TEXT))
    assert not v.ok and v.code == "too_long"


def test_energy_check_stands_in_when_webrtcvad_is_missing(speech, monkeypatch):
    monkeypatch.setattr(quality, "webrtcvad", None)
    assert quality.check(*speech, speakable_length(TEXT)).ok
    assert not quality.check(_bad("silence"), 32000, 10).ok


def test_postprocess_trims_levels_and_resamples(speech):
    x, rate = speech
    padded = np.concatenate([np.zeros(rate), x * 0.1, np.zeros(rate)])
    settings = postprocess.PostSettings(output_rate=44100, loudness_target_db=-20.0)
    y = postprocess.process(padded, rate, settings)
    assert abs(len(y) / 44100 - len(x) / rate) < 0.2  # the two seconds of silence are gone
    frames = y[: len(y) // 441 * 441].reshape(-1, 441)
    power = np.mean(frames ** 2, axis=1)
    gated = power[10 * np.log10(power + 1e-12) > -45]
    assert abs(10 * np.log10(gated.mean()) - (-20.0)) < 1.5
    assert np.max(np.abs(y)) <= 10 ** (-1 / 20) + 1e-3


def test_speed_jitter_changes_length_slightly_and_never_identical(speech):
    import random

    x, rate = speech
    rng = random.Random(5)
    a = postprocess.jitter_speed(x, rate, 0.03, rng)
    b = postprocess.jitter_speed(x, rate, 0.03, rng)
    assert len(a) != len(b)
    for y in (a, b):
        assert 0.96 < len(y) / len(x) < 1.04
