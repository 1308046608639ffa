from __future__ import annotations

import struct

import numpy as np
import pytest

from app.audio.wav import WavError, parse_wav, read_wav, write_wav


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


def test_extra_chunks_before_and_after_the_data_are_skipped():
    samples = np.array([1000, -1000, 32767, -32768, 0], dtype="<i2")
    data = riff((b"LIST", b"INFOISFT\x05\x00\x00\x00Lavf\x00"), fmt(), (b"fact", struct.pack("<I", 5)),
                (b"data", samples.tobytes()), (b"id3 ", b"xyz"))
    pcm = parse_wav(data)
    assert pcm.rate == 8000
    assert pcm.samples.tolist() == [1000, -1000, 32767, -32768, 0]


def test_a_44_byte_header_guess_would_have_played_the_list_chunk():
    # the LIST chunk sits where a naive reader expects samples; the parser must not return it
    samples = np.full(10, 1234, dtype="<i2")
    data = riff(fmt(), (b"LIST", bytes(range(26))), (b"data", samples.tobytes()))
    assert parse_wav(data).samples.tolist() == [1234] * 10


def test_streaming_size_and_truncated_data_take_what_is_there():
    samples = np.arange(8, dtype="<i2")
    data = bytearray(riff(fmt(), (b"data", samples.tobytes())))
    data[data.index(b"data") + 4:data.index(b"data") + 8] = b"\xff\xff\xff\xff"
    assert parse_wav(bytes(data)).samples.tolist() == list(range(8))
    assert len(parse_wav(bytes(data[:-3])).samples) == 6  # cut mid-sample


def test_float_24bit_extensible_and_stereo_are_decoded_to_mono_int16():
    f = np.array([0.5, -0.5], dtype="<f4")
    assert parse_wav(riff(fmt(tag=3, bits=32), (b"data", f.tobytes()))).samples.tolist() == [16384, -16384]
    s24 = b"".join(v.to_bytes(3, "little", signed=True) for v in (1 << 22, -(1 << 22)))
    ext = fmt(tag=0xFFFE, bits=24, extensible_tag=1)
    assert parse_wav(riff(ext, (b"data", s24))).samples.tolist() == [16384, -16384]
    stereo = np.array([1000, 3000, -2000, -4000], dtype="<i2")
    assert parse_wav(riff(fmt(channels=2), (b"data", stereo.tobytes()))).samples.tolist() == [2000, -3000]


@pytest.mark.parametrize(("data", "message"), [
    (b"ID3\x03 not a wave file", "not a RIFF/WAVE file"),
    (riff((b"data", b"\0\0")), "no 'fmt ' chunk"),
    (riff(fmt()), "no 'data' chunk"),
    (riff(fmt(tag=0x55, bits=16), (b"data", b"\0\0")), "unsupported sample format"),
])
def test_unplayable_files_say_what_is_wrong(data, message):
    with pytest.raises(WavError, match=message):
        parse_wav(data, where="clip.wav")


def test_read_wav_names_the_file_and_resamples_to_the_output_rate(tmp_path):
    t = np.arange(16000) / 16000
    write_wav(tmp_path / "a.wav", (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16), 16000)
    pcm = read_wav(tmp_path / "a.wav", 8000)
    assert pcm.rate == 8000 and abs(len(pcm.samples) - 8000) <= 2  # same duration, not double
    spectrum = np.abs(np.fft.rfft(pcm.samples.astype(float)))
    assert abs(np.fft.rfftfreq(len(pcm.samples), 1 / 8000)[spectrum.argmax()] - 440) < 2
    with pytest.raises(WavError, match="missing.wav: cannot read"):
        read_wav(tmp_path / "missing.wav")
