"""``LlmWorker``: reply jobs in, one speech request per answered sentence out.

A plain object with a blocking ``run()`` (the GUI hosts it in a QThread, headless mode in a
thread) and ``stop()``. It subscribes when constructed, so no job published after that is
missed; jobs wait in a local queue until ``run()`` takes them, one at a time.

- ``ReplyJob`` on ``reply.jobs`` → streamed answer → ``SpeechRequest(kind="llm")`` on
  ``speech.requests`` per sentence, each the moment it is complete and prepared (filtered, its
  spoken forms and filter hits on the request: ``app.text.prepare``).
- ``CancelSpeech`` on ``control`` naming a job's id (or any of its sentence ids
  ``<job>-<i>``) stops that job: its HTTP stream is closed, pending sentences are dropped.
  The operator skipping one of its sentences (``UtteranceDropped``, reason ``SKIPPED``) does
  the same: the worker publishes that CancelSpeech itself.
- A job past its deadline is not started: ``Dropped`` on ``system``.
- Failures are classified (``errors``) and reported as ``Health(component="llm")`` plus a
  ``Dropped`` for the job; the first success after a failure reports recovery.
- Each request carries, for the spoken record, the sentence before the compliance filter
  (``original``, when the filter changed it), the viewer's nickname and their comment.
- The model is loaded when ``run()`` starts (``client.warm_up``, at most
  ``client.warm_up_timeout`` seconds; jobs wait meanwhile, so the first question does not
  time out behind a cold load), and again whenever the worker has been idle for half the
  model's ``keep_alive`` (a quiet room would otherwise let it unload; protocols §7.12).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from app import events
from app.bus.base import Bus
from app.llm import errors
from app.llm.client import LlmClient
from app.llm.prompting import DEFAULT_PROMPT, PromptSettings, reply_messages
from app.llm.sentences import stream_spoken
from app.logs import get_logger
from app.recent import Recent
from app.text.prepare import TextPreparer, make_request
from app.utterance import SKIPPED, Tombstones, group_of, named, sentence_id, stale_reason

log = get_logger("llm")

STAGE = "llm"
_DOWN_KINDS = {"auth", "model_not_found", "disabled", "bad_request"}  # need the operator


class LlmWorker:
    def __init__(self, bus: Bus, client: LlmClient, *, prepare: TextPreparer | None = None,
                 product_lookup: Callable[[str | None], Any] = lambda slug: None,
                 prompt: PromptSettings = DEFAULT_PROMPT, clock: Callable[[], float] = time.time):
        self.bus = bus
        self.client = client
        self.prepare = prepare or TextPreparer()
        self.product_lookup = product_lookup
        self.prompt = prompt
        self._clock = clock
        self._jobs: queue.SimpleQueue[events.ReplyJob | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pending: set[str] = set()  # job ids queued or running
        self._cancelled = Tombstones(1000)  # of those, the ones cancelled
        self._answered: Recent[str, None] = Recent(200)  # jobs whose sentences may still be on their way
        self._current: tuple[str, threading.Event] | None = None
        self._healthy: bool | None = None
        self.answered = 0
        self._subs = [bus.inbox("llm", {events.Channel.REPLY_JOBS: self._on_job,
                                        events.Channel.CONTROL: self._on_control,
                                        events.Channel.PLAYER_STATE: self._on_player})]

    # ---- bus handlers (the worker's inbox) ---------------------------------------------------

    def _on_job(self, event: Any) -> None:
        if isinstance(event, events.ReplyJob):
            with self._lock:
                self._pending.add(event.id)
            self._jobs.put(event)

    def _on_control(self, event: Any) -> None:
        if not isinstance(event, events.CancelSpeech):
            return
        with self._lock:
            current = self._current
            # only jobs this worker holds: cancels for other utterances must not pile up here
            known = self._pending | ({current[0]} if current else set())
            job_ids = named(event.ids) & known
            self._cancelled.bury(job_ids)
        if current and current[0] in job_ids:
            log.info("reply %s cancelled (%s)", current[0], event.reason or "no reason")
            current[1].set()

    def _on_player(self, event: Any) -> None:
        """The operator skipped a sentence of an answer (跳过): the rest of it is not wanted
        either. The job stops streaming, and a CancelSpeech naming it makes TTS and the player
        drop the sentences already on their way."""
        if not isinstance(event, events.UtteranceDropped) or not event.reason.startswith(SKIPPED):
            return
        job = group_of(event.id)
        with self._lock:
            current = self._current
            known = job is not None and (job in self._pending or job in self._answered
                                         or (current is not None and current[0] == job))
        if known:
            self.bus.publish(events.Channel.CONTROL, events.CancelSpeech(ids=(job,), reason=SKIPPED))

    # ---- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Answer jobs until ``stop()``."""
        if self.client.warm_up_timeout > 0:
            self._warm_up(at_start=True)
        while not self._stop.is_set():
            try:
                job = self._jobs.get(timeout=self.client.keep_warm_every if self.client.warm_up_timeout > 0
                                     else None)
            except queue.Empty:  # idle for half the keep_alive: load the model again
                self._warm_up(at_start=False)
                continue
            if job is None or self._stop.is_set():
                break
            try:
                self._handle(job)
            except Exception:  # one bad job must not end the worker
                log.exception("reply job %s failed unexpectedly", job.id)
                self._dropped(job.id, "internal error (see log)")

    def set_prompt(self, prompt: PromptSettings) -> None:
        """Hot reload of the persona and the answer length ([llm]): the next question uses them."""
        self.prompt = prompt

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            current = self._current
        if current:
            current[1].set()
        self._jobs.put(None)
        for sub in self._subs:
            self.bus.unsubscribe(sub)
        self._subs = []

    def _handle(self, job: events.ReplyJob) -> None:
        stale = stale_reason(job.deadline, self._clock())  # the player's rule and words
        with self._lock:
            was_cancelled = job.id in self._cancelled
            if was_cancelled or stale:
                self._cancelled.discard(job.id)
                self._pending.discard(job.id)
            else:
                cancel = threading.Event()
                self._current = (job.id, cancel)
        if was_cancelled:
            return self._dropped(job.id, "cancelled before it started")
        if stale:
            return self._dropped(job.id, stale)
        try:
            sent = self._answer(job, cancel)
        except errors.Cancelled:
            self._dropped(job.id, "cancelled; pending sentences dropped")
        except errors.LlmError as e:
            log.warning("reply %s: %s", job.id, e)
            self._report_health(False, e)
            self._dropped(job.id, f"{e.kind}: {e}")
        else:
            self.answered += 1
            self._report_health(True)
            if sent == 0:
                self._dropped(job.id, "empty answer (nothing speakable passed the filter)")
        finally:
            with self._lock:
                self._current = None
                self._cancelled.discard(job.id)
                self._pending.discard(job.id)
                self._answered.add(job.id)

    def _answer(self, job: events.ReplyJob, cancel: threading.Event) -> int:
        product = self.product_lookup(job.product)
        messages = reply_messages(job.question, nickname=job.nickname, product=product,
                                  settings=self.prompt)
        sent = 0
        for spoken in stream_spoken(
                self.client, messages, cancel=cancel, prepare=self.prepare, max_chars=self.prompt.max_answer_chars,
                on_filtered=lambda s: self._dropped(job.id, f"compliance filter dropped: {s}")):
            self.bus.publish(events.Channel.SPEECH_REQUESTS, make_request(
                spoken, id=sentence_id(job.id, sent), kind="llm", priority=job.priority,
                source_event=job.source_event, deadline=job.deadline, created_at=self._clock(),
                product=job.product, sentence_index=sent, group=job.id, viewer=job.nickname,
                comment=job.question))
            sent += 1
        return sent

    # ---- keeping the model loaded -------------------------------------------------------------

    def _warm_up(self, *, at_start: bool) -> None:
        """Load the model, waiting at most ``client.warm_up_timeout`` (a stop ends the wait)."""
        result: list = []

        def run() -> None:
            try:
                result.append(self.client.warm_up(self.client.warm_up_timeout or 60.0))
            except errors.LlmError as e:
                result.append(e)

        t = threading.Thread(target=run, name="llm-warm-up", daemon=True)
        t.start()
        while t.is_alive() and not self._stop.is_set():
            t.join(0.05)
        if not result or result[0] is None:
            return  # stopped meanwhile, or nothing to load (Ark)
        outcome = result[0]
        if isinstance(outcome, errors.LlmError):
            log.warning("warming up %s failed: %s", self.client.name, outcome)
            self._healthy = False
            self.bus.publish(events.Channel.SYSTEM, events.Health(
                component="llm", status="down" if outcome.kind in _DOWN_KINDS else "degraded",
                detail=f"模型预加载失败，提问时会再试：{outcome}", ts=self._clock()))
        elif at_start or self._healthy is False:
            log.info("%s loaded in %.1f s", self.client.name, outcome)
            self._healthy = True
            self.bus.publish(events.Channel.SYSTEM, events.Health(
                component="llm", status="ok", detail=f"{self.client.name}：模型已加载（{outcome:.1f} 秒）",
                metrics={"warm_up_s": round(outcome, 3)}, ts=self._clock()))

    # ---- reporting --------------------------------------------------------------------------

    def _dropped(self, ref: str, reason: str) -> None:
        self.bus.publish(events.Channel.SYSTEM,
                         events.Dropped(stage=STAGE, ref=ref, reason=reason, ts=self._clock()))

    def _report_health(self, ok: bool, error: errors.LlmError | None = None) -> None:
        if ok and self._healthy is not False:
            self._healthy = True
            return  # only a recovery is news
        stats = self.client.stats
        metrics = {"requests": float(stats.requests), "retries": float(stats.retries),
                   "failures": float(stats.failures), "first_token_s": stats.last_first_token_s}
        if ok:
            status, detail = "ok", f"{self.client.name}: recovered / 已恢复"
        else:
            status = "down" if error.kind in _DOWN_KINDS else "degraded"
            detail = str(error)
        self._healthy = ok
        self.bus.publish(events.Channel.SYSTEM, events.Health(
            component="llm", status=status, detail=detail, metrics=metrics, ts=self._clock()))
