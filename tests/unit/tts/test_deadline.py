"""Bounded time for every utterance, on a hand-driven clock: from the player's SpeechNeeded the
stage has ``need_deadline_s``; past it the fallback lane speaks what is left, while requests
nobody needs yet keep their whole read time-out."""

from __future__ import annotations

import threading
import time

import pytest

from app import events
from app.bus.memory import MemoryBus
from app.tts.pool import TtsPool
from app.tts.settings import PoolSettings, ServerSpec
from tests.standins.gptsovits_harness import Harness, voice

TEXT = "欢迎来到直播间，今天的福利非常多。"


class Clock:
    def __init__(self):
        self.t = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.t

    def advance(self, s: float) -> None:
        with self._lock:
            self.t += s


@pytest.fixture
def clocked_pool(tmp_path):
    made = []

    def make(servers, voices, **opts) -> tuple[Harness, Clock]:
        clock = Clock()
        base = dict(connect_timeout_s=0.5, request_timeout_s=20.0, need_deadline_s=4.0, bench_seconds=300, workers=2)
        base.update(opts)
        bus = MemoryBus(f"dl{len(made)}")
        pool = TtsPool(bus, servers=[ServerSpec(s) for s in servers], voices=voices, out_dir=tmp_path / "out",
                       settings=PoolSettings(**base), seed=1, mono=clock)
        h = Harness(bus, pool)
        pool.start()
        made.append((bus, pool))
        return h, clock

    yield make
    for bus, pool in made:
        pool.stop(timeout=2)
        bus.close()


def needed(h: Harness, rid: str) -> None:
    """The player needs ``rid``; returns once the stage has taken note (bus delivery is async)."""
    h.bus.publish(events.Channel.PLAYER_STATE, events.SpeechNeeded(id=rid))
    end = time.monotonic() + 5
    while time.monotonic() < end:
        with h.pool._cond:
            job = h.pool._jobs.get(rid)
            if (job is not None and job.need_at is not None) or rid in h.pool._early_needs:
                return
        time.sleep(0.01)
    raise AssertionError(f"SpeechNeeded({rid}) never reached the TTS stage")


def received(h: Harness, rid: str) -> None:
    end = time.monotonic() + 5
    while time.monotonic() < end:
        with h.pool._cond:
            if rid in h.pool._jobs:
                return
        time.sleep(0.01)
    raise AssertionError(f"request {rid} never reached the TTS stage")


def settle(s: float = 0.4) -> None:
    time.sleep(s)  # let the threads see the clock; the deadline itself is on the hand clock


def test_a_needed_sentence_is_spoken_by_the_fallback_once_the_deadline_passes(standin, clocked_pool):
    srv = standin(faults={"*": "hang"}, hang_s=30)
    h, clock = clocked_pool([srv.url], [voice("a")])
    h.say("r1", TEXT)
    settle()
    needed(h, "r1")
    clock.advance(3.8)
    settle()
    assert h.ready == [], "the fallback spoke before the deadline"
    clock.advance(0.3)
    (ready,) = h.wait_for(1, timeout=3)
    assert ready.route == "espeak"
    why = h.pool.fallback_reason("r1")
    assert "need_deadline_s" in why and f"sentence 1/1 has been on gptsovits:{srv.url}#a" in why
    report = h.pool.report()
    assert report["deadline_takeovers"] == 1 and report["fallback_causes"] == {"deadline": 1}


def test_a_request_nobody_needs_yet_keeps_waiting_for_a_slow_server(standin, clocked_pool):
    srv = standin(latency_s=1.0)  # slow but working: it holds its one slot the whole second
    h, clock = clocked_pool([srv.url], [voice("a")])
    h.say("r1", TEXT)
    settle(0.2)
    clock.advance(60)  # far past any deadline, but the player never asked for it
    (ready,) = h.wait_for(1, timeout=5)
    assert ready.route.endswith("#a"), ready.route
    assert h.pool.report()["abandoned_hung"] == 0  # busy is not hung: the server did not answer others


@pytest.mark.parametrize("how", ["urgent", "need_first", "filler"])
def test_urgent_items_fillers_and_early_needs_start_the_deadline_without_waiting(standin, clocked_pool, how):
    srv = standin(faults={"*": "hang"}, hang_s=30)
    h, clock = clocked_pool([srv.url], [voice("a")], workers=1)
    if how == "urgent":
        h.say("r1", TEXT, priority=events.Priority.GIFT_LARGE)
    elif how == "filler":
        h.bus.publish(events.Channel.SPEECH_REQUESTS, events.SpeechRequest(
            id="r1", text=TEXT, kind="filler", priority=events.Priority.BACKGROUND))
    else:
        needed(h, "r1")  # the player's need can arrive before the TTS stage sees the request
        h.say("r1", TEXT)
    received(h, "r1")
    settle()
    clock.advance(3.9)
    settle()
    assert h.ready == []
    clock.advance(0.2)
    (ready,) = h.wait_for(1, timeout=3)
    assert ready.route == "espeak"


def test_the_fallback_speaks_only_the_sentences_gptsovits_did_not_finish(standin, clocked_pool):
    srv = standin(faults={"text:第三句": "hang"}, hang_s=30)
    h, clock = clocked_pool([srv.url], [voice("a")])
    h.say("r1", "第一句话很短。第二句话也不长。第三句话会卡住。")
    deadline = time.monotonic() + 10
    while srv.tts_requests < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    needed(h, "r1")
    settle()
    clock.advance(4.1)
    (ready,) = h.wait_for(1, timeout=3)
    assert ready.route.split(",") == [f"gptsovits:{srv.url}#a", "espeak"]
    assert len(ready.sentence_starts) == 3
    assert [t for t, _ in srv.served] == ["第一句话很短。", "第二句话也不长。"]


def test_when_every_server_is_stalled_a_needed_request_does_not_wait_for_the_deadline(standin, clocked_pool):
    srv = standin(faults={"text:先卡住": "hang"}, hang_s=30)
    h, clock = clocked_pool([srv.url], [voice("a")])
    h.say("r0", "这一句先卡住。")
    received(h, "r0")
    settle()
    clock.advance(4.5)  # r0's request is older than a deadline: the server is stalled
    h.say("r1", TEXT)
    settle(0.2)
    needed(h, "r1")
    ready = h.wait_for(1, timeout=2)
    assert [e.request.id for e in ready] == ["r1"] and ready[0].route == "espeak"
    assert "busy with a request" in h.pool.fallback_reason("r1")


def test_with_no_fallback_the_deadline_does_not_throw_the_request_away(standin, clocked_pool):
    srv = standin(latency_s=0.8)
    h, clock = clocked_pool([srv.url], [voice("a")], fallback=False)
    h.say("r1", TEXT, priority=events.Priority.GIFT_LARGE)
    settle(0.1)
    clock.advance(10)
    (ready,) = h.wait_for(1, timeout=5)
    assert ready.route.endswith("#a")
