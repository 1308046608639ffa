"""One inbox per stage, on every backend: one queue for all of a stage's channels, operator
commands first, handlers never at the same time, a slow stage holding nobody else, durable
messages acknowledged after their handler and delivered again after a crash."""

from __future__ import annotations

import threading
import time

import pytest

from app import events as ev
from app.bus import create_bus
from app.bus.inbox import Dispatcher, Inbox
from tests.unit.bus.test_bus_contract import comment, wait_for

C = ev.Channel


def clip(i: int) -> ev.SpeechReady:
    req = ev.SpeechRequest(id=f"c{i}", text=f"第{i}句", kind="script", priority=10)
    return ev.SpeechReady(request=req, audio_path=f"/tmp/c{i}.wav", sample_rate=24000, duration_s=1.0)


class Overlap:
    """Counts handler calls that began while another call of the same inbox was running."""

    def __init__(self):
        self.running = 0
        self.overlaps = 0
        self.lock = threading.Lock()

    def __call__(self, fn):
        def wrapped(*args):
            with self.lock:
                self.running += 1
                if self.running > 1:
                    self.overlaps += 1
            try:
                time.sleep(0.0005)  # widen the window a second handler would slip into
                return fn(*args)
            finally:
                with self.lock:
                    self.running -= 1
        return wrapped


def test_one_inbox_keeps_each_channel_in_order_and_runs_one_handler_at_a_time(bus):
    got: dict[str, list] = {C.LIVE_EVENTS: [], C.SYSTEM: [], C.PLAYER_STATE: []}
    overlap = Overlap()
    routes = {ch: overlap(lambda e, ch=ch: got[ch].append(e)) for ch in got}
    bus.inbox("stage", routes)
    n = 150

    def produce(channel, make):
        for i in range(n):
            bus.publish(channel, make(i))

    producers = [threading.Thread(target=produce, args=args) for args in (
        (C.LIVE_EVENTS, comment), (C.SYSTEM, lambda i: ev.ErrorReport(component="x", message=str(i))),
        (C.PLAYER_STATE, lambda i: ev.PlaybackFinished(id=str(i))))]
    for t in producers:
        t.start()
    for t in producers:
        t.join()
    assert wait_for(lambda: all(len(box) == n for box in got.values()), 10)
    assert [e.msg_id for e in got[C.LIVE_EVENTS]] == [str(i) for i in range(n)]
    assert [e.message for e in got[C.SYSTEM]] == [str(i) for i in range(n)]
    assert [e.id for e in got[C.PLAYER_STATE]] == [str(i) for i in range(n)]
    assert overlap.overlaps == 0


@pytest.mark.parametrize("control_first", [True, False], ids=["control-lane", "no-lane"])
def test_a_pause_published_after_waiting_clips_is_handled_before_them(bus, control_first):
    """The player is busy with one clip while four more and then a Pause arrive: with the
    control lane the Pause comes next; without it, after the clips (what went wrong before)."""
    seen: list[str] = []
    gate = threading.Event()

    def on_clip(e):
        seen.append(e.request.id)
        gate.wait(5)

    inbox = bus.inbox("player", {C.SPEECH_READY: on_clip, C.CONTROL: lambda e: seen.append(type(e).__name__)},
                      control_first=control_first)
    bus.publish(C.SPEECH_READY, clip(1))
    assert wait_for(lambda: seen == ["c1"])
    for i in range(2, 6):
        bus.publish(C.SPEECH_READY, clip(i))
    bus.publish(C.CONTROL, ev.Pause())
    assert wait_for(lambda: inbox.waiting == 5)
    gate.set()
    assert wait_for(lambda: len(seen) == 6)
    if control_first:
        assert seen == ["c1", "Pause", "c2", "c3", "c4", "c5"]
    else:
        assert seen == ["c1", "c2", "c3", "c4", "c5", "Pause"]


def test_a_stuck_stage_holds_nobody_else(bus):
    release = threading.Event()
    stuck, other = [], []

    def never_returns(e):
        stuck.append(e)
        release.wait(10)

    bus.inbox("stuck", {C.SYSTEM: never_returns})
    bus.inbox("other", {C.CONTROL: other.append})
    try:
        bus.publish(C.SYSTEM, ev.ErrorReport(component="x", message="hang"))
        assert wait_for(lambda: stuck)
        bus.publish(C.CONTROL, ev.Skip())
        assert wait_for(lambda: other == [ev.Skip()], 3)  # long before the stuck handler returns
        assert not release.is_set()
    finally:
        release.set()
    # the extra delivery thread goes away once it has been idle for a while
    assert wait_for(lambda: bus.dispatcher.threads == 1, 10)


def test_a_quiet_bus_delivers_every_inbox_on_one_thread(bus_url, namespace):
    before = set(threading.enumerate())  # threads, not names: a bus another test left open has the same names
    b = create_bus(bus_url, namespace)
    try:
        boxes = [[] for _ in range(8)]
        for i, box in enumerate(boxes):
            b.inbox(f"stage{i}", {C.SYSTEM: box.append, C.CONTROL: box.append, C.LIVE_EVENTS: box.append})
        for i in range(50):
            b.publish(C.LIVE_EVENTS, comment(i))
        b.publish(C.CONTROL, ev.Pause())
        assert wait_for(lambda: all(len(box) == 51 for box in boxes))
        new: list[str] = []

        def settled() -> bool:  # (a turn the machine's load stretched may have started a spare)
            new[:] = sorted(t.name for t in threading.enumerate() if t not in before)
            return len(new) == 2 and sum(n.startswith("bus-deliver") for n in new) == 1

        # one I/O thread (Redis) or clock thread (in process), one delivery thread
        assert wait_for(settled, 6), new
    finally:
        b.close()


def test_ticks_run_on_the_inbox_turn_and_follow_a_changed_interval(bus):
    overlap = Overlap()
    ticks: list[float] = []
    every = {"s": 0.02}
    got: list = []
    bus.inbox("timer", {C.SYSTEM: overlap(got.append)}, tick=overlap(lambda: ticks.append(time.monotonic())),
              every=lambda: every["s"])
    assert wait_for(lambda: len(ticks) >= 5)
    for i in range(30):
        bus.publish(C.SYSTEM, ev.ErrorReport(component="x", message=str(i)))
    assert wait_for(lambda: len(got) == 30)
    every["s"] = 5.0  # a live setting: the next wait is the new one
    time.sleep(0.2)
    settled = len(ticks)
    time.sleep(0.6)
    assert len(ticks) == settled  # nothing more for the next five seconds
    assert overlap.overlaps == 0


def test_tick_fires_when_its_time_has_come_on_a_hand_driven_clock():
    now = [100.0]
    d = Dispatcher("t", clock=lambda: now[0])
    ticked = threading.Event()
    inbox = Inbox("timer", {}, d, tick=ticked.set, every=10.0)
    try:
        d.arm(inbox, 10.0)
        now[0] = 109.9
        assert d.step() == pytest.approx(0.1)
        time.sleep(0.05)
        assert not ticked.is_set()
        now[0] = 110.0
        d.step()
        assert ticked.wait(2)
    finally:
        d.close()


def test_an_operator_command_goes_before_other_stages_waiting_for_a_thread():
    """One delivery thread, held by a stage; two others wait for it, the second with a Pause:
    the stage with the operator's command has the next turn."""
    d = Dispatcher("t")  # nobody drives its clock: no second thread is started
    gate, order = threading.Event(), []
    try:
        busy = Inbox("busy", {C.SYSTEM: lambda e: gate.wait(5)}, d)
        script = Inbox("script", {C.SPEECH_READY: lambda e: order.append("script")}, d)
        player = Inbox("player", {C.SPEECH_READY: lambda e: order.append("player clip"),
                                  C.CONTROL: lambda e: order.append("player pause")}, d)
        busy.put(C.SYSTEM, ev.ErrorReport(component="x", message="slow"))
        assert wait_for(lambda: d.threads == 1 and busy.waiting == 0)
        script.put(C.SPEECH_READY, clip(1))
        player.put(C.SPEECH_READY, clip(2))
        player.put(C.CONTROL, ev.Pause())
        gate.set()
        assert wait_for(lambda: len(order) == 3)
        assert order == ["player pause", "player clip", "script"]
    finally:
        gate.set()
        d.close()


def test_a_handler_may_close_its_own_inbox(bus):
    done = threading.Event()
    box: dict = {}

    def leave(_e):
        bus.unsubscribe(box["inbox"])
        done.set()

    box["inbox"] = bus.inbox("leaver", {C.CONTROL: leave})
    bus.publish(C.CONTROL, ev.Skip())
    assert done.wait(3)


def test_a_durable_group_inbox_also_gets_plain_channels(bus):
    got: list = []
    bus.inbox("reply", {C.LIVE_EVENTS: got.append, C.LIVE_DURABLE: got.append}, group="reply")
    gift = ev.LiveEvent(type="gift", msg_id="g1", room_id="r", ts=1.0,
                        gift=ev.GiftInfo(id="1", name="小心心", count=1, total=1, diamonds=1))
    bus.publish(C.LIVE_DURABLE, gift)
    bus.publish(C.LIVE_EVENTS, comment(2))
    assert wait_for(lambda: len(got) == 2)
    assert sorted(e.msg_id for e in got) == ["2", "g1"]


@pytest.mark.redis
def test_redis_acknowledges_after_the_handler_and_redelivers_after_a_crash(redis_server, namespace):
    import redis

    admin = redis.Redis.from_url(redis_server.url)
    key = f"{namespace}:{C.SPEECH_REQUESTS}"
    pending = lambda: admin.xpending(key, "tts")["pending"]  # noqa: E731
    req = lambda i: ev.SpeechRequest(id=f"r{i}", text=f"第{i}句", kind="script", priority=10)  # noqa: E731

    first = create_bus(redis_server.url, namespace)
    handled, inside = [], threading.Event()
    hold = threading.Event()

    def handler(e):
        handled.append(e.id)
        if e.id == "r2":
            inside.set()
            hold.wait(10)  # the process "dies" while this handler runs

    first.inbox("tts", {C.SPEECH_REQUESTS: handler}, group="tts")
    first.publish(C.SPEECH_REQUESTS, req(1))
    assert wait_for(lambda: handled == ["r1"] and pending() == 0)  # handled, then acknowledged
    first.publish(C.SPEECH_REQUESTS, req(2))
    assert inside.wait(5)
    assert pending() == 1  # not acknowledged while its handler runs
    first.close()  # the crash: r2's handler never returned before the bus went away
    hold.set()

    again: list = []
    second = create_bus(redis_server.url, namespace)
    try:
        second.inbox("tts", {C.SPEECH_REQUESTS: lambda e: again.append(e.id)}, group="tts")
        second.publish(C.SPEECH_REQUESTS, req(3))
        assert wait_for(lambda: again == ["r2", "r3"])  # r2 once more, r1 never
        assert wait_for(lambda: pending() == 0)
    finally:
        second.close()
        admin.close()
