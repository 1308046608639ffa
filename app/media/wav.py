"""WAV bytes and files in and out: the app's one RIFF reader and writer.

Our own chunk walker rather than the ``wave`` module: Python 3.11's ``wave`` rejects the
extensible format tag and float samples, which TTS servers do send, and we must tell *why* a
body is not usable (not RIFF at all, a JSON error body, a truncated data chunk) while tolerating
what real writers add: extra chunks (``LIST``, ``fact``, ``bext``, our cache checksum) before or
after the data — a blind 44-byte header skip would play those bytes as a loud click — and the
streaming form GPT-SoVITS sends (protocols.md §2.3: a header whose data size says 0, then raw
PCM until the body ends).

Two views of the same audio: ``Wav`` (float32 in [-1, 1], for checking and processing) from
``parse``, and ``Pcm`` (int16 at the output rate, what the player writes) from ``read_wav``.
"""

from __future__ import annotations

import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.media.resample import resample as _resample

PCM = 0x0001
IEEE_FLOAT = 0x0003
EXTENSIBLE = 0xFFFE
UNKNOWN_SIZE = (0, 0xFFFFFFFF)  # what streaming writers leave in a size they cannot know yet


class WavError(ValueError):
    """The bytes are not usable WAV audio; the message says where and what is wrong."""


@dataclass(frozen=True)
class Wav:
    """Mono float32 samples in [-1, 1] and the chunks that were neither ``fmt `` nor ``data``."""

    samples: np.ndarray
    sample_rate: int
    chunks: dict[str, bytes]

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0

    def pcm(self) -> Pcm:
        return Pcm(to_int16(self.samples), self.sample_rate)


@dataclass(frozen=True)
class Pcm:
    """Mono signed 16-bit samples at ``sample_rate`` Hz."""

    samples: np.ndarray  # dtype int16, 1-D
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


# ---- reading ---------------------------------------------------------------------------------


def describe_body(body: bytes) -> str:
    return f"{len(body)} bytes starting {body[:60]!r}"


def _chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(id, start of its payload, declared size) of each chunk after the RIFF/WAVE header."""
    offset = 12
    while offset + 8 <= len(data):
        (size,) = struct.unpack_from("<I", data, offset + 4)
        yield data[offset:offset + 4], offset + 8, size
        offset += 8 + size + (size & 1)  # chunks are word-aligned


def parse(body: bytes, *, where: str = "WAV", partial_ok: bool = False) -> Wav:
    """Decode a PCM or float WAV (8/16/24/32-bit PCM, 32/64-bit float, extensible tag, any
    channel count, mixed down to mono). A data size of 0 or 0xFFFFFFFF means "to the end of the
    body" (the streaming form). A data chunk shorter than its size is an error ("truncated")
    unless ``partial_ok``, which keeps what is there (a file cut short still plays)."""
    if len(body) < 12 or body[:4] not in (b"RIFF", b"RF64") or body[8:12] != b"WAVE":
        raise WavError(f"{where}: not a WAV (no RIFF/WAVE header): {describe_body(body)}")
    fmt: tuple[int, int, int, int] | None = None
    data: bytes | None = None
    extra: dict[str, bytes] = {}
    for cid, start, size in _chunks(body):
        if cid == b"data":
            avail = len(body) - start
            if size in UNKNOWN_SIZE or (partial_ok and size > avail):
                data = body[start:]
                break  # the rest of the body is samples
            if size > avail:
                raise WavError(f"{where}: truncated WAV: data chunk says {size} bytes but only {avail} arrived")
            data = body[start:start + size]
            continue
        if start + size > len(body):
            if fmt is not None and data is not None:
                break  # a cut trailing chunk (ID3 tags …) does not spoil the audio before it
            raise WavError(f"{where}: truncated WAV: chunk {cid!r} at byte {start - 8} says {size} bytes, "
                           f"the body ends at {len(body)}")
        if cid == b"fmt ":
            if size < 16:
                raise WavError(f"{where}: 'fmt ' chunk too short ({size} bytes)")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body, start)
            if tag == EXTENSIBLE and size >= 26:  # the real tag is the sub-format GUID's first 2 bytes
                (tag,) = struct.unpack_from("<H", body, start + 24)
            fmt = (tag, channels, rate, bits)
        else:
            extra[cid.decode("latin-1")] = body[start:start + size]
    if fmt is None:
        raise WavError(f"{where}: no 'fmt ' chunk")
    if data is None:
        raise WavError(f"{where}: no 'data' chunk")
    tag, channels, rate, bits = fmt
    if channels < 1:
        raise WavError(f"{where}: bad format: {channels} channels")
    if not 4000 <= rate <= 192000:
        raise WavError(f"{where}: implausible sample rate {rate} Hz")
    samples = _decode(data, tag, bits, where)
    samples = samples[:len(samples) - len(samples) % channels]
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return Wav(samples=samples, sample_rate=rate, chunks=extra)


def _decode(data: bytes, tag: int, bits: int, where: str) -> np.ndarray:
    width = max(bits // 8, 1)
    data = data[:len(data) - len(data) % width]  # a sample cut in half is not a sample
    if tag == PCM and bits == 16:
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    if tag == PCM and bits == 8:
        return (np.frombuffer(data, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    if tag == PCM and bits == 24:
        raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float32) / float(1 << 23)
    if tag == PCM and bits == 32:
        return (np.frombuffer(data, dtype="<i4").astype(np.float64) / float(1 << 31)).astype(np.float32)
    if tag == IEEE_FLOAT and bits in (32, 64):
        return np.frombuffer(data, dtype="<f4" if bits == 32 else "<f8").astype(np.float32)
    raise WavError(f"{where}: unsupported sample format (format tag {tag:#06x}, {bits} bits)")


def read_wav(path: str | Path, out_rate: int | None = None) -> Pcm:
    """A WAV file as mono int16, resampled to ``out_rate`` when it differs. Errors name the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WavError(f"{path}: cannot read audio file: {exc.strerror or exc}") from None
    pcm = parse(data, where=str(path), partial_ok=True).pcm()
    return resample(pcm, out_rate) if out_rate else pcm


def resample(pcm: Pcm, out_rate: int) -> Pcm:
    if pcm.sample_rate == out_rate:
        return pcm
    out = _resample(pcm.samples, pcm.sample_rate, out_rate)
    return Pcm(np.ascontiguousarray(out, dtype=np.int16), out_rate)


def read_info(path: str | Path) -> dict[str, str]:
    """The LIST/INFO texts of a WAV file (id -> text), wherever the chunk sits."""
    data = Path(path).read_bytes()
    out: dict[str, str] = {}
    for cid, start, size in _chunks(data):
        if cid == b"LIST" and data[start:start + 4] == b"INFO":
            pos, end = start + 4, min(start + size, len(data))
            while pos + 8 <= end:
                sub = data[pos:pos + 4].decode("ascii", "replace")
                (n,) = struct.unpack_from("<I", data, pos + 4)
                out[sub] = data[pos + 8:pos + 8 + n].rstrip(b"\0").decode("utf-8", "replace")
                pos += 8 + n + (n & 1)
        if cid == b"data" and size in UNKNOWN_SIZE:
            break
    return out


# ---- writing ---------------------------------------------------------------------------------


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16 (rounded, clipped); int16 input is returned as is."""
    if samples.dtype == np.int16:
        return samples
    return np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32768.0), -32768, 32767).astype(np.int16)


def _fmt_chunk(rate: int) -> bytes:
    fmt = struct.pack("<HHIIHH", PCM, 1, rate, rate * 2, 2, 16)
    return b"fmt " + struct.pack("<I", len(fmt)) + fmt


def build(samples: np.ndarray, sample_rate: int, extra: dict[str, bytes] | None = None) -> bytes:
    """A 16-bit mono PCM WAV in memory; ``samples`` float in [-1, 1] or int16; ``extra`` chunks
    (id -> payload) go before the data."""
    data = to_int16(samples).astype("<i2").tobytes()
    chunks = _fmt_chunk(sample_rate)
    for cid, payload in (extra or {}).items():
        chunks += cid.encode("latin-1")[:4].ljust(4) + struct.pack("<I", len(payload)) + payload
        chunks += b"\0" * (len(payload) & 1)
    chunks += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def write_wav(path: str | Path, samples: np.ndarray, rate: int, info: dict[str, str] | None = None) -> None:
    """Write mono ``samples`` (int16, or float in [-1, 1]) as a PCM WAV file; ``info`` becomes
    its LIST/INFO chunk."""
    pcm = to_int16(np.asarray(samples)).astype("<i2").tobytes()
    if not info:
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm)
        return
    rec = WavRecorder(path, rate, info=info)
    rec.write(pcm)
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
        head = _fmt_chunk(self.rate)
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
