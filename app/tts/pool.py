"""The TTS stage: speech requests in, checked WAV files out (design §7), in bounded time.

Subscribes to ``speech.requests`` (durable, consumer group), ``control`` (CancelSpeech) and
``player.state`` (SpeechNeeded); publishes ``SpeechReady`` / ``SpeechFailed`` on ``speech.ready``
and per-server ``Health`` on ``system``.

Lanes. Requests wait in a bounded priority queue for one of N GPT-SoVITS workers; a worker
speaks a request sentence by sentence (exact sentence starts), each GPT-SoVITS attempt in a
thread of its own so the worker can stop waiting for it. The espeak-ng fallback has its own
lane (one thread): nothing it does waits for a server slot, a worker or the queue.

Bounded time. When the player needs an utterance (``SpeechNeeded``; at once for urgent items
and for filler/bridge clips) the stage has ``need_deadline_s`` to publish it; when the room is
already silent waiting for it (``SpeechNeeded(silent=True)``: the first line of the live, or the
queue ran dry) only ``silent_deadline_s`` — each second of it is dead air. Past that — or as
soon as no GPT-SoVITS route could serve it without waiting behind a stalled server (one busy
past the need deadline, or busy with a request whose utterance the fallback already spoke) —
the fallback lane speaks the sentences not yet synthesised, with the reason kept. The slow
request goes on alone and a good result fills the cache. Requests nobody needs yet (script
look-ahead) may take the normal read time-out.

The GPT-SoVITS workers are in ``app/tts/pool_workers.py``, how a job is published or failed in
``app/tts/pool_results.py``, the fallback lane, monitor and health in ``app/tts/pool_watch.py``:
mixins of ``TtsPool``, which owns the state they share.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

from app import events
from app.bus.base import Bus
from app.recent import Recent
from app.text.prepare import TextPreparer
from app.tts.cache import AudioCache
from app.tts.jobs import PREFETCH_GROUP, Job, urgent
from app.tts.pool_results import PoolResults
from app.tts.pool_watch import MONITOR_EVERY_S, PoolWatch
from app.tts.pool_workers import PoolWorkers
from app.tts.routes import RouteTable
from app.tts.settings import PoolSettings, ServerSpec, VoiceModel
from app.tts.synth import SentenceSynth, Stats
from app.utterance import Tombstones

_MEMORY = 10_000  # cancelled ids, early SpeechNeeded ids and fallback reasons remembered


class TtsPool(PoolWorkers, PoolResults, PoolWatch):
    def __init__(self, bus: Bus, *, servers: list[ServerSpec], voices: list[VoiceModel], out_dir: Path | str,
                 cache_dir: Path | str | None = None, settings: PoolSettings | None = None,
                 prepare: TextPreparer | None = None, group: str = "tts",
                 seed: int | None = None, clock: Callable[[], float] = time.time,
                 mono: Callable[[], float] = time.monotonic):
        settings = settings or PoolSettings()
        self.bus = bus
        self.settings = settings
        self.group = group
        self.clock = clock  # wall clock: request deadlines are epoch seconds
        self.mono = mono  # need deadlines, stalls, benches
        # only for a request that comes without its spoken sentences (试听, an older producer);
        # the room's preparer filters, so nothing unfiltered is ever spoken
        self.prepare = prepare or TextPreparer()
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.stats = Stats()
        self.table = RouteTable(list(servers), list(voices), settings, clock=mono, on_change=self._health_changed)
        self.cache = AudioCache(cache_dir, settings.cache_max_bytes) if cache_dir is not None else None
        self.synth = SentenceSynth(settings, self.stats, self.cache)
        self._rng = random.Random(seed)
        self._cond = threading.Condition()
        self._heap: list[tuple[int, int, Job]] = []
        self._seq = itertools.count()
        self._jobs: dict[str, Job] = {}  # received and not finished
        self._cancelled = Tombstones(_MEMORY)  # naming an LLM answer cancels its sentences too
        # SpeechNeeded before the request: id -> (needed at, silent since or None)
        self._early_needs: Recent[str, tuple[float, float | None]] = Recent(_MEMORY)
        self._reasons: Recent[str, str] = Recent(_MEMORY)  # id → why the fallback spoke
        self._lane: list[tuple[int, int, Job]] = []
        self._lane_cond = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._workers = 0
        self._subs = []
        self._in_fallback = False
        self._fallback_health_at = 0.0
        self._last_health: dict[str, tuple[str, str]] = {}
        self._next_liveness = 0.0

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> TtsPool:
        for _ in range(max(1, self.settings.workers)):
            self._spawn_worker()
        t = threading.Thread(target=self._fallback_lane, name="tts-fallback", daemon=True)
        t.start()
        self._threads.append(t)
        for server in self.table.servers:
            self._publish_health(server, force=True)
        C = events.Channel
        # the monitor runs as the inbox's tick: never at the same time as a cancel or a request
        self._subs.append(self.bus.inbox(
            "tts", {C.CONTROL: self._on_control, C.PLAYER_STATE: self._on_player, C.SPEECH_REQUESTS: self._on_request},
            group=self.group, tick=self._monitor, every=MONITOR_EVERY_S))
        return self

    def _spawn_worker(self) -> None:
        with self._cond:
            self._workers += 1
        t = threading.Thread(target=self._work, name="tts-worker", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self, timeout: float = 5.0) -> None:
        for sub in self._subs:
            self.bus.unsubscribe(sub)
        self._subs.clear()
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        with self._lane_cond:
            self._lane_cond.notify_all()
        end = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, end - time.monotonic()))
        self.table.close()

    def update_settings(self, settings: PoolSettings, voices: list[VoiceModel]) -> None:
        """Hot reload: what a request reads when it is spoken (deadlines, attempts, benches, checks,
        loudness, speed jitter, fallback) and the voice models apply from the next sentence.
        Servers, workers, the queue size, time-outs and the cache stay as started."""
        self.settings = self.table.settings = self.synth.settings = settings
        self.table.set_voices(voices)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- intake ----------------------------------------------------------------------------

    def _on_request(self, event) -> None:
        if isinstance(event, events.SpeechRequest):
            self.submit(event)
        elif isinstance(event, events.PrefetchSpeech):
            self.prefetch(event)

    def prefetch(self, event: events.PrefetchSpeech) -> None:
        """Synthesise texts into the cache ahead of need (the FAQ answers of the product on air):
        queued behind everything more urgent, never published."""
        pieces = [(s, (s,)) for s in event.sentences] or [(text, ()) for text in event.texts]
        for i, (text, sentences) in enumerate(pieces):
            self.submit(events.SpeechRequest(id=f"prefetch-{next(self._seq)}-{i}", text=text, kind="system",
                                             priority=int(event.priority), product=event.product,
                                             group=PREFETCH_GROUP, sentences=sentences))

    def _on_control(self, event) -> None:
        if isinstance(event, events.CancelSpeech):
            self.cancel(event.ids)

    def _on_player(self, event) -> None:
        if isinstance(event, events.SpeechNeeded):
            self.need(event.id, silent=event.silent)

    def submit(self, req: events.SpeechRequest) -> None:
        """Queue a request; when the queue is full the least urgent waiting one gives way (or
        the new one is refused if it is the least urgent)."""
        evicted = None
        now = self.mono()
        with self._cond:
            if req.id in self._cancelled or req.id in self._jobs:
                return
            if req.group != PREFETCH_GROUP:
                self.stats.add("requests")
            job = Job(req, received=now)
            early = self._early_needs.pop(req.id, None)
            if early is not None or urgent(req):
                job.need_at = now if early is None else min(early[0], now)
            if early is not None and early[1] is not None:
                job.silent_at = min(early[1], now)
            item = (int(req.priority), next(self._seq), job)
            if len(self._heap) >= self.settings.queue_max:
                worst = max(self._heap, key=lambda it: (it[0], it[1]))
                if (item[0], item[1]) >= (worst[0], worst[1]):
                    evicted = job
                else:
                    self._heap.remove(worst)
                    heapq.heapify(self._heap)
                    self._jobs.pop(worst[2].id, None)
                    evicted = worst[2]
            if evicted is not job:
                heapq.heappush(self._heap, item)
                self._jobs[req.id] = job
            self._cond.notify()
        if evicted is not None:
            self._fail(evicted.req, f"queue full ({self.settings.queue_max} waiting); less urgent than the rest",
                       "queue_full")

    def need(self, rid: str, *, silent: bool = False) -> None:
        """The player wants ``rid`` next: from now the deadline runs — the short silent one when
        the room is ``silent`` waiting for it."""
        now = self.mono()
        with self._cond:
            job = self._jobs.get(rid)
            if job is not None:
                if job.need_at is None:
                    job.need_at = now
                if silent and job.silent_at is None:
                    job.silent_at = now
                return
            at, since = self._early_needs.get(rid) or (now, None)  # the request may still be on its way
            self._early_needs[rid] = (at, since if since is not None or not silent else now)

    def cancel(self, ids) -> None:
        with self._cond:
            self._cancelled.bury(ids)
            before = len(self._heap)
            self._heap = [it for it in self._heap if it[2].id not in self._cancelled]
            if len(self._heap) != before:
                heapq.heapify(self._heap)
                for _ in range(before - len(self._heap)):
                    self.stats.drop("cancelled")
            for job in [j for i, j in self._jobs.items() if i in self._cancelled]:
                if job.state == "queued":
                    self._jobs.pop(job.id, None)

    def is_cancelled(self, rid: str) -> bool:
        return rid in self._cancelled

    def pending(self) -> int:
        with self._cond:
            return len(self._jobs)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.pending() == 0:
                return True
            time.sleep(0.01)
        return False

    def job_state(self, rid: str) -> str | None:
        """Where request ``rid`` is: "queued", "active" (on a GPT-SoVITS route), "fallback" or
        "done"; None when it is not (or no longer) being worked on."""
        with self._cond:
            job = self._jobs.get(rid)
            return job.state if job is not None else None

    def needed_since(self, rid: str) -> float | None:
        """When (``mono`` clock) the player said it needs ``rid`` next; None if it has not."""
        with self._cond:
            job = self._jobs.get(rid)
            if job is not None and job.need_at is not None:
                return job.need_at
            early = self._early_needs.get(rid)
            return early[0] if early is not None else None

    def silent_since(self, rid: str) -> float | None:
        """When (``mono`` clock) the player said the room is silent waiting for ``rid``; None if
        it has not."""
        with self._cond:
            job = self._jobs.get(rid)
            if job is not None and job.silent_at is not None:
                return job.silent_at
            early = self._early_needs.get(rid)
            return early[1] if early is not None else None

    def fallback_reason(self, rid: str) -> str | None:
        """Why the fallback voice spoke (part of) utterance ``rid``; None if it did not."""
        with self._cond:
            return self._reasons.get(rid)

    # ---- report ----------------------------------------------------------------------------

    def report(self) -> dict:
        out = self.stats.as_dict()
        out["benched"] = self.table.benched_labels()
        out["ever_benched"] = self.table.ever_benched()
        out["failures_to_bench"] = self.table.failures_to_bench()
        out["model_switches"] = sum(s.client.switches for s in self.table.servers)
        out["need_deadline_s"] = self.settings.need_deadline_s
        out["silent_deadline_s"] = self.settings.silent_deadline_s
        out["cut_long"] = self.prepare.cut_long  # utterances cut to [tts] max_utterance_chars
        if self.cache is not None:
            out["cache"] = {"entries": len(self.cache), "bytes": self.cache.total_bytes,
                            "evictions": self.cache.evictions, "corrupt": self.cache.corrupt}
        return out
