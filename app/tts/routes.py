"""Which GPT-SoVITS route (a voice model on a server) a synthesis goes to, and who is benched.

A route is (voice, server). Routes are ordered voice first (the configured voice order is the
preference order), then server, so a healthy preferred voice is used on whichever of its
servers is free, and a different voice is only heard when the preferred one cannot speak.

Two circuit breakers decide usability: one per server (blamed for transport failures: refused,
5xx, the wrong API) and one per route (blamed for what the model produced: 400s, bad or cut
bodies, rejected audio — and time-outs). After ``bench_after_failures`` consecutive failures (for
time-outs ``bench_after_timeouts``) a breaker benches its server or route for ``bench_seconds``; when
that expires the pool probes it, and only a passing probe returns it to service (a failing one
doubles the bench, up to a cap). A route's breaker is reset only by that route succeeding.

The liveness checks that tell a hung voice from a hung server, and the probes of benched
breakers, are in ``app/tts/route_checks.py``; the records of breakers, servers and routes in
``app/tts/route_state.py``.

Each server serves at most ``per_server_concurrency`` requests at once, and a weight switch only
happens when no other request is in flight on that server (serialised per server). A server
whose oldest request in flight is older than the need deadline, or that is busy with a request
nobody waits for any more (orphaned: its utterance went to the fallback), is *stalled*: a
request the player already needs does not wait for it (look-ahead requests still do).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.tts.client import GptSovitsClient
from app.tts.route_checks import RouteChecks
from app.tts.route_state import Breaker, Route, Server
from app.tts.settings import PoolSettings, ServerSpec, VoiceModel


def _weights(voice: VoiceModel) -> tuple[str | None, str | None]:
    return voice.gpt_weights, voice.sovits_weights


class RouteTable(RouteChecks):
    def __init__(self, servers: list[ServerSpec], voices: list[VoiceModel], settings: PoolSettings,
                 *, clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[Server], None] | None = None):
        if not voices and servers:
            raise ValueError("TTS: servers are configured but no voice model")
        names = [v.name for v in voices]
        if len(set(names)) != len(names):
            raise ValueError(f"TTS: voice model names must be unique, got {names}")
        self.settings = settings
        self.clock = clock
        self.on_change = on_change or (lambda server: None)
        self._cond = threading.Condition()
        self.servers = [
            Server(spec, GptSovitsClient(spec, connect_timeout_s=settings.connect_timeout_s,
                                         read_timeout_s=settings.request_timeout_s, lock_dir=settings.lock_dir,
                                         lock_wait_s=settings.lock_wait_s,
                                         reassert_s=settings.reassert_weights_s),
                   Breaker(f"server {spec.name}", settings.bench_seconds))
            for spec in servers]
        for server in self.servers:
            unknown = set(server.spec.voices) - set(names)
            if unknown:
                raise ValueError(f"TTS server {server.spec.url}: unknown voice(s) {sorted(unknown)}; known: {names}")
        self.routes = [
            Route(voice, rank, server, Breaker(f"voice {voice.name} on {server.name}", settings.bench_seconds))
            for rank, voice in enumerate(voices)
            for server in self.servers if not server.spec.voices or voice.name in server.spec.voices]

    def set_voices(self, voices: list[VoiceModel]) -> None:
        """Hot reload of the voice models and their rotation order: a voice that stays keeps its
        breakers (benched stays benched); a request in flight finishes on the route it holds."""
        names = [v.name for v in voices]
        if len(set(names)) != len(names):
            raise ValueError(f"TTS: voice model names must be unique, got {names}")
        with self._cond:
            kept = {(r.voice.name, r.server.spec.url): r.breaker for r in self.routes}
            self.routes = [
                Route(voice, rank, server, kept.get((voice.name, server.spec.url))
                      or Breaker(f"voice {voice.name} on {server.name}", self.settings.bench_seconds))
                for rank, voice in enumerate(voices)
                for server in self.servers if not server.spec.voices or voice.name in server.spec.voices]
            self._cond.notify_all()

    # ---- usability -------------------------------------------------------------------------

    def usable(self, route: Route) -> bool:
        return (not route.server.breaker.benched and not route.breaker.benched
                and route.server.draining_since is None)

    def _waitable(self, route: Route) -> bool:
        return not route.server.breaker.benched and not route.breaker.benched

    def stalled(self, server: Server) -> bool:
        """Its oldest request in flight has run past the need deadline, or one in flight is
        orphaned (its owner gave up on it — the fallback spoke that utterance — so nothing
        bounds it but the read time-out): whoever waits behind it would miss the deadline too."""
        return server.inflight > 0 and (server.oldest_attempt_s(self.clock()) > self.settings.need_deadline_s
                                        or server.orphaned() is not None)

    def can_serve_needed(self) -> bool:
        """Is there a route a needed request could get without waiting behind a stalled server?"""
        with self._cond:
            return any(self.usable(r) and not self.stalled(r.server) for r in self.routes)

    def why_unusable(self) -> str:
        """Why no route can take a needed request now (for the fallback's reason)."""
        with self._cond:
            parts = []
            now = self.clock()
            for s in self.servers:
                if s.breaker.benched:
                    parts.append(f"{s.name} benched: {s.breaker.last_error}")
                elif s.draining_since is not None:
                    parts.append(f"{s.name}: a request timed out; waiting for the server to answer again "
                                 f"(请求超时，等待服务器恢复响应)")
                elif self.stalled(s):
                    orphan = s.orphaned()
                    if orphan is not None:
                        parts.append(f"{s.name}: busy with an earlier sentence the fallback already spoke, for "
                                     f"{now - orphan.started:.1f} s ({orphan.route.voice.name}: 上一句还在合成)")
                    else:
                        parts.append(f"{s.name}: busy with a request for {s.oldest_attempt_s(now):.1f} s "
                                     f"(上一句还没合成完)")
            for r in self.routes:
                if r.breaker.benched and not r.server.breaker.benched:
                    parts.append(f"voice {r.voice.name} on {r.server.name} benched: {r.breaker.last_error}")
            return "; ".join(parts) or "no GPT-SoVITS route configured"

    def usable_voices(self) -> list[VoiceModel]:
        with self._cond:
            seen: dict[str, VoiceModel] = {}
            for r in self.routes:
                if self.usable(r):
                    seen.setdefault(r.voice.name, r.voice)
            return list(seen.values())

    def _free(self, route: Route) -> bool:
        server = route.server
        if server.inflight >= server.spec.per_server_concurrency:
            return False
        need = _weights(route.voice)
        # another model on the server: wait until it is idle so the switch cannot corrupt a
        # request in flight
        return server.inflight == 0 or need == (None, None) or need == server.weights

    def acquire(self, tried: set[int], *, cancelled: Callable[[], bool] = lambda: False,
                wait_s: float | None = None, needed: Callable[[], bool] = lambda: False) -> Route | None:
        """The best usable route not in ``tried`` (route ids), with a server slot held; waits
        while the right servers are busy. None when no usable route is left, when the request
        is ``needed()`` and every usable route is on a stalled server, or when cancelled."""
        end = None if wait_s is None else self.clock() + wait_s
        with self._cond:
            while True:
                # a draining server is waited for (it answers or is benched within the read
                # time-out) unless the request is needed now
                candidates = [r for r in self.routes if id(r) not in tried and self._waitable(r)]
                if not candidates or cancelled():
                    return None
                if needed():  # do not wait behind a stalled or draining server
                    candidates = [r for r in candidates
                                  if not self.stalled(r.server) and r.server.draining_since is None]
                    if not candidates:
                        return None
                best = min(r.rank for r in candidates)
                top = [r for r in candidates if r.rank == best and self.usable(r) and self._free(r)]
                if top:
                    # a server that already has the weights loaded first, then the least busy
                    top.sort(key=lambda r: (_weights(r.voice) != r.server.weights, r.server.inflight))
                    return self._take(top[0])
                if end is not None and self.clock() >= end:
                    return None
                self._cond.wait(0.05)

    def acquire_route(self, route: Route, *, cancelled: Callable[[], bool] = lambda: False) -> bool:
        """Hold a slot on this exact route (probes). False if cancelled."""
        with self._cond:
            while not self._free(route):
                if cancelled():
                    return False
                self._cond.wait(0.05)
            self._take(route)
            return True

    def _take(self, route: Route) -> Route:
        route.server.inflight += 1
        if _weights(route.voice) != (None, None):
            route.server.weights = _weights(route.voice)
        return route

    # ---- outcomes --------------------------------------------------------------------------

    def track(self, route: Route, attempt) -> None:
        with self._cond:
            route.server.attempts.append(attempt)

    def release(self, route: Route, *, ok: bool, error: str = "", server_fault: bool = False,
                kind: str = "", attempt=None) -> None:
        """Give the slot back and judge the route. ``kind`` "timeout" / "hang" blame the voice
        (a timeout also drains the server until it answers), "busy" judges nobody."""
        server = route.server
        changed = False
        with self._cond:
            server.inflight -= 1
            if attempt is not None and attempt in server.attempts:
                server.attempts.remove(attempt)
            if ok:
                changed |= self._recover(server.breaker) | self._recover(route.breaker)
            elif kind == "busy":
                pass
            elif kind in ("timeout", "hang"):
                changed |= self._fail(route.breaker, error, timeout=True)
                if kind == "timeout" and not server.breaker.benched and server.draining_since is None:
                    server.draining_since = self.clock()
                    changed = True
            elif server_fault:
                changed |= self._fail(server.breaker, error)
            else:
                # the server answered, so it is up; the voice on it is what failed
                server.breaker.consecutive = 0
                changed |= self._fail(route.breaker, error)
            self._cond.notify_all()
        if changed:
            self.on_change(server)

    def release_slot(self, route: Route) -> None:
        """Give a slot back without judging the route (probes judge through probe_done)."""
        with self._cond:
            route.server.inflight -= 1
            self._cond.notify_all()

    def _fail(self, b: Breaker, error: str, *, timeout: bool = False) -> bool:
        b.consecutive += 1
        b.timeouts = b.timeouts + 1 if timeout else 0
        b.last_error = error
        if b.benched:
            return False
        if b.consecutive < self.settings.bench_after_failures and b.timeouts < self.settings.bench_after_timeouts:
            return False
        self._bench(b, self.settings.bench_seconds)
        return True

    def _bench(self, b: Breaker, seconds: float) -> None:
        if not b.times_benched:
            b.failures_to_bench = b.consecutive
        b.bench_s = min(seconds, self.settings.max_bench_s)
        b.benched_until = self.clock() + b.bench_s
        b.times_benched += 1
        for s in self.servers:  # after a bench the weights are re-asserted (protocols §7.6)
            if b is s.breaker:
                s.client.forget_weights()

    def _recover(self, b: Breaker) -> bool:
        was = b.benched
        b.consecutive = 0
        b.timeouts = 0
        b.benched_until = None
        b.bench_s = 0.0
        return was

    def _breakers(self):
        for s in self.servers:
            yield s.breaker
        for r in self.routes:
            yield r.breaker

    # ---- reporting -------------------------------------------------------------------------

    def server_status(self, server: Server) -> tuple[str, str]:
        """(health status, detail) of a server for the dashboard."""
        with self._cond:
            b = server.breaker
            if b.benched:
                left = max(0.0, b.benched_until - self.clock())
                return "down", f"benched ({'probing' if b.probing else f'{left:.0f} s left'}): {b.last_error}"
            if server.draining_since is not None:
                return "degraded", (f"a request timed out {self.clock() - server.draining_since:.0f} s ago; checking "
                                    f"whether the server still answers (请求超时，正在确认服务器是否还在响应)")
            bad = [r for r in self.routes if r.server is server and r.breaker.benched]
            if bad:
                names = ", ".join(r.voice.name for r in bad)
                return "degraded", f"voice {names} benched: {bad[0].breaker.last_error}"
            return "ok", f"{server.inflight} in flight"

    def benched_labels(self) -> list[str]:
        with self._cond:
            return [b.label for b in self._breakers() if b.benched]

    def ever_benched(self) -> dict[str, int]:
        with self._cond:
            return {b.label: b.times_benched for b in self._breakers() if b.times_benched}

    def failures_to_bench(self) -> dict[str, int]:
        """Per breaker ever benched: how many consecutive failures it took the first time."""
        with self._cond:
            return {b.label: b.failures_to_bench for b in self._breakers() if b.times_benched}

    def close(self) -> None:
        for s in self.servers:
            s.client.close()
