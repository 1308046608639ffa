"""Reading WAV files into mono 16-bit samples at the output rate, and writing them back.

The reader walks the RIFF chunks instead of assuming a 44-byte header: GPT-SoVITS, ffmpeg and
espeak-ng all write files with extra chunks (``LIST``, ``fact``, ``bext`` …) or with the
extensible format tag, and a blind header skip would play those bytes as a loud click. The
standard ``wave`` module of Python 3.11 rejects the extensible tag and float samples, which TTS
servers do send, hence this small parser.
"""

from __future__ import annotations

import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PCM = 0x0001
IEEE_FLOAT = 0x0003
EXTENSIBLE = 0xFFFE


class WavError(ValueError):
    """A file that is not playable WAV audio; the message names the file and the problem."""


@dataclass(frozen=True)
class Pcm:
    """Mono signed 16-bit samples at ``rate`` Hz."""

    samples: np.ndarray  # dtype int16, 1-D
    rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0


def read_wav(path: str | Path, out_rate: int | None = None) -> Pcm:
    """Decode ``path`` to mono int16, resampled to ``out_rate`` (with soxr) when it differs."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WavError(f"{path}: cannot read audio file: {exc.strerror or exc}") from None
    pcm = parse_wav(data, where=str(path))
    if out_rate and pcm.rate != out_rate:
        pcm = resample(pcm, out_rate)
    return pcm


def parse_wav(data: bytes, where: str = "<bytes>") -> Pcm:
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RF64") or data[8:12] != b"WAVE":
        raise WavError(f"{where}: not a RIFF/WAVE file (starts with {data[:12]!r})")
    fmt: tuple[int, int, int, int] | None = None
    body: bytes | None = None
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset:offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        start = offset + 8
        if chunk_id == b"fmt ":
            if size < 16 or start + 16 > len(data):
                raise WavError(f"{where}: byte {offset}: 'fmt ' chunk too short ({size} bytes)")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, start)
            if tag == EXTENSIBLE and size >= 40:
                (tag,) = struct.unpack_from("<H", data, start + 24)  # first 2 bytes of the sub-format GUID
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            # Streaming writers leave the size at 0 or 0xFFFFFFFF; a cut file is shorter than
            # declared. Either way, take what is there.
            end = len(data) if size in (0, 0xFFFFFFFF) else min(start + size, len(data))
            body = data[start:end]
            if fmt is not None:
                break
        offset = start + size + (size & 1)  # chunks are word-aligned
    if fmt is None:
        raise WavError(f"{where}: no 'fmt ' chunk")
    if body is None:
        raise WavError(f"{where}: no 'data' chunk")
    tag, channels, rate, bits = fmt
    if channels < 1 or rate < 1:
        raise WavError(f"{where}: bad format: {channels} channels at {rate} Hz")
    samples = _decode(body, tag, bits, where)
    usable = len(samples) - len(samples) % channels
    samples = samples[:usable]
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return Pcm(_to_int16(samples), rate)


def _decode(body: bytes, tag: int, bits: int, where: str) -> np.ndarray:
    width = bits // 8
    body = body[: len(body) - len(body) % max(width, 1)]
    if tag == PCM and bits == 16:
        return np.frombuffer(body, dtype="<i2").astype(np.float64) / 32768.0
    if tag == PCM and bits == 8:
        return (np.frombuffer(body, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    if tag == PCM and bits == 24:
        raw = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float64) / float(1 << 23)
    if tag == PCM and bits == 32:
        return np.frombuffer(body, dtype="<i4").astype(np.float64) / float(1 << 31)
    if tag == IEEE_FLOAT and bits in (32, 64):
        return np.frombuffer(body, dtype="<f4" if bits == 32 else "<f8").astype(np.float64)
    raise WavError(f"{where}: unsupported sample format (format tag {tag:#06x}, {bits} bits)")


def _to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


def resample(pcm: Pcm, out_rate: int) -> Pcm:
    """Change the sample rate (pygame plays raw buffers at the mixer's rate, so a file at
    another rate would otherwise play at the wrong speed and pitch)."""
    import soxr

    if pcm.rate == out_rate or len(pcm.samples) == 0:
        return Pcm(pcm.samples, out_rate)
    out = soxr.resample(pcm.samples, pcm.rate, out_rate)
    return Pcm(np.ascontiguousarray(out, dtype=np.int16), out_rate)


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> None:
    """Write mono int16 ``samples`` as a plain PCM WAV file."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())
