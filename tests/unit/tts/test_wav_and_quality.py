import struct
from pathlib import Path

import numpy as np
import pytest

from app.tts import espeak, postprocess, quality, wavio
from app.tts.textnorm import speakable_length

SAMPLES = Path("/work/shared/reference/samples")
TEXT = "欢迎来到直播间，今天的福利非常多。"


@pytest.fixture(scope="module")
def speech():
    pcm, rate = espeak.synthesize(TEXT)
    return pcm.astype(np.float32) / 32768.0, rate


def test_roundtrip_and_extra_chunks_are_tolerated(speech):
    x, rate = speech
    body = wavio.build(x, rate, {"LIST": b"INFOISFT\x05\x00\x00\x00odd!\x00"})
    wav = wavio.parse(body)
    assert wav.sample_rate == rate and len(wav.samples) == len(x)
    assert wav.chunks["LIST"].startswith(b"INFO")
    assert np.max(np.abs(wav.samples - x)) < 1e-3


def test_truncated_and_non_wav_bodies_are_refused_with_a_reason(speech):
    body = wavio.build(*speech)
    with pytest.raises(wavio.WavError, match="truncated"):
        wavio.parse(body[: len(body) // 2])
    with pytest.raises(wavio.WavError, match="not a WAV"):
        wavio.parse(b'{"message":"tts failed","Exception":""}')


def test_streaming_first_chunk_from_the_real_server_parses_with_the_pcm_after_it():
    header = (SAMPLES / "gptsovits_api_v2_stream_first_chunk_32k.bin").read_bytes()
    pcm = (np.sin(np.arange(3200) / 5) * 8000).astype("<i2").tobytes()
    wav = wavio.parse(header + pcm, streaming=True)
    assert wav.sample_rate == 32000 and len(wav.samples) == 3200
    header_only = wavio.parse(header)  # the header alone is an empty WAV, which the check refuses
    assert not quality.check(header_only.samples, header_only.sample_rate, 2).ok


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


def test_wav_sizes_in_header_match_the_file(speech):
    body = wavio.build(*speech)
    assert struct.unpack_from("<I", body, 4)[0] == len(body) - 8
