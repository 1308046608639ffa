"""WAV bytes in and out.

Our own RIFF chunk walker rather than the ``wave`` module because we must tell *why* a body is
not usable (not RIFF at all, a JSON error body, a truncated data chunk, a streaming header with
a zero data size) and tolerate extra chunks (LIST, fact, our cache checksum chunk).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np


class WavError(ValueError):
    """The bytes are not a usable WAV; the message says what is wrong."""


@dataclass(frozen=True)
class Wav:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    chunks: dict[str, bytes]  # extra chunks by id (e.g. our checksum), data/fmt excluded

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


def describe_body(body: bytes) -> str:
    head = body[:60]
    return f"{len(body)} bytes starting {head!r}"


def parse(body: bytes, *, streaming: bool = False) -> Wav:
    """Parse a PCM WAV. ``streaming`` accepts GPT-SoVITS's streamed form: a header whose sizes
    say 0 followed by raw PCM (protocols.md §2.3)."""
    if len(body) < 12 or body[:4] != b"RIFF" or body[8:12] != b"WAVE":
        raise WavError(f"not a WAV (no RIFF/WAVE header): {describe_body(body)}")
    pos, fmt, data, extra = 12, None, None, {}
    while pos + 8 <= len(body):
        cid = body[pos:pos + 4].decode("latin-1")
        (size,) = struct.unpack_from("<I", body, pos + 4)
        start = pos + 8
        if cid == "data":
            avail = len(body) - start
            if streaming and size in (0, 0xFFFFFFFF):
                size = avail - avail % 2
            elif size > avail:
                raise WavError(f"truncated WAV: data chunk says {size} bytes but only {avail} arrived")
            data = body[start:start + size]
        elif start + size > len(body):
            raise WavError(f"truncated WAV: chunk {cid!r} at byte {pos} says {size} bytes, body ends at {len(body)}")
        elif cid == "fmt ":
            fmt = body[start:start + size]
        else:
            extra[cid] = body[start:start + size]
        pos = start + size + (size & 1)  # chunks are word aligned
    if fmt is None or len(fmt) < 16:
        raise WavError("WAV has no valid 'fmt ' chunk")
    if data is None:
        raise WavError("WAV has no 'data' chunk")
    tag, channels, rate, _, align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == 0xFFFE and len(fmt) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the real tag is in the GUID
        tag = struct.unpack_from("<H", fmt, 24)[0]
    if not 4000 <= rate <= 192000:
        raise WavError(f"implausible WAV sample rate {rate}")
    if channels < 1:
        raise WavError("WAV has 0 channels")
    if tag == 1 and bits == 16:
        pcm = np.frombuffer(data[:len(data) - len(data) % (2 * channels)], dtype="<i2").astype(np.float32) / 32768.0
    elif tag == 1 and bits == 32:
        pcm = np.frombuffer(data[:len(data) - len(data) % (4 * channels)], dtype="<i4").astype(np.float32) / 2147483648.0
    elif tag == 3 and bits == 32:
        pcm = np.frombuffer(data[:len(data) - len(data) % (4 * channels)], dtype="<f4").astype(np.float32)
    else:
        raise WavError(f"unsupported WAV encoding (format tag {tag}, {bits} bits)")
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1)
    return Wav(samples=pcm, sample_rate=rate, chunks=extra)


def to_int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 32767 / 32768) * 32768.0).astype("<i2")


def build(samples: np.ndarray, sample_rate: int, extra: dict[str, bytes] | None = None) -> bytes:
    """16-bit mono PCM WAV; ``samples`` float in [-1, 1] or int16."""
    pcm = samples if samples.dtype == np.int16 else to_int16(samples)
    data = pcm.astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate, sample_rate * 2, 2, 16)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    for cid, payload in (extra or {}).items():
        chunks += cid.encode("latin-1")[:4].ljust(4) + struct.pack("<I", len(payload)) + payload
        chunks += b"\0" * (len(payload) & 1)
    chunks += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks
