"""The cross-process server gate, the maximum utterance length of a request TTS prepares itself,
and the voice/server breakers on a hand-driven clock."""

from __future__ import annotations

import threading
import time

import pytest

from app import events
from app.text.prepare import SpeechLimits, TextPreparer
from app.tts.routes import RouteTable
from app.tts.serverlock import GateBusy, ServerGate
from app.tts.settings import PoolSettings, ServerSpec
from tests.standins.gptsovits_harness import voice

URL = "http://127.0.0.1:9880"


def test_a_second_holder_of_the_same_server_waits_and_gives_up_at_its_deadline(tmp_path):
    room, preview = ServerGate(URL, tmp_path), ServerGate(URL + "/", tmp_path)  # same server, same lock
    held = room.enter(1)
    start = time.monotonic()
    with pytest.raises(GateBusy, match="另一个程序正在使用"):
        preview.enter(0.3)
    assert 0.25 < time.monotonic() - start < 2
    got = []
    t = threading.Thread(target=lambda: got.append(preview.enter(5)))
    t.start()
    time.sleep(0.2)
    assert got == []  # still waiting for the room
    room.leave(held)
    t.join(3)
    assert got and got[0] is not None
    assert preview.used_by_other()  # the room used it last: whatever the preview loaded is stale
    preview.leave(got[0])
    assert room.used_by_other() and not preview.used_by_other()


def test_a_gate_wait_can_be_cancelled_and_other_servers_do_not_share_it(tmp_path):
    a, b = ServerGate(URL, tmp_path), ServerGate("http://127.0.0.1:9881", tmp_path)
    held = a.enter(1)
    b.leave(b.enter(0.1))  # another server: free
    flag = threading.Event()
    threading.Timer(0.2, flag.set).start()
    start = time.monotonic()
    with pytest.raises(GateBusy):
        ServerGate(URL, tmp_path).enter(10, flag.is_set)
    assert time.monotonic() - start < 2
    a.leave(held)


def test_a_gate_with_two_slots_lets_two_requests_in(tmp_path):
    one, two = ServerGate(URL, tmp_path, slots=2), ServerGate(URL, tmp_path, slots=2)
    h1, h2 = one.enter(0.5), two.enter(0.5)
    with pytest.raises(GateBusy):
        ServerGate(URL, tmp_path, slots=2).enter(0.2)
    one.leave(h1)
    two.leave(h2)


def test_a_request_without_sentences_is_prepared_by_tts_with_the_same_cap(make_pool):
    """A 2,000-character nickname does not make a long thank-you even when its producer did not
    prepare it (an older producer on the bus)."""
    h = make_pool([], [], prepare=TextPreparer(limits=SpeechLimits(max_utterance_chars=40)))
    h.say("gift", f"感谢{'长' * 2000}送的嘉年华！", priority=events.Priority.GIFT_LARGE)
    (ready,) = h.wait_for(1)
    assert isinstance(ready, events.SpeechReady)
    assert ready.duration_s < 20  # espeak reads ~4 characters a second; 2,000 would be minutes
    assert h.pool.report()["cut_long"] == 1


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class FakeAttempt:
    def __init__(self, started, route=None):
        self.started = started
        self.route = route
        self.alive_seen = 0
        self.orphaned = False  # its request no longer waits for it (app.tts.attempt.Attempt.orphaned)


def table(clock, **kw):
    settings = PoolSettings(bench_after_failures=3, bench_after_timeouts=2, bench_seconds=60, request_timeout_s=30,
                            need_deadline_s=4, **kw)
    return RouteTable([ServerSpec(URL)], [voice("bad"), voice("good")], settings, clock=clock)


def test_a_voice_that_times_out_is_benched_on_its_own_and_not_reset_by_other_voices():
    clock = Clock()
    t = table(clock)
    bad, good = t.routes
    for _ in range(2):
        route = t.acquire(set(), wait_s=0)
        assert route is bad
        t.release(bad, ok=False, kind="hang", error="hangs")
        other = t.acquire({id(bad)}, wait_s=0)
        t.release(other, ok=True)  # the other voice on the same server speaks fine in between
    assert bad.breaker.benched and not good.breaker.benched and not t.servers[0].breaker.benched
    assert t.acquire(set(), wait_s=0) is good


def test_a_timeout_drains_the_server_until_it_answers_else_the_server_is_benched():
    clock = Clock()
    t = table(clock)
    server = t.servers[0]
    bad = t.acquire(set(), wait_s=0)
    t.release(bad, ok=False, kind="timeout", error="no answer")
    assert server.draining_since == 0.0 and t.acquire(set(), wait_s=0) is None  # nothing goes there now
    assert t.liveness_due() == [server]
    t.liveness_result(server, alive=True)  # it answers: only the voice was at fault
    assert server.draining_since is None and not server.breaker.benched
    assert t.acquire(set(), wait_s=0) is bad  # one time-out is not yet a bench (2 are)
    t.release(bad, ok=False, kind="timeout", error="no answer")
    assert bad.breaker.benched
    assert t.liveness_due() == [server]
    clock.t = 10
    t.liveness_result(server, alive=False)
    assert not server.breaker.benched  # silent for 10 s: not yet
    assert t.liveness_due() == [server]
    clock.t = 31
    t.liveness_result(server, alive=False)  # silent for a whole read time-out: the server hangs
    assert server.breaker.benched and "server hangs" in server.breaker.last_error


def test_a_pending_request_is_abandoned_only_when_the_server_answers_others_twice():
    clock = Clock()
    t = table(clock)
    server = t.servers[0]
    route = t.acquire(set(), wait_s=0)
    attempt = FakeAttempt(started=0.0)
    t.track(route, attempt)
    clock.t = 3
    assert not t.stalled(server) and t.liveness_due() == []  # within the deadline: not looked at
    clock.t = 5
    assert t.stalled(server) and t.liveness_due() == [server]
    assert t.liveness_result(server, alive=False) == []  # busy computing: a real api_v2 answers nothing
    assert t.liveness_due() == [server]
    assert t.liveness_result(server, alive=True) == []
    t.liveness_due()
    assert t.liveness_result(server, alive=True) == [attempt]
    assert not t.can_serve_needed()  # stalled until the attempt is settled
    t.release(route, ok=False, kind="hang", error="hangs", attempt=attempt)
    assert t.can_serve_needed()


def test_a_request_nobody_waits_for_any_more_stalls_its_server_for_needed_lines_and_is_checked_at_once():
    """The fallback spoke the line (silent room, 0.5 s): its request still holds the server's one
    slot. A needed line must not queue behind it, and the liveness check need not wait for the
    need deadline to find that the voice hangs."""
    clock = Clock()
    t = table(clock)
    server = t.servers[0]
    route = t.acquire(set(), wait_s=0)
    attempt = FakeAttempt(started=0.0, route=route)
    t.track(route, attempt)
    clock.t = 1
    assert not t.stalled(server) and t.can_serve_needed() and t.liveness_due() == []
    attempt.orphaned = True
    assert t.stalled(server) and not t.can_serve_needed()
    assert t.acquire(set(), needed=lambda: True) is None  # a needed line goes to the fallback at once
    assert "busy with an earlier sentence the fallback already spoke" in t.why_unusable()
    assert t.liveness_due() == [server]
    assert t.liveness_result(server, alive=True) == []
    clock.t = 2
    t.liveness_due()
    assert t.liveness_result(server, alive=True) == [attempt]  # 2 s in: well before the 4 s deadline
    t.release(route, ok=False, kind="hang", error="hangs", attempt=attempt)
    assert t.can_serve_needed() and t.acquire(set(), needed=lambda: True) is route
