"""On-disk cache of finished sentence audio.

One WAV per entry (16-bit mono at the output rate) named by the entry key, with a ``tcsm``
chunk holding a SHA-256 of the PCM so a damaged file is noticed (and deleted) instead of being
played. Recency is the file's mtime (touched on every hit), so the LRU order survives a restart
without an index file that could itself go stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

import numpy as np

from app.logs import get_logger
from app.media import wav as wavfile

log = get_logger("tts.cache")
_CHECKSUM_CHUNK = "tcsm"


def make_key(text: str, voice_params: dict, engine: str, output_rate: int) -> str:
    blob = json.dumps({"text": text, "voice": voice_params, "engine": engine, "rate": output_rate},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:40]


class AudioCache:
    def __init__(self, folder: Path | str, max_bytes: int = 200_000_000):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._sizes: dict[str, int] = {}
        # recency per key: mtime at start-up, then a strictly increasing clock (file times are
        # too coarse to order two accesses a millisecond apart)
        self._used: dict[str, float] = {}
        self._clock = 0.0
        self.hits = self.misses = self.evictions = self.corrupt = 0
        for path in self.folder.glob("*.wav"):
            st = path.stat()
            self._sizes[path.stem] = st.st_size
            self._used[path.stem] = st.st_mtime
        for tmp in self.folder.glob("*.tmp"):  # a write interrupted by a crash
            tmp.unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.wav"

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return sum(self._sizes.values())

    def __len__(self) -> int:
        return len(self._sizes)

    def __contains__(self, key: str) -> bool:
        return key in self._sizes

    def get(self, key: str) -> tuple[np.ndarray, int] | None:
        """(float samples, rate) of a good entry, else None; a corrupt entry is removed."""
        path = self._path(key)
        with self._lock:
            if key not in self._sizes:
                self.misses += 1
                return None
        try:
            body = path.read_bytes()
            wav = wavfile.parse(body, where=path.name)
            stored = wav.chunks.get(_CHECKSUM_CHUNK)
            pcm = wavfile.to_int16(wav.samples).tobytes()
            if stored is None or stored != hashlib.sha256(pcm).digest():
                raise wavfile.WavError("checksum mismatch")
        except (OSError, wavfile.WavError) as exc:
            log.warning("cache entry %s is corrupt (%s); removing it", path.name, exc)
            self.corrupt += 1
            self._remove(key)
            self.misses += 1
            return None
        try:
            os.utime(path)
        except OSError:
            pass
        self._touch(key)
        self.hits += 1
        return wav.samples, wav.sample_rate

    def put(self, key: str, samples: np.ndarray, rate: int) -> None:
        pcm = wavfile.to_int16(samples)
        body = wavfile.build(pcm, rate, {_CHECKSUM_CHUNK: hashlib.sha256(pcm.tobytes()).digest()})
        if len(body) > self.max_bytes:
            return
        path = self._path(key)
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        try:
            tmp.write_bytes(body)
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        except OSError as exc:
            log.warning("cannot write cache entry %s: %s", path, exc)
            tmp.unlink(missing_ok=True)
            return
        with self._lock:
            self._sizes[key] = len(body)
        self._touch(key)
        self._evict()

    def _touch(self, key: str) -> None:
        with self._lock:
            self._clock = max(self._clock + 1e-6, time.time())
            self._used[key] = self._clock

    def _remove(self, key: str) -> None:
        with self._lock:
            self._sizes.pop(key, None)
            self._used.pop(key, None)
        self._path(key).unlink(missing_ok=True)

    def _evict(self) -> None:
        with self._lock:
            total = sum(self._sizes.values())
            if total <= self.max_bytes:
                return
            order = sorted((self._used.get(key, 0.0), key) for key in self._sizes)
        for _, key in order:
            if total <= self.max_bytes:
                break
            total -= self._sizes.get(key, 0)
            self._remove(key)
            self.evictions += 1
