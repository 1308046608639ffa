"""The route table's checks beyond ordinary synthesis: liveness requests (hung voice or hung
server?) and probes of benched breakers. A mixin of ``RouteTable`` (``app/tts/routes.py``), which
owns the state and the lock; the pool's monitor (``app/tts/pool_watch.py``) runs the requests.

Hung voice or hung server? A time-out is first the voice's fault. The server it happened on is
then *draining*: unused until it answers a cheap liveness request. If it answers, it was the
voice; if it stays silent for another ``request_timeout_s`` the server hangs and is benched too.
While a request runs, api_v2 answers nothing else (inference runs inline on its event loop,
protocols §7.7), so a v2 server that answers liveness requests twice while one of our requests
is still pending past the need deadline is not working on it: that request is abandoned as a
hung voice at once instead of after the read time-out. An orphaned request (nobody waits for it
any more: the fallback spoke its utterance) is checked at once, not only past the need
deadline, because it blocks its server for every needed request (``RouteTable.stalled``); a
slow but working one is safe, as its busy server answers no liveness request.

A benched breaker whose time is up is probed through one of its routes; only a passing probe
returns it to service, a failing one doubles the bench (up to a cap).
"""

from __future__ import annotations

from app.tts.route_state import Breaker, Route, Server


class RouteChecks:
    """Mixin: see the module docstring."""

    # ---- liveness: hung voice or hung server -----------------------------------------------

    def liveness_due(self) -> list[Server]:
        """Servers to ask "do you answer at all?" now: draining ones, and v2 servers with a
        request pending past the need deadline or orphaned (``stalled``). Each is marked as
        checking."""
        out = []
        with self._cond:
            for s in self.servers:
                if s.checking or s.breaker.benched:
                    continue
                inline = s.spec.api_version == "v2" and not s.spec.streaming
                if s.draining_since is not None or (inline and self.stalled(s)):
                    s.checking = True
                    out.append(s)
        return out

    def liveness_result(self, server: Server, alive: bool) -> list:
        """Apply one liveness answer; returns the attempts to abandon as hung voices."""
        abandon = []
        changed = False
        with self._cond:
            server.checking = False
            now = self.clock()
            if server.draining_since is not None:
                if alive:
                    server.draining_since = None  # it answers: the voice was at fault, not the server
                    changed = True
                elif now - server.draining_since >= self.settings.request_timeout_s:
                    waited = now - server.draining_since
                    server.draining_since = None
                    b = server.breaker
                    b.last_error = (f"{server.name}: server hangs: no answer to a synthesis nor to a liveness "
                                    f"request for {waited + self.settings.request_timeout_s:.0f} s (服务器卡死)")
                    b.consecutive = max(b.consecutive, self.settings.bench_after_failures)
                    if not b.benched:
                        self._bench(b, self.settings.bench_seconds)
                    changed = True
            for a in list(server.attempts):
                if now - a.started <= self.settings.need_deadline_s and not a.orphaned:
                    continue
                a.alive_seen = a.alive_seen + 1 if alive else 0
                if a.alive_seen >= 2:
                    abandon.append(a)
            self._cond.notify_all()
        if changed:
            self.on_change(server)
        return abandon

    def liveness_interval(self) -> float:
        return max(0.2, min(1.0, self.settings.need_deadline_s / 4))

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
        route.server.client.forget_weights()  # a probe may load other weights: re-assert next time
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
                self._bench(breaker, max(breaker.bench_s, self.settings.bench_seconds) * 2)
                breaker.times_benched -= 1  # a re-bench is the same episode
            self._cond.notify_all()
        self.on_change(route.server)

    def next_probe_in(self) -> float:
        now = self.clock()
        with self._cond:
            times = [b.benched_until - now for b in self._breakers() if b.benched and not b.probing]
        return max(0.0, min(times)) if times else 1.0
