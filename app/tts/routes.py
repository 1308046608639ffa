"""Which GPT-SoVITS route (a voice model on a server) a synthesis goes to, and who is benched.

A route is (voice, server). Routes are ordered voice first (the configured voice order is the
preference order), then server, so a healthy preferred voice is used on whichever of its
servers is free, and a different voice is only heard when the preferred one cannot speak.

Two circuit breakers decide usability: one per server (blamed for transport failures: refused,
hung, 5xx, cut bodies) and one per route (blamed for what the model produced: 400s, bad bodies,
rejected audio). After ``bench_after`` consecutive failures a breaker benches its server or
route for ``bench_s``; when that expires the pool probes it with a short synthesis, and only a
passing probe returns it to service (a failing one doubles the bench, up to a cap).

Each server serves at most ``max_concurrent`` requests at once, and a weight switch only
happens when no other request is in flight on that server (serialised per server).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app.tts.client import GptSovitsClient
from app.tts.settings import PoolSettings, ServerSpec, VoiceModel


@dataclass
class Breaker:
    label: str
    base_bench_s: float
    consecutive: int = 0
    benched_until: float | None = None  # None: in service
    bench_s: float = 0.0
    probing: bool = False
    last_error: str = ""
    times_benched: int = 0

    @property
    def benched(self) -> bool:
        return self.benched_until is not None


@dataclass
class Server:
    spec: ServerSpec
    client: GptSovitsClient
    breaker: Breaker
    inflight: int = 0
    weights: tuple[str | None, str | None] = (None, None)  # what the in-flight requests need

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(eq=False)
class Route:
    voice: VoiceModel
    rank: int  # voice preference
    server: Server
    breaker: Breaker = field(repr=False)

    @property
    def label(self) -> str:
        return f"gptsovits:{self.server.spec.url}#{self.voice.name}"


def _weights(voice: VoiceModel) -> tuple[str | None, str | None]:
    return voice.gpt_weights, voice.sovits_weights


class RouteTable:
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
                                         read_timeout_s=settings.read_timeout_s),
                   Breaker(f"server {spec.name}", settings.bench_s))
            for spec in servers]
        for server in self.servers:
            unknown = set(server.spec.voices) - set(names)
            if unknown:
                raise ValueError(f"TTS server {server.spec.url}: unknown voice(s) {sorted(unknown)}; known: {names}")
        self.routes = [
            Route(voice, rank, server, Breaker(f"voice {voice.name} on {server.name}", settings.bench_s))
            for rank, voice in enumerate(voices)
            for server in self.servers if not server.spec.voices or voice.name in server.spec.voices]

    # ---- usability -------------------------------------------------------------------------

    def usable(self, route: Route) -> bool:
        return not route.server.breaker.benched and not route.breaker.benched

    def usable_voices(self) -> list[VoiceModel]:
        with self._cond:
            seen: dict[str, VoiceModel] = {}
            for r in self.routes:
                if self.usable(r):
                    seen.setdefault(r.voice.name, r.voice)
            return list(seen.values())

    def _free(self, route: Route) -> bool:
        server = route.server
        if server.inflight >= server.spec.max_concurrent:
            return False
        need = _weights(route.voice)
        # another model on the server: wait until it is idle so the switch cannot corrupt a
        # request in flight
        return server.inflight == 0 or need == (None, None) or need == server.weights

    def acquire(self, tried: set[int], *, cancelled: Callable[[], bool] = lambda: False,
                wait_s: float | None = None) -> Route | None:
        """The best usable route not in ``tried`` (route ids), with a server slot held; waits
        while the right servers are busy. None when no usable route is left (or cancelled)."""
        end = None if wait_s is None else self.clock() + wait_s
        with self._cond:
            while True:
                candidates = [r for r in self.routes if id(r) not in tried and self.usable(r)]
                if not candidates or cancelled():
                    return None
                best = min(r.rank for r in candidates)
                top = [r for r in candidates if r.rank == best and self._free(r)]
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

    def release(self, route: Route, *, ok: bool, error: str = "", server_fault: bool = False) -> None:
        server = route.server
        changed = False
        with self._cond:
            server.inflight -= 1
            if ok:
                changed |= self._recover(server.breaker) | self._recover(route.breaker)
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

    def _fail(self, b: Breaker, error: str) -> bool:
        b.consecutive += 1
        b.last_error = error
        if b.benched or b.consecutive < self.settings.bench_after:
            return False
        self._bench(b, self.settings.bench_s)
        return True

    def _bench(self, b: Breaker, seconds: float) -> None:
        b.bench_s = min(seconds, self.settings.max_bench_s)
        b.benched_until = self.clock() + b.bench_s
        b.times_benched += 1

    def _recover(self, b: Breaker) -> bool:
        was = b.benched
        b.consecutive = 0
        b.benched_until = None
        b.bench_s = 0.0
        return was

    # ---- probing ---------------------------------------------------------------------------

    def due_probes(self) -> list[tuple[Breaker, Route]]:
        """Benched breakers whose time is up, each with the route to probe it through; they
        are marked as probing so each is probed once at a time."""
        now = self.clock()
        out = []
        with self._cond:
            for server in self.servers:
                b = server.breaker
                if b.benched and not b.probing and now >= b.benched_until:
                    routes = [r for r in self.routes if r.server is server]
                    route = next((r for r in routes if not r.breaker.benched), routes[0] if routes else None)
                    if route is not None:
                        b.probing = True
                        out.append((b, route))
            for route in self.routes:
                b = route.breaker
                if (b.benched and not b.probing and now >= b.benched_until
                        and not route.server.breaker.benched):
                    b.probing = True
                    out.append((b, route))
        return out

    def probe_done(self, breaker: Breaker, route: Route, *, ok: bool, error: str = "",
                   server_fault: bool = False) -> None:
        with self._cond:
            breaker.probing = False
            if ok:
                self._recover(breaker)
                if breaker is route.server.breaker:
                    self._recover(route.breaker)
            elif breaker is route.server.breaker and not server_fault:
                # the server answered: it is back, only this voice on it is bad
                self._recover(breaker)
                self._fail(route.breaker, error)
            else:
                breaker.last_error = error or breaker.last_error
                self._bench(breaker, max(breaker.bench_s, self.settings.bench_s) * 2)
                breaker.times_benched -= 1  # a re-bench is the same episode
            self._cond.notify_all()
        self.on_change(route.server)

    def next_probe_in(self) -> float:
        now = self.clock()
        with self._cond:
            times = [b.benched_until - now for b in self._breakers() if b.benched and not b.probing]
        return max(0.0, min(times)) if times else 1.0

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

    def close(self) -> None:
        for s in self.servers:
            s.client.close()
