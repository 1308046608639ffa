"""Background music: a folder of tracks, decoded ahead on a thread, loudness-matched, looped.

``MusicPlayer.read(n)`` hands the mixer the next ``n`` samples at the output rate and never
waits: a decoder thread keeps a few seconds ready (what is not ready yet is silence, counted).
Tracks (mp3, wav, ogg vorbis, flac — decoded, mixed down to mono and brought to the output rate
by ``miniaudio``, streaming) play in name order or shuffled, the folder is read again at every round (tracks dropped in are picked up), and
each track is scaled so its loudness (RMS of its non-silent 10 ms frames over the first
minute, the measure the TTS stage levels the voice with) is ``REF_DBFS``: the mixer then sets
the music's level relative to that, so a quiet and a loud track sound alike under the voice.

A file that cannot be decoded is counted, reported and skipped; an empty or missing folder is
reported and looked at again every few seconds.

Why miniaudio and not libsndfile (``soundfile``): libsndfile 1.2.2 loses about 3,000 samples at
every read boundary of an MP3 (a gap every block), and a music bed must be read in blocks (a
one-hour mix does not fit in memory decoded). Files are opened by Python and handed to the
decoder as a stream, so any file name works on Windows too.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import miniaudio
import numpy as np

from app.logs import get_logger

log = get_logger("audio")

EXTENSIONS = (".mp3", ".wav", ".ogg", ".flac")
REF_DBFS = -20.0  # every track's loudness after matching, before the music level is applied
ANALYSE_S = 60.0  # loudness is measured over a track's first minute (a one-hour mix loads fast)
GATE_DBFS = -50.0  # frames quieter than this are not counted (intros, pauses)
MAX_GAIN_DB = 30.0
FADE_IN_S = 0.05
SKIP_FADE_S = 0.15
EMPTY_RETRY_S = 5.0


@dataclass(frozen=True)
class Track:
    path: Path
    title: str
    index: int  # 1-based, in this round's order
    count: int


@dataclass
class MusicReport:
    tracks_started: list[str] = field(default_factory=list)
    bad_files: dict[str, str] = field(default_factory=dict)  # file name -> why
    starved_samples: int = 0  # asked for but not decoded yet (heard as silence)
    skips: int = 0


def scan(folder: Path | None) -> list[Path]:
    """Playable files under ``folder`` (sub-folders too), in natural name order."""
    if folder is None or not folder.is_dir():
        return []
    files = [p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file()]
    return sorted(files, key=lambda p: str(p.relative_to(folder)).lower())


def gated_rms_db(samples: np.ndarray, rate: int) -> float | None:
    """Loudness as RMS of the frames above ``GATE_DBFS`` (None when all is silence)."""
    frame = max(1, rate // 100)
    n = len(samples) // frame
    if n == 0:
        return None
    power = np.mean(np.square(samples[: n * frame].reshape(n, frame), dtype=np.float64), axis=1)
    loud = power[power > 10 ** (GATE_DBFS / 10)]
    if len(loud) == 0:
        return None
    return float(10 * np.log10(np.mean(loud)))


class MusicPlayer:
    def __init__(self, rate: int, *, folder: Path | None = None, shuffle: bool = False,
                 ahead_s: float = 4.0, seed: int | None = None,
                 on_change: Callable[[], None] | None = None):
        self.rate = rate
        self.folder = folder
        self.shuffle = shuffle
        self.ahead = int(ahead_s * rate)
        self.random = random.Random(seed)
        self.on_change = on_change  # called (decoder thread or reader) when ``status()`` changed
        self.report = MusicReport()
        self._cv = threading.Condition()
        self._blocks: deque[tuple[Track, np.ndarray]] = deque()
        self._queued = 0
        self._active = False  # decode ahead (the mixer wants music)
        self._stop = False
        self._generation = 0  # bumped by a folder change: the decoder drops what it is doing
        self._skip_track: Track | None = None  # decoder: abandon this track
        self._fade_out: Track | None = None  # reader: fade this track out, then drop it
        self._playlist: list[Path] = []
        self._pos = 0
        self._round = 0
        self.now: Track | None = None  # the track being heard
        self.state = "off"  # off | loading | playing | empty | error
        self.detail = ""
        self.warning = ""  # the last file that could not be played, and why
        self._round_ok = True  # some track of this round was decoded
        self._thread: threading.Thread | None = None

    # ---- control (any thread) -------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="music-decoder", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def set_active(self, active: bool) -> None:
        with self._cv:
            if active != self._active:
                self._active = active
                if not active:
                    self._set_state("off", "背景音乐已关闭")
                self._cv.notify_all()

    def configure(self, folder: Path | None, shuffle: bool) -> None:
        with self._cv:
            self.shuffle = shuffle
            if folder == self.folder:
                return
            self.folder = folder
            self._generation += 1  # the old folder's tracks stop now
            self._fade_out = self.now
            self._skip_track = None
            self._playlist, self._pos = [], 0
            self._cv.notify_all()

    def skip(self) -> bool:
        """Skip the track being heard (a short fade, then the next one). False when none plays."""
        with self._cv:
            if self.now is None or self.state != "playing":
                return False
            self._skip_track = self.now
            self._fade_out = self.now
            self.report.skips += 1
            self._cv.notify_all()
            return True

    def status(self) -> dict:
        with self._cv:
            t = self.now
            return {"state": self.state, "title": t.title if t else "", "index": t.index if t else 0,
                    "count": t.count if t else len(self._playlist), "detail": self.detail,
                    "warning": self.warning}

    def decoded(self) -> dict[str, float]:
        """Seconds decoded and waiting to be heard, by track title, oldest track first (a
        track faded out by a skip or a folder change still counts until the next read drops it)."""
        with self._cv:
            out: dict[str, float] = {}
            for track, block in self._blocks:
                out[track.title] = out.get(track.title, 0.0) + len(block) / self.rate
            return out

    # ---- the mixer's side (never blocks on decoding) --------------------------------------

    def read(self, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        filled = 0
        with self._cv:
            if self._fade_out is not None:
                filled = self._fade(out)
            while filled < n and self._blocks:
                track, block = self._blocks[0]
                if track is not self.now:
                    self.now = track
                    self.report.tracks_started.append(track.path.name)
                    del self.report.tracks_started[:-500]
                    self._set_state("playing", f"正在播放：{track.title}（{track.index}/{track.count}）")
                take = min(n - filled, len(block))
                out[filled:filled + take] = block[:take]
                filled += take
                if take == len(block):
                    self._blocks.popleft()
                else:
                    self._blocks[0] = (track, block[take:])
                self._queued -= take
            if filled < n and self._active and self.state == "playing":
                self.report.starved_samples += n - filled
            self._cv.notify_all()  # room for the decoder
        return out

    def _fade(self, out: np.ndarray) -> int:
        """Fade the skipped (or old-folder) track out over ``SKIP_FADE_S`` and drop the rest."""
        gone, self._fade_out = self._fade_out, None
        want = min(len(out), int(SKIP_FADE_S * self.rate))
        filled = 0
        while filled < want and self._blocks and self._blocks[0][0] is gone:
            track, block = self._blocks[0]
            take = min(want - filled, len(block))
            out[filled:filled + take] = block[:take]
            filled += take
            self._blocks[0] = (track, block[take:])
            if take == len(block):
                self._blocks.popleft()
        if filled:
            out[:filled] *= np.linspace(1.0, 0.0, filled, dtype=np.float32)
        kept = deque((t, b) for t, b in self._blocks if t is not gone)
        self._queued = sum(len(b) for _, b in kept)
        self._blocks = kept
        return filled

    # ---- the decoder thread ---------------------------------------------------------------

    def _set_state(self, state: str, detail: str) -> None:
        if (state, detail) != (self.state, self.detail):
            self.state, self.detail = state, detail
            if self.on_change is not None:
                self.on_change()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stop and not self._active:
                    self._cv.wait(1.0)
                if self._stop:
                    return
                generation = self._generation
            try:
                track = self._next_track()
                if track is None:
                    with self._cv:
                        self._cv.wait(EMPTY_RETRY_S)
                    continue
                self._play(track, generation)
            except Exception:  # never lose the music thread to one bad file or a bug
                log.exception("background music decoder error")
                with self._cv:
                    self._cv.wait(1.0)

    def _next_track(self) -> Track | None:
        with self._cv:
            folder = self.folder
            if self._pos >= len(self._playlist):
                files = scan(folder)
                if not files:
                    where = str(folder) if folder else "（未设置）"
                    self._set_state("empty", f"音乐文件夹 {where} 里没有 mp3/wav/ogg/flac 文件")
                    self.now = None
                    return None
                if self._playlist and not self._round_ok:  # a whole round and nothing played
                    self._set_state("error", f"音乐文件夹 {folder} 里的文件都无法播放（{self.warning}），"
                                             "请换成正常的音乐文件")
                    self._playlist, self._pos, self._round_ok = [], 0, True
                    self.now = None
                    return None
                self._round_ok = False
                if self.shuffle:
                    last = self._playlist[-1] if self._playlist else None
                    self.random.shuffle(files)
                    if len(files) > 1 and files[0] == last:
                        files[0], files[-1] = files[-1], files[0]
                self._playlist, self._pos = files, 0
                self._round += 1
            path = self._playlist[self._pos]
            self._pos += 1
            if self.state in ("off", "empty", "error"):
                self._set_state("loading", "正在加载背景音乐")
            return Track(path, path.stem, self._pos, len(self._playlist))

    def _play(self, track: Track, generation: int) -> None:
        try:
            gain = self._loudness_gain(track.path)
            blocks = _Decoded(track.path, self.rate)
        except Exception as exc:
            self._bad(track, exc)
            return
        fade = int(FADE_IN_S * self.rate)
        first = True
        with blocks:
            while True:
                with self._cv:
                    while (not self._stop and self._active and self._generation == generation
                           and self._skip_track is not track and self._queued >= self.ahead):
                        self._cv.wait(0.5)
                    if self._stop or self._generation != generation or self._skip_track is track:
                        return
                    if not self._active:  # music turned off: keep what is decoded, wait
                        self._cv.wait(0.5)
                        continue
                try:
                    block = blocks.next()
                except Exception as exc:  # a file damaged halfway: what played stays played
                    self._bad(track, exc)
                    return
                if block is None:
                    return
                block *= np.float32(gain)
                if first and len(block):
                    k = min(fade, len(block))
                    block[:k] *= np.linspace(0.0, 1.0, k, dtype=np.float32)
                    first = False
                with self._cv:
                    if self._generation != generation or self._skip_track is track:
                        return
                    self._blocks.append((track, block))
                    self._queued += len(block)
                    self._round_ok = True

    def _loudness_gain(self, path: Path) -> float:
        parts, have = [], 0
        with _Decoded(path, self.rate) as blocks:
            while have < ANALYSE_S * self.rate and (block := blocks.next()) is not None:
                parts.append(block)
                have += len(block)
        if not have:
            raise ValueError("文件里没有音频")
        level = gated_rms_db(np.concatenate(parts), self.rate)
        if level is None:
            return 1.0  # a silent track stays silent; nothing to match
        return float(10 ** (np.clip(REF_DBFS - level, -MAX_GAIN_DB, MAX_GAIN_DB) / 20))

    def _bad(self, track: Track, exc: Exception) -> None:
        if isinstance(exc, miniaudio.MiniaudioError):
            why = "无法解码：文件损坏，或不是 mp3/wav/ogg(vorbis)/flac 音频"
        elif isinstance(exc, OSError):
            why = f"无法读取：{exc.strerror or exc}"
        else:
            why = str(exc).strip() or type(exc).__name__
        log.warning("background music: cannot play %s: %s", track.path, why)
        with self._cv:
            self.report.bad_files[track.path.name] = why[:200]
            self.warning = f"无法播放 {track.path.name}：{why[:80]}，已跳过"
            if self.on_change is not None:
                self.on_change()


# ---- decoding -----------------------------------------------------------------------------------

BLOCK_S = 0.5


class _Decoded:
    """Mono float32 blocks of one file at ``rate``, streamed by miniaudio from a file Python
    opened (``next()`` -> block, or None at the end)."""

    def __init__(self, path: Path, rate: int):
        fmt = {".mp3": miniaudio.FileFormat.MP3, ".flac": miniaudio.FileFormat.FLAC,
               ".ogg": miniaudio.FileFormat.VORBIS, ".wav": miniaudio.FileFormat.WAV}
        self._source = _FileSource(path)
        try:
            self._gen = miniaudio.stream_any(
                self._source, source_format=fmt.get(path.suffix.lower(), miniaudio.FileFormat.UNKNOWN),
                output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1, sample_rate=rate,
                frames_to_read=int(BLOCK_S * rate))
        except Exception:
            self._source.close()
            raise

    def next(self) -> np.ndarray | None:
        try:
            data = next(self._gen)
        except StopIteration:
            return None
        if not len(data):
            return None
        return np.frombuffer(data, dtype=np.float32).copy()

    def __enter__(self) -> _Decoded:
        return self

    def __exit__(self, *exc) -> None:
        self._gen.close()
        self._source.close()


class _FileSource(miniaudio.StreamableSource):
    def __init__(self, path: Path):
        self.f = open(path, "rb")  # noqa: SIM115 - closed by close()

    def read(self, num_bytes: int) -> bytes:
        return self.f.read(num_bytes)

    def seek(self, offset: int, origin: miniaudio.SeekOrigin) -> bool:
        self.f.seek(offset, {miniaudio.SeekOrigin.START: 0, miniaudio.SeekOrigin.CURRENT: 1}.get(origin, 2))
        return True

    def close(self) -> None:
        self.f.close()
