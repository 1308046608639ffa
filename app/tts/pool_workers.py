"""The TTS stage's GPT-SoVITS lane: N workers take requests from the priority queue and speak
each sentence by sentence (exact sentence starts), from the cache or through the route table
with rotation. Each attempt runs in a thread of its own, so a worker stops waiting for it the
moment the request is taken over, cancelled or the stage stops; the attempt goes on alone and
a good result still fills the cache. A mixin of ``TtsPool`` (``app/tts/pool.py``), which owns
the state.
"""

from __future__ import annotations

import heapq

from app.logs import get_logger
from app.tts.attempt import Attempt
from app.tts.jobs import Job
from app.tts.synth import SentenceAudio
from app.utterance import stale_reason

log = get_logger("tts")


class PoolWorkers:
    """Mixin: see the module docstring."""

    # ---- GPT-SoVITS workers ------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                while not self._heap and not self._stop.is_set():
                    self._cond.wait(0.2)
                if self._stop.is_set():
                    return
                _, _, job = heapq.heappop(self._heap)
            try:
                self._run(job)
            except Exception as exc:  # one bad request must not kill a worker
                log.exception("tts worker failed on %s", job.id)
                self._finish_failed(job, f"internal error: {exc}", "internal")

    def _run(self, job: Job) -> None:
        with job.lock:
            if job.state != "queued":
                return
            job.state = "active"
        req = job.req
        if self.is_cancelled(req.id):
            return self._forget(job, "cancelled")
        stale = stale_reason(req.deadline, self.clock())  # the player's rule and words
        if stale:
            return self._finish_failed(job, stale, "stale")
        if not self._prepare(job):
            return
        for sentence in job.sentences[len(job.parts):]:
            self.stats.add("sentences")
            audio = self._gptsovits(job, sentence)
            if audio is None:
                if self.is_cancelled(req.id) or self._stop.is_set():
                    return self._forget(job, "cancelled")
                if job.upgrade:  # the fallback clip stays
                    return self._forget(job, "upgrade_failed")
                if not job.taken_over:
                    why = "; ".join(job.errors[-3:]) or self.table.why_unusable()
                    self._takeover(job, "no_route" if not job.errors else "failed", why)
                return
            with job.lock:
                if job.taken_over:
                    return
                job.parts.append(audio)
        self._publish(job, gptsovits_only=True)

    def _prepare(self, job: Job) -> bool:
        """The sentences to synthesise: the request's own, verbatim (its producer prepared it,
        filter included), else prepared here once. False (and the request failed) when nothing
        is left to say."""
        with job.lock:
            if job.sentences is not None:
                return True
        sentences = list(job.req.sentences)
        if not sentences:
            prepared = self.prepare(job.req.text)
            if not prepared.ok:
                if prepared.filtered:
                    self._finish_failed(job, f"blocked by the text filter: {prepared.reason}", "filtered")
                else:
                    self._finish_failed(job, f"nothing speakable: {job.req.text!r}", "empty")
                return False
            sentences = list(prepared.sentences)
        with job.lock:
            if job.sentences is None:
                job.sentences = sentences
        return True

    def _gptsovits(self, job: Job, text: str) -> SentenceAudio | None:
        """One sentence from the cache or GPT-SoVITS with rotation; None when no route could
        give good audio in time (the job's ``errors`` say why) or the job was taken over."""
        hit = self.synth.cached_gptsovits(text, self.table.usable_voices())
        if hit is not None:
            return hit
        stop = lambda: job.taken_over or self.is_cancelled(job.id) or self._stop.is_set()  # noqa: E731
        tried: set[int] = set()
        attempts = 0
        while attempts < self.settings.max_attempts and not stop():
            job.waiting_since = self.mono()
            route = self.table.acquire(tried, cancelled=stop, needed=lambda: job.need_at is not None)
            job.waiting_since = None
            if route is None:
                return None
            if stop():
                self.table.release(route, ok=False, kind="busy")
                return None
            tried.add(id(route))
            attempts += 1
            if attempts > 1:
                self.stats.add("retries")
                self.stats.add("rotations")
            attempt = Attempt(self.table, route, text, self.synth, self.settings.lock_wait_s)
            job.attempt = attempt
            attempt.start()
            while not attempt.done.wait(0.05):
                if stop():
                    attempt.give_up()  # it goes on alone; a good result still fills the cache
                    return None
            job.attempt = None
            if attempt.audio is not None:
                self._fallback_changed(False, "")
                return SentenceAudio(attempt.audio, route.label, attempts, False)
            if attempt.kind == "busy":
                attempts -= 1
            self.stats.reject(attempt.code or attempt.kind)
            job.errors.append(attempt.reason())
            log.info("tts attempt on %s failed: %s", route.label, attempt.error)
        return None
