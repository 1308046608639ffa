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


def write_wav(path: str | Path, samples: np.ndarray, rate: int, info: dict[str, str] | None = None) -> None:
    """Write mono int16 ``samples`` as a PCM WAV file; ``info`` becomes its LIST/INFO chunk."""
    if not info:
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(np.asarray(samples, dtype="<i2").tobytes())
        return
    rec = WavRecorder(path, rate, info=info)
    rec.write(np.asarray(samples, dtype="<i2").tobytes())
    rec.close()


# ---- the recording the app saves, with its metadata ------------------------------------------

APP_SOFTWARE = "抖音电商无人直播控制台"
DEFAULT_AI_LABEL = "本音频部分内容由人工智能生成"


def ai_label_info(text: str = DEFAULT_AI_LABEL, *, software: str = APP_SOFTWARE,
                  produce_id: str | None = None) -> dict[str, str]:
    """The implicit AI-generated-content label of a saved recording (人工智能生成合成内容标识办法,
    in force since 2025-09-01; GB 45438-2025 asks for it in the file's metadata): the label text
    as the comment (ICMT, what players and libsndfile show), the producing software (ISFT), the
    date (ICRD), and the standard's own JSON under an ``AIGC`` key (Label 1 = AI-generated
    content; the propagator fields are left for the platform)."""
    import json
    import uuid
    from datetime import date

    aigc = {"AIGC": {"Label": "1", "ContentProducer": software, "ProduceID": produce_id or uuid.uuid4().hex,
                     "ReservedCode1": "", "ContentPropagator": "", "PropagateID": "", "ReservedCode2": ""}}
    return {"ICMT": text, "ISFT": software, "ICRD": date.today().isoformat(),
            "AIGC": json.dumps(aigc, ensure_ascii=False, separators=(",", ":"))}


def info_chunk(info: dict[str, str]) -> bytes:
    """A RIFF ``LIST``/``INFO`` chunk: one sub-chunk per 4-character id, UTF-8 text (what
    libsndfile and ffmpeg read back), NUL-terminated, word-aligned."""
    body = b"INFO"
    for key, text in info.items():
        cid = key.encode("ascii")
        if len(cid) != 4:
            raise ValueError(f"RIFF INFO id must be 4 ASCII characters, got {key!r}")
        data = text.encode("utf-8") + b"\0"
        body += cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")
    return b"LIST" + struct.pack("<I", len(body)) + body


class WavRecorder:
    """Streams mono int16 PCM to a WAV file: ``fmt``, then the ``LIST``/``INFO`` metadata,
    then ``data``. The sizes in the header are brought up to date every few seconds of audio
    and on close, so the file of a run that crashed still plays. A recording about to pass
    the 4 GiB a RIFF size can count goes on in ``NAME-2.wav``, ``NAME-3.wav`` …"""

    LIMIT = 0xFFFF_0000  # data bytes per file, below RIFF's 32-bit sizes
    PATCH_EVERY = 5.0  # seconds of audio between header updates

    def __init__(self, path: str | Path, rate: int, info: dict[str, str] | None = None):
        self.first_path = Path(path)
        self.path = self.first_path
        self.rate = rate
        self.info = dict(info or {})
        self.files = [self.path]
        self._part = 1
        self._open()

    def _open(self) -> None:
        self._f = open(self.path, "wb")  # noqa: SIM115 - kept open for the whole recording
        fmt = struct.pack("<HHIIHH", PCM, 1, self.rate, self.rate * 2, 2, 16)
        head = b"fmt " + struct.pack("<I", len(fmt)) + fmt
        if self.info:
            head += info_chunk(self.info)
        self._f.write(b"RIFF" + struct.pack("<I", 0) + b"WAVE" + head + b"data" + struct.pack("<I", 0))
        self._data_at = self._f.tell()  # first audio byte; its size field is 4 bytes before
        self._bytes = 0
        self._unpatched = 0

    def write(self, pcm: bytes) -> None:
        if self._f is None or not pcm:
            return
        if self._bytes + len(pcm) > self.LIMIT:
            self._roll()
        self._f.write(pcm)
        self._bytes += len(pcm)
        self._unpatched += len(pcm)
        if self._unpatched >= self.PATCH_EVERY * self.rate * 2:
            self._patch()

    @property
    def frames(self) -> int:
        return self._bytes // 2

    def _patch(self) -> None:
        here = self._f.tell()
        pad = self._bytes & 1
        self._f.seek(4)
        self._f.write(struct.pack("<I", self._data_at - 8 + self._bytes + pad))
        self._f.seek(self._data_at - 4)
        self._f.write(struct.pack("<I", self._bytes))
        self._f.seek(here)
        self._f.flush()
        self._unpatched = 0

    def _roll(self) -> None:
        self._finish()
        self._part += 1
        self.path = self.first_path.with_name(f"{self.first_path.stem}-{self._part}{self.first_path.suffix}")
        self.files.append(self.path)
        self._open()

    def _finish(self) -> None:
        if self._bytes & 1:
            self._f.write(b"\0")
        self._patch()
        self._f.close()

    def close(self) -> None:
        if self._f is not None:
            self._finish()
            self._f = None


def read_info(path: str | Path) -> dict[str, str]:
    """The LIST/INFO texts of a WAV file (id -> text), wherever the chunk sits."""
    data = Path(path).read_bytes()
    out: dict[str, str] = {}
    offset = 12
    while offset + 8 <= len(data):
        cid = data[offset:offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        start = offset + 8
        if cid == b"LIST" and data[start:start + 4] == b"INFO":
            pos, end = start + 4, min(start + size, len(data))
            while pos + 8 <= end:
                sub = data[pos:pos + 4].decode("ascii", "replace")
                (n,) = struct.unpack_from("<I", data, pos + 4)
                out[sub] = data[pos + 8:pos + 8 + n].rstrip(b"\0").decode("utf-8", "replace")
                pos += 8 + n + (n & 1)
        if cid == b"data" and size in (0, 0xFFFFFFFF):
            break
        offset = start + size + (size & 1)
    return out
