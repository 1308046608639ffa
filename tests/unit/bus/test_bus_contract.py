"""One contract, every backend: the same tests run against the in-process bus and a real
redis-server (see the ``bus`` fixture in tests/conftest.py)."""

from __future__ import annotations

import threading
import time

import pytest

from app import events as ev
from app.bus import create_bus


def comment(i: int) -> ev.LiveEvent:
    return ev.LiveEvent(type="comment", msg_id=str(i), room_id="r1", ts=float(i), text=f"弹幕{i}")


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_messages_arrive_in_publish_order(bus):
    got: list[str] = []
    bus.subscribe(ev.Channel.LIVE_EVENTS, lambda e: got.append(e.msg_id))
    for i in range(500):
        bus.publish(ev.Channel.LIVE_EVENTS, comment(i))
    assert wait_for(lambda: len(got) == 500)
    assert got == [str(i) for i in range(500)]


def test_every_subscriber_gets_every_message(bus):
    boxes: list[list] = [[], [], []]
    for box in boxes:
        bus.subscribe(ev.Channel.SYSTEM, box.append)
    for i in range(20):
        bus.publish(ev.Channel.SYSTEM, ev.ErrorReport(component="x", message=str(i)))
    assert wait_for(lambda: all(len(b) == 20 for b in boxes))
    assert [e.message for e in boxes[2]] == [str(i) for i in range(20)]


def test_a_raising_subscriber_does_not_stop_delivery(bus):
    good: list = []
    calls = {"bad": 0}

    def bad(_event):
        calls["bad"] += 1
        raise RuntimeError("handler bug")

    bus.subscribe(ev.Channel.CONTROL, bad)
    bus.subscribe(ev.Channel.CONTROL, good.append)
    for _ in range(5):
        bus.publish(ev.Channel.CONTROL, ev.Skip())
    assert wait_for(lambda: len(good) == 5 and calls["bad"] == 5)


def test_channels_do_not_leak_into_each_other(bus):
    got: list = []
    bus.subscribe(ev.Channel.CONTROL, got.append)
    bus.publish(ev.Channel.SYSTEM, ev.ErrorReport(component="x", message="not for control"))
    bus.publish(ev.Channel.CONTROL, ev.Pause())
    assert wait_for(lambda: got)
    time.sleep(0.1)
    assert got == [ev.Pause()]


def test_two_namespaces_on_one_server_do_not_see_each_other(bus_url, namespace):
    a = create_bus(bus_url, namespace + "a")
    b = create_bus(bus_url, namespace + "b")
    try:
        got_a, got_b = [], []
        a.subscribe(ev.Channel.LIVE_EVENTS, got_a.append)
        b.subscribe(ev.Channel.LIVE_EVENTS, got_b.append)
        a.subscribe(ev.Channel.SPEECH_REQUESTS, got_a.append, group="tts")
        b.subscribe(ev.Channel.SPEECH_REQUESTS, got_b.append, group="tts")
        a.publish(ev.Channel.LIVE_EVENTS, comment(1))
        a.publish(ev.Channel.SPEECH_REQUESTS, ev.SpeechRequest(id="s", text="你好", kind="script", priority=10))
        b.publish(ev.Channel.LIVE_EVENTS, comment(2))
        assert wait_for(lambda: len(got_a) == 2 and len(got_b) == 1)
        time.sleep(0.2)
        assert sorted(type(e).__name__ for e in got_a) == ["LiveEvent", "SpeechRequest"]
        assert got_b == [comment(2)]
    finally:
        a.close()
        b.close()


def test_durable_message_published_while_consumer_stopped_is_delivered_later(bus):
    first: list = []
    sub = bus.subscribe(ev.Channel.SPEECH_REQUESTS, first.append, group="tts")
    req = lambda i: ev.SpeechRequest(id=f"r{i}", text=f"第{i}句", kind="script", priority=10)  # noqa: E731
    bus.publish(ev.Channel.SPEECH_REQUESTS, req(1))
    assert wait_for(lambda: len(first) == 1)
    bus.unsubscribe(sub)
    bus.publish(ev.Channel.SPEECH_REQUESTS, req(2))  # nobody of group "tts" is running now
    bus.publish(ev.Channel.SPEECH_REQUESTS, req(3))
    later: list = []
    bus.subscribe(ev.Channel.SPEECH_REQUESTS, later.append, group="tts")
    assert wait_for(lambda: len(later) == 2)
    time.sleep(0.2)
    assert [r.id for r in later] == ["r2", "r3"]  # each once, in order, nothing replayed


def test_durable_live_events_reach_plain_subscribers(bus):
    got: list = []
    bus.subscribe(ev.Channel.LIVE_DURABLE, got.append)
    gift = ev.LiveEvent(type="gift", msg_id="g1", room_id="r", ts=1.0,
                        gift=ev.GiftInfo(id="1", name="小心心", count=1, total=1, diamonds=1))
    bus.publish(gift.channel, gift)
    assert wait_for(lambda: got == [gift])


def test_close_leaves_no_thread_behind(bus_url, namespace):
    before = set(threading.enumerate())
    b = create_bus(bus_url, namespace)
    b.subscribe(ev.Channel.LIVE_EVENTS, lambda e: None)
    b.subscribe(ev.Channel.SPEECH_REQUESTS, lambda e: None, group="tts")
    b.subscribe(ev.Channel.LIVE_DURABLE, lambda e: None)
    b.publish(ev.Channel.LIVE_EVENTS, comment(1))
    b.close()
    assert wait_for(lambda: not (set(threading.enumerate()) - before), timeout=3)


@pytest.mark.redis
def test_close_leaves_no_connection_behind(redis_server, namespace):
    import redis

    admin = redis.Redis.from_url(redis_server.url)
    clients = lambda: len(admin.client_list())  # noqa: E731
    baseline = clients()
    b = create_bus(redis_server.url, namespace)
    b.subscribe(ev.Channel.LIVE_EVENTS, lambda e: None)
    b.subscribe(ev.Channel.SPEECH_REQUESTS, lambda e: None, group="tts")
    b.publish(ev.Channel.LIVE_EVENTS, comment(1))
    assert clients() > baseline
    b.close()
    assert wait_for(lambda: clients() == baseline)
    admin.close()


def test_publish_many_keeps_order_across_plain_and_durable_channels(bus):
    plain, durable = [], []
    bus.subscribe(ev.Channel.LIVE_EVENTS, lambda e: plain.append(e.msg_id))
    bus.subscribe(ev.Channel.LIVE_DURABLE, lambda e: durable.append(e.msg_id), group="reply")
    batch = []
    for i in range(300):
        kind = "gift" if i % 3 == 0 else "comment"
        e = ev.LiveEvent(type=kind, msg_id=str(i), room_id="r", ts=0.0)
        batch.append((e.channel, e))
    bus.publish_many(batch)
    assert wait_for(lambda: len(plain) == 200 and len(durable) == 100)
    assert durable == [str(i) for i in range(0, 300, 3)]
    assert plain == [str(i) for i in range(300) if i % 3]


def test_a_batch_is_shared_within_a_group_and_survives_a_failing_event(bus):
    a, b, watcher = [], [], []

    def picky(e):
        if e.id == "r7":
            raise ValueError("this one is bad")
        a.append(e.id)

    bus.subscribe(ev.Channel.SPEECH_REQUESTS, picky, group="tts")
    bus.subscribe(ev.Channel.SPEECH_REQUESTS, lambda e: b.append(e.id), group="tts")
    bus.subscribe(ev.Channel.SPEECH_REQUESTS, lambda e: watcher.append(e.id))  # no group: sees all
    reqs = [ev.SpeechRequest(id=f"r{i}", text=f"第{i}句", kind="script", priority=10) for i in range(40)]
    bus.publish_many([(ev.Channel.SPEECH_REQUESTS, r) for r in reqs])
    ids = [r.id for r in reqs]
    assert wait_for(lambda: len(watcher) == 40 and len(a) + len(b) >= 39)
    time.sleep(0.2)
    assert watcher == ids
    handled = a + b + (["r7"] if "r7" not in b else [])
    assert sorted(handled) == sorted(ids)  # each once across the group, r7 raised and nothing stopped
    assert a == [i for i in ids if i in a] and b == [i for i in ids if i in b]  # each in order


def test_redis_stops_listening_once_the_last_of_several_subscribers_leaves(redis_server, namespace):
    import redis

    admin = redis.Redis.from_url(redis_server.url)
    key = f"{namespace}:{ev.Channel.LIVE_EVENTS}"
    listeners = lambda: dict(admin.pubsub_numsub(key))[key.encode()]  # noqa: E731
    bus = create_bus(redis_server.url, namespace)
    try:
        subs = [bus.subscribe(ev.Channel.LIVE_EVENTS, lambda e: None) for _ in range(2)]
        assert listeners() == 1  # one Redis subscription serves both
        bus.unsubscribe(subs[0])
        time.sleep(0.1)
        assert listeners() == 1
        bus.unsubscribe(subs[1])
        assert wait_for(lambda: listeners() == 0)  # no channel left subscribed for nobody
    finally:
        bus.close()
        admin.close()
