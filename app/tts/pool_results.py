"""How a job leaves the TTS stage: its sentences joined into one WAV (speed jitter, sentence
gaps, exact sentence starts), written atomically and published as ``SpeechReady``; or published
as ``SpeechFailed`` with the reason; or forgotten (cancelled, an upgrade that failed). A filler
or bridge clip the fallback spoke is queued again for the real voice. A mixin of ``TtsPool``
(``app/tts/pool.py``), which owns the state.
"""

from __future__ import annotations

import heapq
import re
from pathlib import Path

import numpy as np

from app import events
from app.logs import get_logger
from app.media import wav as wavfile
from app.tts import postprocess
from app.tts.jobs import PREFETCH_GROUP, Job

log = get_logger("tts")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class PoolResults:
    """Mixin: see the module docstring."""

    # ---- results ---------------------------------------------------------------------------

    def _publish(self, job: Job, *, gptsovits_only: bool) -> None:
        with job.lock:
            if gptsovits_only and job.taken_over:
                return
            job.state = "done"
            parts = list(job.parts)
        rid = job.id
        if job.req.group == PREFETCH_GROUP:  # in the cache now; nobody plays it
            self.stats.add("prefetched")
            with self._cond:
                self._jobs.pop(rid, None)
            return
        rate = self.settings.post.output_rate
        gap = np.zeros(int(self.settings.sentence_gap_s * rate), np.float32)
        pieces, starts, routes, pos = [], [], [], 0
        for i, part in enumerate(parts):
            samples = postprocess.jitter_speed(part.samples, rate, self.settings.post.speed_jitter, self._rng)
            if i:
                pieces.append(gap)
                pos += len(gap)
            starts.append(round(pos / rate, 4))
            pieces.append(samples)
            pos += len(samples)
            if part.route not in routes:
                routes.append(part.route)
        audio = np.concatenate(pieces)
        if self.is_cancelled(rid):
            return self._forget(job, "cancelled")
        path = self._write(rid, audio, rate)
        if self.is_cancelled(rid):  # cancelled while writing: never published
            path.unlink(missing_ok=True)
            return self._forget(job, "cancelled")
        self.stats.add("published")
        with self._cond:
            self._jobs.pop(rid, None)
        self.bus.publish(events.Channel.SPEECH_READY, events.SpeechReady(
            request=job.req, audio_path=str(path), sample_rate=rate, duration_s=round(len(audio) / rate, 4),
            sentence_starts=tuple(starts), route=",".join(routes),
            attempts=max(1, sum(p.attempts for p in parts)), cached=all(p.cached for p in parts)))
        if not gptsovits_only and job.req.kind in events.FILLING_KINDS and self.table.routes:
            self._upgrade_later(job)

    def _upgrade_later(self, job: Job) -> None:
        """A filler or bridge clip the fallback spoke is synthesised again by GPT-SoVITS when a
        worker is free; the player's clip pool replaces a clip by id, so the real voice takes
        over from then on. Nobody needs it: it waits behind everything else."""
        again = Job(job.req, received=self.mono(), sentences=list(job.sentences or []), upgrade=True)
        with self._cond:
            if job.id in self._jobs or self.is_cancelled(job.id):
                return
            self._jobs[job.id] = again
            heapq.heappush(self._heap, (int(events.Priority.BACKGROUND) + 1, next(self._seq), again))
            self._cond.notify()

    def _write(self, rid: str, audio: np.ndarray, rate: int) -> Path:
        name = f"{_SAFE.sub('_', rid)[:80] or 'speech'}-{next(self._seq)}.wav"
        path = self.out_dir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(wavfile.build(audio, rate))
        tmp.replace(path)  # the player never sees half a file
        return path

    def _forget(self, job: Job, code: str) -> None:
        with job.lock:
            job.state = "done"
        with self._cond:
            if self._jobs.get(job.id) is job:
                self._jobs.pop(job.id, None)
        self.stats.drop(code)

    def _finish_failed(self, job: Job, reason: str, code: str, *, taken: bool = False) -> None:
        with job.lock:
            if job.state == "done" and not taken:
                return
            job.state = "done"
        with self._cond:
            if self._jobs.get(job.id) is job:
                self._jobs.pop(job.id, None)
        if job.upgrade:  # an upgrade that failed: the fallback clip stays
            return
        self._fail(job.req, reason, code)

    def _fail(self, req: events.SpeechRequest, reason: str, code: str) -> None:
        if self.is_cancelled(req.id):
            self.stats.drop("cancelled")
            return
        self.stats.drop(code)
        if code == "failed":
            self.stats.add("failed")
        log.warning("speech %s not synthesised: %s", req.id, reason)
        self.bus.publish(events.Channel.SPEECH_READY, events.SpeechFailed(request=req, reason=reason))
