"""The TTS stage's safety side: the fallback lane, the monitor (need deadlines, liveness checks
that tell a hung voice from a hung server, probes of benched routes, keep-alive pings) and the
health it publishes. A mixin of ``TtsPool`` (``app/tts/pool.py``), which owns the state.

The fallback lane is one thread with its own queue: nothing it does waits for a GPT-SoVITS
worker, a server slot or the request queue, so a hung server can never hold it.
"""

from __future__ import annotations

import heapq
import threading
import time

from app import events
from app.logs import get_logger
from app.tts.client import KIND_TEXT
from app.tts.jobs import Job
from app.tts.route_state import Server
from app.tts.synth import SentenceFailed

log = get_logger("tts")
#: How often the monitor looks at need deadlines, liveness and probes.
MONITOR_EVERY_S = 0.05
# idle servers get a cheap request this often: uvicorn closes an idle keep-alive connection after
# 5 s, so with these a connection that had to be opened anew means the server restarted
KEEPALIVE_S = 2.0

_CAUSES = {
    "deadline": "GPT-SoVITS missed the deadline (超过等待时限)",
    "silent": "GPT-SoVITS not ready while the room was silent waiting (冷场等待超时)",
    "no_route": "no GPT-SoVITS route can speak now (没有可用的 GPT-SoVITS)",
    "failed": "every GPT-SoVITS attempt failed (所有 GPT-SoVITS 尝试都失败)",
}


class PoolWatch:
    """Mixin: see the module docstring."""

    # ---- the fallback lane -----------------------------------------------------------------

    def _takeover(self, job: Job, cause: str, why: str) -> None:
        """Hand what is left of ``job`` to the fallback lane (once)."""
        with job.lock:
            if job.taken_over:
                return
            if not self.settings.fallback:
                if cause in ("deadline", "silent"):
                    return  # nothing else can speak: GPT-SoVITS keeps trying within its time-out
                job.state = "done"
                failed = True
            else:
                job.state = "fallback"
                failed = False
        if failed:
            return self._finish_failed(job, f"synthesis failed: {why}", "failed", taken=True)
        with self._cond:
            if any(it[2] is job for it in self._heap):
                self._heap = [it for it in self._heap if it[2] is not job]
                heapq.heapify(self._heap)
            reason = f"{_CAUSES.get(cause, cause)}: {why}"
            self._reasons[job.id] = reason
        if cause == "deadline":
            self.stats.add("deadline_takeovers")
        elif cause == "silent":
            self.stats.add("silent_takeovers")
        self.stats.fell_back(cause, reason)
        # with no GPT-SoVITS configured (the demo, espeak by choice) this is how the room speaks
        (log.warning if self.table.routes else log.debug)("fallback voice speaks %s: %s", job.id, reason)
        with self._lane_cond:
            heapq.heappush(self._lane, (int(job.req.priority), next(self._seq), job))
            self._lane_cond.notify()

    def _fallback_lane(self) -> None:
        while not self._stop.is_set():
            with self._lane_cond:
                while not self._lane and not self._stop.is_set():
                    self._lane_cond.wait(0.2)
                if self._stop.is_set():
                    return
                _, _, job = heapq.heappop(self._lane)
            try:
                self._speak_fallback(job)
            except Exception as exc:
                log.exception("fallback lane failed on %s", job.id)
                self._finish_failed(job, f"internal error: {exc}", "internal", taken=True)

    def _speak_fallback(self, job: Job) -> None:
        if self.is_cancelled(job.id):
            return self._forget(job, "cancelled")
        if not self._prepare(job):
            return
        why = self.fallback_reason(job.id) or ""
        with job.lock:
            done = len(job.parts)
            rest = job.sentences[done:]
        parts = []
        try:
            for sentence in rest:
                parts.append(self.synth.espeak_sentence(sentence, why))
        except SentenceFailed as exc:
            return self._finish_failed(job, f"synthesis failed: {exc}", "failed", taken=True)
        with job.lock:
            job.parts = job.parts[:done] + parts
        self._fallback_changed(True, why)
        self._publish(job, gptsovits_only=False)

    # ---- the monitor: deadlines, liveness, probes ------------------------------------------

    def _monitor(self) -> None:
        """One pass, every ``MONITOR_EVERY_S`` on the stage's inbox turn (the inbox's tick)."""
        if self._stop.is_set():
            return
        try:
            self.check_deadlines()
            now = self.mono()
            if now >= self._next_liveness:
                self._next_liveness = now + self.table.liveness_interval()
                for server in self.table.liveness_due():
                    threading.Thread(target=self._liveness, args=(server,), name="tts-liveness",
                                     daemon=True).start()
            for server in self.table.servers:
                if (server.inflight == 0 and not server.breaker.benched and not server.checking
                        and time.monotonic() - server.client.last_used > KEEPALIVE_S):
                    server.client.last_used = time.monotonic()
                    threading.Thread(target=server.client.keepalive, args=(self.settings.liveness_timeout_s,),
                                     name="tts-keepalive", daemon=True).start()
            for breaker, route in self.table.due_probes():
                threading.Thread(target=self._probe, args=(breaker, route), name="tts-probe", daemon=True).start()
        except Exception:  # the monitor must outlive any bug in one pass
            log.exception("tts monitor pass failed")

    def check_deadlines(self) -> None:
        """Hand to the fallback every needed request past its deadline (the shorter silent one
        when the room is silent waiting for it), and every needed one that is waiting while no
        route could serve it without waiting behind a stalled server."""
        now = self.mono()
        limit = self.settings.need_deadline_s
        silent_limit = min(limit, self.settings.silent_deadline_s)
        with self._cond:
            jobs = [j for j in self._jobs.values()
                    if j.need_at is not None and j.state in ("queued", "active") and not j.upgrade]
        if not jobs:
            return
        serve = None
        for job in jobs:
            if now - job.need_at >= limit:
                self._takeover(job, "deadline", self._late_reason(job, now))
                continue
            if job.silent_at is not None and now - job.silent_at >= silent_limit:
                self._takeover(job, "silent", self._late_reason(job, now, silent=True))
                continue
            idle = job.state == "queued" or job.waiting_since is not None
            if idle and self.table.routes:
                if serve is None:
                    serve = self.table.can_serve_needed()
                if not serve:
                    self._takeover(job, "no_route", self.table.why_unusable())
            elif idle and not self.table.routes:
                self._takeover(job, "no_route", "no GPT-SoVITS server or voice configured (未配置 GPT-SoVITS)")

    def _late_reason(self, job: Job, now: float, *, silent: bool = False) -> str:
        attempt = job.attempt
        if silent:
            head = (f"the room has been silent {now - job.silent_at:.1f} s waiting for it with no good audio "
                    f"([tts] silent_deadline_s)")
        else:
            head = f"no good audio {now - job.need_at:.1f} s after the player needed it ([tts] need_deadline_s)"
        if attempt is not None:
            n = len(job.sentences or ()) or 1
            took = now - attempt.started
            where = (f"sentence {min(len(job.parts) + 1, n)}/{n} has been on {attempt.label} for {took:.1f} s "
                     f"(这句合成了 {took:.1f} 秒还没完成)")
        elif job.waiting_since is not None:
            where = f"waiting for a free server: {self.table.why_unusable()}"
        else:
            where = "still queued behind other requests (排队等待合成)"
        earlier = f"; earlier: {'; '.join(job.errors[-2:])}" if job.errors else ""
        return f"{head}; {where}{earlier}"

    def _liveness(self, server: Server) -> None:
        alive = server.client.alive(self.settings.liveness_timeout_s)
        for attempt in self.table.liveness_result(server, alive):
            if attempt.abandon(f"no answer for {self.mono() - attempt.started:.1f} s while the server answered "
                               f"other requests: this voice hangs ({KIND_TEXT['hang']})"):
                self.stats.add("abandoned")
                log.warning("abandoned a hung request on %s", attempt.label)

    def _probe(self, breaker, route) -> None:
        client = route.server.client
        if not client.alive(self.settings.liveness_timeout_s):
            self.table.probe_done(breaker, route, ok=False, server_fault=True,
                                  error=f"{route.server.name}: no answer to a liveness request (服务器无响应)")
            return
        if not self.table.acquire_route(route, cancelled=self._stop.is_set):
            breaker.probing = False
            return
        try:
            held = client.enter(self.settings.lock_wait_s, self._stop.is_set)
        except Exception as exc:
            self.table.release_slot(route)
            breaker.probing = False
            log.info("probe of %s postponed: %s", breaker.label, exc)
            return
        try:
            ok, error, server_fault = self.synth.probe(route.voice, client)
        finally:
            client.leave(held)
            self.table.release_slot(route)
        log.info("probe of %s via %s: %s", breaker.label, route.label, "passed" if ok else error)
        self.table.probe_done(breaker, route, ok=ok, error=error, server_fault=server_fault)

    # ---- health ----------------------------------------------------------------------------

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
        """Health of the component "tts": degraded with the reason while the fallback speaks
        (the reason refreshed at most every 5 s), ok once GPT-SoVITS speaks again."""
        now = self.mono()
        with self._cond:
            if used == self._in_fallback and (not used or now - self._fallback_health_at < 5.0):
                return
            self._in_fallback = used
            self._fallback_health_at = now
        detail = f"espeak-ng fallback speaking (备用语音在说话): {why}" if used else "GPT-SoVITS speaking again"
        self.bus.publish(events.Channel.SYSTEM, events.Health(
            component="tts", status="degraded" if used else "ok", ts=self.clock(), detail=detail))

