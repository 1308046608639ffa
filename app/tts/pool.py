"""The TTS stage: speech requests in, checked WAV files out (design §7).

Subscribes to ``speech.requests`` (durable, consumer group) and ``control`` (CancelSpeech);
publishes ``SpeechReady`` / ``SpeechFailed`` on ``speech.ready`` and per-server ``Health`` on
``system``. Requests wait in a bounded priority queue (most urgent first, FIFO within a
priority) for one of N workers; each request is synthesised sentence by sentence so the
sentence starts in the ready event are exact.
"""

from __future__ import annotations

import heapq
import itertools
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app import events
from app.bus.base import Bus
from app.logs import get_logger
from app.text.sentences import split_sentences
from app.tts import postprocess, wavio
from app.tts.cache import AudioCache
from app.tts.routes import RouteTable, Server
from app.tts.settings import PoolSettings, ServerSpec, VoiceModel
from app.tts.synth import Cancelled, SentenceFailed, SentenceSynth, Stats
from app.tts.textnorm import normalize, speakable_length

log = get_logger("tts")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_CANCEL_MEMORY = 10_000
PREFETCH_GROUP = "prefetch"


class TtsPool:
    def __init__(self, bus: Bus, *, servers: list[ServerSpec], voices: list[VoiceModel], out_dir: Path | str,
                 cache_dir: Path | str | None = None, settings: PoolSettings | None = None,
                 text_filter: Callable[[str], str | None] | None = None, group: str = "tts",
                 seed: int | None = None, clock: Callable[[], float] = time.time):
        settings = settings or PoolSettings()
        self.bus = bus
        self.settings = settings
        self.group = group
        self.clock = clock
        self.text_filter = text_filter or (lambda text: text)
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.stats = Stats()
        self.table = RouteTable(list(servers), list(voices), settings, on_change=self._health_changed)
        self.cache = AudioCache(cache_dir, settings.cache_max_bytes) if cache_dir is not None else None
        self.synth = SentenceSynth(self.table, settings, self.stats, self.cache, on_fallback=self._fallback_changed)
        self._rng = random.Random(seed)
        self._cond = threading.Condition()
        self._heap: list[tuple[int, int, events.SpeechRequest]] = []
        self._seq = itertools.count()
        self._cancelled: OrderedDict[str, None] = OrderedDict()
        self._active: set[str] = set()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._subs = []
        self._in_fallback = False
        self._last_health: dict[str, tuple[str, str]] = {}

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> TtsPool:
        for i in range(max(1, self.settings.workers)):
            t = threading.Thread(target=self._work, name=f"tts-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._monitor, name="tts-prober", daemon=True)
        t.start()
        self._threads.append(t)
        for server in self.table.servers:
            self._publish_health(server, force=True)
        self._subs.append(self.bus.subscribe(events.Channel.CONTROL, self._on_control))
        self._subs.append(self.bus.subscribe(events.Channel.SPEECH_REQUESTS, self._on_request, group=self.group))
        return self

    def stop(self, timeout: float = 5.0) -> None:
        for sub in self._subs:
            self.bus.unsubscribe(sub)
        self._subs.clear()
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        end = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, end - time.monotonic()))
        self.table.close()

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
        for i, text in enumerate(event.texts):
            self.submit(events.SpeechRequest(id=f"prefetch-{next(self._seq)}-{i}", text=text, kind="system",
                                             priority=int(event.priority), product=event.product,
                                             group=PREFETCH_GROUP))

    def _on_control(self, event) -> None:
        if isinstance(event, events.CancelSpeech):
            self.cancel(event.ids)

    def submit(self, req: events.SpeechRequest) -> None:
        """Queue a request; when the queue is full the least urgent waiting one gives way (or
        the new one is refused if it is the least urgent)."""
        evicted = None
        with self._cond:
            if req.id in self._cancelled:
                return
            if req.group != PREFETCH_GROUP:
                self.stats.add("requests")
            item = (int(req.priority), next(self._seq), req)
            if len(self._heap) >= self.settings.queue_size:
                worst = max(self._heap)
                if item >= worst:
                    evicted = req
                else:
                    self._heap.remove(worst)
                    heapq.heapify(self._heap)
                    heapq.heappush(self._heap, item)
                    evicted = worst[2]
            else:
                heapq.heappush(self._heap, item)
            self._cond.notify()
        if evicted is not None:
            self._fail(evicted, f"queue full ({self.settings.queue_size} waiting); less urgent than the rest",
                       "queue_full")

    def cancel(self, ids) -> None:
        with self._cond:
            for i in ids:
                self._cancelled[i] = None
                self._cancelled.move_to_end(i)
            while len(self._cancelled) > _CANCEL_MEMORY:
                self._cancelled.popitem(last=False)
            before = len(self._heap)
            self._heap = [it for it in self._heap if it[2].id not in self._cancelled]
            if len(self._heap) != before:
                heapq.heapify(self._heap)
                for _ in range(before - len(self._heap)):
                    self.stats.drop("cancelled")

    def is_cancelled(self, rid: str) -> bool:
        return rid in self._cancelled

    def pending(self) -> int:
        with self._cond:
            return len(self._heap) + len(self._active)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.pending() == 0:
                return True
            time.sleep(0.01)
        return False

    # ---- work ------------------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                while not self._heap and not self._stop.is_set():
                    self._cond.wait(0.2)
                if self._stop.is_set():
                    return
                _, _, req = heapq.heappop(self._heap)
                self._active.add(req.id)
            try:
                self._handle(req)
            except Exception as exc:  # one bad request must not kill a worker
                log.exception("tts worker failed on %s", req.id)
                self._fail(req, f"internal error: {exc}", "internal")
            finally:
                with self._cond:
                    self._active.discard(req.id)

    def _handle(self, req: events.SpeechRequest) -> None:
        if self.is_cancelled(req.id):
            self.stats.drop("cancelled")
            return
        if req.deadline is not None and self.clock() > req.deadline:
            return self._fail(req, "stale: deadline passed before synthesis", "stale")
        filtered = self.text_filter(req.text)
        if filtered is None:
            return self._fail(req, "blocked by the text filter", "filtered")
        text = normalize(filtered)
        sentences = [s for s in split_sentences(text, self.settings.max_sentence_chars, self.settings.clause_chars)
                     if speakable_length(s)]
        if not sentences:
            return self._fail(req, f"nothing speakable in {req.text!r}", "empty")
        cancelled = lambda: self.is_cancelled(req.id) or self._stop.is_set()  # noqa: E731
        rate = self.settings.post.output_rate
        parts, starts, routes = [], [], []
        attempts, all_cached = 0, True
        gap = np.zeros(int(self.settings.sentence_gap_s * rate), np.float32)
        pos = 0
        try:
            for i, sentence in enumerate(sentences):
                audio = self.synth.sentence(sentence, cancelled)
                samples = postprocess.jitter_speed(audio.samples, rate, self.settings.post.speed_jitter, self._rng)
                if i:
                    parts.append(gap)
                    pos += len(gap)
                starts.append(round(pos / rate, 4))
                parts.append(samples)
                pos += len(samples)
                attempts += audio.attempts
                all_cached &= audio.cached
                if audio.route not in routes:
                    routes.append(audio.route)
                if cancelled():
                    raise Cancelled()
        except Cancelled:
            self.stats.drop("cancelled")
            return
        except SentenceFailed as exc:
            return self._fail(req, f"synthesis failed: {exc}", "failed")
        if req.group == PREFETCH_GROUP:  # in the cache now; nobody plays it
            self.stats.add("prefetched")
            return
        audio = np.concatenate(parts)
        path = self._write(req.id, audio, rate)
        if self.is_cancelled(req.id):  # cancelled while writing: never published
            path.unlink(missing_ok=True)
            self.stats.drop("cancelled")
            return
        self.stats.add("published")
        self.bus.publish(events.Channel.SPEECH_READY, events.SpeechReady(
            request=req, audio_path=str(path), sample_rate=rate, duration_s=round(len(audio) / rate, 4),
            sentence_starts=tuple(starts), route=",".join(routes), attempts=max(1, attempts), cached=all_cached))

    def _write(self, rid: str, audio: np.ndarray, rate: int) -> Path:
        name = f"{_SAFE.sub('_', rid)[:80] or 'speech'}-{next(self._seq)}.wav"
        path = self.out_dir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(wavio.build(audio, rate))
        tmp.replace(path)  # the player never sees half a file
        return path

    def _fail(self, req: events.SpeechRequest, reason: str, code: str) -> None:
        if self.is_cancelled(req.id):
            self.stats.drop("cancelled")
            return
        self.stats.drop(code)
        if code == "failed":
            self.stats.add("failed")
        log.warning("speech %s not synthesised: %s", req.id, reason)
        self.bus.publish(events.Channel.SPEECH_READY, events.SpeechFailed(request=req, reason=reason))

    # ---- health and probes -----------------------------------------------------------------

    def _monitor(self) -> None:
        while not self._stop.wait(min(0.5, max(0.02, self.table.next_probe_in()))):
            for breaker, route in self.table.due_probes():
                threading.Thread(target=self._probe, args=(breaker, route), name="tts-probe", daemon=True).start()

    def _probe(self, breaker, route) -> None:
        if not self.table.acquire_route(route, cancelled=self._stop.is_set):
            breaker.probing = False
            return
        ok, error, server_fault = self.synth.probe(route.voice, route.server.client)
        self.table.release_slot(route)
        log.info("probe of %s via %s: %s", breaker.label, route.label, "passed" if ok else error)
        self.table.probe_done(breaker, route, ok=ok, error=error, server_fault=server_fault)

    def _health_changed(self, server: Server) -> None:
        self._publish_health(server)

    def _publish_health(self, server: Server, force: bool = False) -> None:
        status, detail = self.table.server_status(server)
        key = f"tts:{server.name}"
        if not force and self._last_health.get(key, ("", ""))[0] == status and status == "ok":
            return
        self._last_health[key] = (status, detail)
        b = server.breaker
        self.bus.publish(events.Channel.SYSTEM, events.Health(
            component=key, status=status, detail=detail, ts=self.clock(),
            metrics={"benched": 1.0 if b.benched else 0.0, "inflight": float(server.inflight),
                     "times_benched": float(b.times_benched)}))

    def _fallback_changed(self, used: bool, why: str) -> None:
        if used == self._in_fallback:
            return
        self._in_fallback = used
        self.bus.publish(events.Channel.SYSTEM, events.Health(
            component="tts", status="degraded" if used else "ok", ts=self.clock(),
            detail=f"espeak-ng fallback speaking: {why}" if used else "GPT-SoVITS speaking again"))

    # ---- report ----------------------------------------------------------------------------

    def report(self) -> dict:
        out = self.stats.as_dict()
        out["benched"] = self.table.benched_labels()
        out["ever_benched"] = self.table.ever_benched()
        out["model_switches"] = sum(s.client.switches for s in self.table.servers)
        if self.cache is not None:
            out["cache"] = {"entries": len(self.cache), "bytes": self.cache.total_bytes,
                            "evictions": self.cache.evictions, "corrupt": self.cache.corrupt}
        return out
