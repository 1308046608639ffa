"""The one WAV reader/writer: what GPT-SoVITS, espeak-ng, ffmpeg and our own cache write, and the
ways a body goes wrong (protocols.md §2.3, §7)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from app.media.wav import WavError, build, parse, read_wav, write_wav

DATA = Path(__file__).resolve().parents[2] / "data" / "reference"


def riff(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"WAVE"
    for cid, data in chunks:
        body += cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def fmt(tag=1, channels=1, rate=8000, bits=16, extensible_tag=None):
    block = channels * bits // 8
    data = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    if extensible_tag is not None:
        data += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", extensible_tag) + bytes(14)
    return (b"fmt ", data)


def tone(seconds=0.5, rate=16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 0.5).astype(np.float32)


def test_extra_chunks_before_and_after_the_data_are_skipped():
    samples = np.array([1000, -1000, 32767, -32768, 0], dtype="<i2")
    data = riff((b"LIST", b"INFOISFT\x05\x00\x00\x00Lavf\x00"), fmt(), (b"fact", struct.pack("<I", 5)),
                (b"data", samples.tobytes()), (b"id3 ", b"xyz"))
    wav = parse(data)
    assert wav.sample_rate == 8000
    assert wav.pcm().samples.tolist() == [1000, -1000, 32767, -32768, 0]
    assert wav.chunks["LIST"].startswith(b"INFO") and wav.chunks["id3 "] == b"xyz"


def test_a_44_byte_header_guess_would_have_played_the_list_chunk():
    # the LIST chunk sits where a naive reader expects samples; the parser must not return it
    samples = np.full(10, 1234, dtype="<i2")
    data = riff(fmt(), (b"LIST", bytes(range(26))), (b"data", samples.tobytes()))
    assert parse(data).pcm().samples.tolist() == [1234] * 10


def test_float_24bit_extensible_and_stereo_are_decoded_to_mono():
    f = np.array([0.5, -0.5], dtype="<f4")
    assert parse(riff(fmt(tag=3, bits=32), (b"data", f.tobytes()))).pcm().samples.tolist() == [16384, -16384]
    s24 = b"".join(v.to_bytes(3, "little", signed=True) for v in (1 << 22, -(1 << 22)))
    ext = fmt(tag=0xFFFE, bits=24, extensible_tag=1)
    assert parse(riff(ext, (b"data", s24))).pcm().samples.tolist() == [16384, -16384]
    stereo = np.array([1000, 3000, -2000, -4000], dtype="<i2")
    assert parse(riff(fmt(channels=2), (b"data", stereo.tobytes()))).pcm().samples.tolist() == [2000, -3000]


def test_the_real_servers_streaming_header_with_the_pcm_after_it():
    """GPT-SoVITS streams a 44-byte header that says 0 frames, then raw PCM (protocols.md §2.3)."""
    header = (DATA / "gptsovits_api_v2_stream_first_chunk_32k.bin").read_bytes()
    assert len(header) == 44 and header[40:44] == bytes(4)  # the real capture: data size 0
    pcm = (np.sin(np.arange(3200) / 5) * 8000).astype("<i2")
    wav = parse(header + pcm.tobytes())
    assert wav.sample_rate == 32000 and wav.pcm().samples.tolist() == pcm.tolist()
    assert len(parse(header).samples) == 0  # the header alone is an empty WAV (the check refuses it)


def test_a_file_cut_short_plays_what_is_there_but_a_cut_http_body_is_refused():
    samples = np.arange(8, dtype="<i2")
    data = riff(fmt(), (b"data", samples.tobytes()))
    cut = data[:-3]  # mid-sample
    assert parse(cut, partial_ok=True).pcm().samples.tolist() == list(range(6))
    with pytest.raises(WavError, match="truncated WAV: data chunk says 16 bytes but only 13 arrived"):
        parse(cut, where="gptsovits:http://x")
    unknown = bytearray(data)
    unknown[unknown.index(b"data") + 4:unknown.index(b"data") + 8] = b"\xff\xff\xff\xff"
    assert parse(bytes(unknown)).pcm().samples.tolist() == list(range(8))


@pytest.mark.parametrize(("data", "message"), [
    (b"ID3\x03 not a wave file", "clip.wav: not a WAV"),
    (b'{"message":"tts failed","Exception":""}', "clip.wav: not a WAV .*tts failed"),
    (riff((b"data", b"\0\0")), "clip.wav: no 'fmt ' chunk"),
    (riff(fmt()), "clip.wav: no 'data' chunk"),
    (riff(fmt(tag=0x55, bits=16), (b"data", b"\0\0")), "unsupported sample format"),
    (riff(fmt(rate=1), (b"data", b"\0\0")), "implausible sample rate 1 Hz"),
    (riff(fmt())[:30], "truncated WAV: chunk b'fmt '"),
])
def test_unusable_bodies_say_where_and_what_is_wrong(data, message):
    with pytest.raises(WavError, match=message):
        parse(data, where="clip.wav")


def test_build_round_trips_with_extra_chunks_and_right_sizes():
    x = tone()
    body = build(x, 16000, {"sha2": b"odd!\x00"})  # odd length: padded, still found
    assert struct.unpack_from("<I", body, 4)[0] == len(body) - 8
    wav = parse(body)
    assert wav.sample_rate == 16000 and len(wav.samples) == len(x)
    assert wav.chunks["sha2"] == b"odd!\x00"
    assert np.max(np.abs(wav.samples - x)) < 1 / 32768 + 1e-7  # 16-bit rounding, nothing more
    assert np.array_equal(parse(build(wav.pcm().samples, 16000)).pcm().samples, wav.pcm().samples)


def test_read_wav_names_the_file_and_resamples_to_the_output_rate(tmp_path):
    t = np.arange(16000) / 16000
    write_wav(tmp_path / "a.wav", (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16), 16000)
    pcm = read_wav(tmp_path / "a.wav", 8000)
    assert pcm.sample_rate == 8000 and abs(len(pcm.samples) - 8000) <= 2  # same duration, not double
    assert pcm.samples.dtype == np.int16
    spectrum = np.abs(np.fft.rfft(pcm.samples.astype(float)))
    assert abs(np.fft.rfftfreq(len(pcm.samples), 1 / 8000)[spectrum.argmax()] - 440) < 2
    with pytest.raises(WavError, match="missing.wav: cannot read"):
        read_wav(tmp_path / "missing.wav")


def test_write_wav_takes_float_samples_too(tmp_path):
    write_wav(tmp_path / "f.wav", np.array([0.5, -0.5, 2.0], np.float32), 8000)
    assert read_wav(tmp_path / "f.wav").samples.tolist() == [16384, -16384, 32767]  # clipped, not wrapped
