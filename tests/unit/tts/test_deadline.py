"""Bounded time for every utterance, on a hand-driven clock: from the player's SpeechNeeded the
stage has ``need_deadline_s``; past it the fallback lane speaks what is left, while requests
nobody needs yet keep their whole read time-out.

The deadline is checked by the stage's monitor every 50 ms; here the test runs that same check
itself right after moving the clock, so "not yet" is proven by a check that ran, not by a sleep.
"""

from __future__ import annotations

import pytest

from app import events
from app.bus.memory import MemoryBus
from app.tts.pool import TtsPool
from app.tts.settings import PoolSettings, ServerSpec
from tests.standins.gptsovits_harness import Harness, voice
from tests.waiting import HandClock, wait_until

TEXT = "欢迎来到直播间，今天的福利非常多。"


@pytest.fixture
def clocked_pool(tmp_path):
    made = []

    def make(servers, voices, **opts) -> tuple[Harness, HandClock]:
        clock = HandClock()
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


def needed(h: Harness, rid: str, *, silent: bool = False) -> None:
    """The player needs ``rid`` (``silent``: the room is silent waiting for it); returns once the
    stage has taken note (bus delivery is async)."""
    h.bus.publish(events.Channel.PLAYER_STATE, events.SpeechNeeded(id=rid, silent=silent))
    noted = h.pool.silent_since if silent else h.pool.needed_since
    wait_until(lambda: noted(rid) is not None, what=f"SpeechNeeded({rid}, silent={silent}) at the TTS stage")


def received(h: Harness, rid: str) -> None:
    wait_until(lambda: h.pool.job_state(rid) is not None, what=f"request {rid} at the TTS stage")


def on_the_server(srv, n: int = 1) -> None:
    wait_until(lambda: srv.tts_requests >= n, what=f"{n} request(s) on the GPT-SoVITS stand-in")


def not_taken_over(h: Harness, rid: str) -> None:
    h.pool.check_deadlines()  # the monitor's pass, run now on the clock as it stands
    assert h.pool.report()["deadline_takeovers"] == 0, "the fallback took over before the deadline"
    assert h.pool.job_state(rid) in ("queued", "active") and h.ready == []


def test_a_needed_sentence_is_spoken_by_the_fallback_once_the_deadline_passes(standin, clocked_pool):
    srv = standin(faults={"*": "hang"}, hang_s=30)
    h, clock = clocked_pool([srv.url], [voice("a")])
    h.say("r1", TEXT)
    on_the_server(srv)
    needed(h, "r1")
    clock.advance(3.8)
    not_taken_over(h, "r1")
    clock.advance(0.3)
    h.pool.check_deadlines()
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
    on_the_server(srv)
    clock.advance(60)  # far past any deadline, but the player never asked for it
    h.pool.check_deadlines()
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
    assert h.pool.needed_since("r1") == 1000.0  # the deadline runs from now, no SpeechNeeded awaited
    clock.advance(3.9)
    not_taken_over(h, "r1")
    clock.advance(0.2)
    h.pool.check_deadlines()
    (ready,) = h.wait_for(1, timeout=3)
    assert ready.route == "espeak"


def test_the_fallback_speaks_only_the_sentences_gptsovits_did_not_finish(standin, clocked_pool):
    srv = standin(faults={"text:第三句": "hang"}, hang_s=30)
    h, clock = clocked_pool([srv.url], [voice("a")])
    h.say("r1", "第一句话很短。第二句话也不长。第三句话会卡住。")
    on_the_server(srv, 3)
    needed(h, "r1")
    clock.advance(4.1)
    h.pool.check_deadlines()
    (ready,) = h.wait_for(1, timeout=3)
    assert ready.route.split(",") == [f"gptsovits:{srv.url}#a", "espeak"]
    assert len(ready.sentence_starts) == 3
    assert [t for t, _ in srv.served] == ["第一句话很短。", "第二句话也不长。"]


def test_when_every_server_is_stalled_a_needed_request_does_not_wait_for_the_deadline(standin, clocked_pool):
    srv = standin(faults={"text:先卡住": "hang"}, hang_s=30)
    h, clock = clocked_pool([srv.url], [voice("a")])
    h.say("r0", "这一句先卡住。")
    on_the_server(srv)
    clock.advance(4.5)  # r0's request is older than a deadline: the server is stalled
    h.say("r1", TEXT)
    received(h, "r1")
    needed(h, "r1")
    h.pool.check_deadlines()  # r1's own deadline is 4 s away: only the stalled server can explain a takeover
    ready = h.wait_for(1, timeout=2)
    assert [e.request.id for e in ready] == ["r1"] and ready[0].route == "espeak"
    assert "busy with a request" in h.pool.fallback_reason("r1")


def test_with_no_fallback_the_deadline_does_not_throw_the_request_away(standin, clocked_pool):
    srv = standin(latency_s=0.8)
    h, clock = clocked_pool([srv.url], [voice("a")], fallback=False)
    h.say("r1", TEXT, priority=events.Priority.GIFT_LARGE)
    on_the_server(srv)
    clock.advance(10)
    h.pool.check_deadlines()
    assert h.pool.job_state("r1") == "active"  # still on GPT-SoVITS: nothing else could speak it
    (ready,) = h.wait_for(1, timeout=5)
    assert ready.route.endswith("#a")


# ---- the room is already silent: the short deadline (issue 18, start-up dead air) --------------


@pytest.mark.parametrize("silent", [True, False])
def test_a_line_the_silent_room_waits_for_gets_the_short_deadline_a_line_needed_while_speaking_the_long_one(
        standin, clocked_pool, silent):
    srv = standin(faults={"*": "hang"}, hang_s=30)
    h, clock = clocked_pool([srv.url], [voice("a")], silent_deadline_s=0.5)
    h.say("r1", TEXT)
    on_the_server(srv)
    needed(h, "r1", silent=silent)
    clock.advance(0.4)
    not_taken_over(h, "r1")
    clock.advance(0.2)  # 0.6 s: past the silent deadline, far from the 4 s one
    h.pool.check_deadlines()
    if not silent:
        assert h.pool.job_state("r1") == "active" and h.ready == []  # something plays: GPT-SoVITS has 4 s
        return
    (ready,) = h.wait_for(1, timeout=3)
    assert ready.route == "espeak"
    why = h.pool.fallback_reason("r1")
    assert "冷场等待超时" in why and "silent_deadline_s" in why, why
    assert f"has been on gptsovits:{srv.url}#a" in why
    report = h.pool.report()
    assert report["silent_takeovers"] == 1 and report["fallback_causes"] == {"silent": 1}


def test_the_silent_deadline_runs_from_when_the_room_went_silent_not_from_the_first_need(standin, clocked_pool):
    """Needed while another line played (4 s), then the room went quiet 2 s later: the fallback
    speaks 0.5 s after that, not 0.5 s after the first need — and the player's silent need may
    reach the stage before the request itself."""
    srv = standin(faults={"*": "hang"}, hang_s=30)
    h, clock = clocked_pool([srv.url], [voice("a")], silent_deadline_s=0.5, workers=1)
    needed(h, "r1")
    clock.advance(2.0)
    needed(h, "r1", silent=True)
    h.say("r1", TEXT)
    received(h, "r1")
    assert (h.pool.needed_since("r1"), h.pool.silent_since("r1")) == (1000.0, 1002.0)
    clock.advance(0.45)
    not_taken_over(h, "r1")
    clock.advance(0.1)
    h.pool.check_deadlines()
    (ready,) = h.wait_for(1, timeout=3)
    assert ready.route == "espeak" and "冷场等待超时" in h.pool.fallback_reason("r1")


def test_a_needed_line_does_not_wait_behind_the_request_of_a_line_the_fallback_already_spoke(
        standin, clocked_pool):
    """The opening went to the fallback after the silent deadline; its GPT-SoVITS request still
    holds the server's one slot. The next line the player needs goes to the fallback at once
    (naming the busy server); a look-ahead line may wait."""
    srv = standin(faults={"text:开场白": "hang"}, hang_s=30)
    h, clock = clocked_pool([srv.url], [voice("a")], silent_deadline_s=0.5)
    h.say("r0", "这是开场白。")
    on_the_server(srv)
    needed(h, "r0", silent=True)
    clock.advance(0.6)
    h.pool.check_deadlines()
    assert [e.route for e in h.wait_for(1, timeout=3)] == ["espeak"]  # the opening, by the fallback
    h.say("ahead", "这一句是提前准备的。")  # look-ahead: nobody needs it yet
    h.say("r1", TEXT)
    received(h, "r1")
    received(h, "ahead")
    needed(h, "r1")  # needed while the opening plays: its own deadline is 4 s away
    h.pool.check_deadlines()
    ready = h.wait_for(2, timeout=3)
    assert [e.request.id for e in ready] == ["r0", "r1"] and ready[1].route == "espeak"
    why = h.pool.fallback_reason("r1")
    assert f"{srv.url.split('://')[1]}: busy with an earlier sentence" in why and "上一句还在合成" in why, why
    assert h.pool.job_state("ahead") in ("queued", "active")  # the look-ahead line still waits for GPT-SoVITS
    assert h.pool.report()["deadline_takeovers"] == 0


def test_a_slow_but_working_server_is_used_again_once_the_orphaned_request_finishes(standin, clocked_pool, tmp_path):
    """The silent deadline gave the opening to the fallback while a slow server worked on it;
    that result still fills the cache, and the server speaks the next lines — the look-ahead one
    it was waiting for, and a needed one once it is free."""
    srv = standin(latency_s=1.0)  # slow but working: busy (answering nothing else) for 1 s a request
    h, clock = clocked_pool([srv.url], [voice("a")], silent_deadline_s=0.5)
    h.say("r0", "这是开场白。")
    on_the_server(srv)
    needed(h, "r0", silent=True)
    clock.advance(0.6)
    h.pool.check_deadlines()
    assert [e.route for e in h.wait_for(1, timeout=3)] == ["espeak"]
    h.say("ahead", "这一句是提前准备的。")
    (_, ahead) = h.wait_for(2, timeout=6)
    assert ahead.request.id == "ahead" and ahead.route.endswith("#a"), ahead.route
    assert [t for t, _ in srv.served] == ["这是开场白。", "这一句是提前准备的。"]  # the opening's came back too
    h.say("r1", TEXT)
    received(h, "r1")
    needed(h, "r1")
    h.pool.check_deadlines()
    (_, _, r1) = h.wait_for(3, timeout=6)
    assert r1.request.id == "r1" and r1.route.endswith("#a"), r1.route
    report = h.pool.report()
    assert report["abandoned_hung"] == 0 and report["fallback_causes"] == {"silent": 1}
