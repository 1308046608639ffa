"""The listener against the in-process replay server (real WebSocket traffic on localhost)."""

import threading
import time

import pytest

from app.bus.memory import MemoryBus
from app.events import Channel
from app.live.listener import FeedListener, ListenerSettings
from app.live.replay import ReplayServer
from tests.unit.live.helpers import Collector, mixed_frames, wait_until

FAST = dict(stall_timeout_s=0.5, ping_interval_s=0.2, ping_timeout_s=0.3, health_interval_s=0.2,
            reconnect_initial_s=0.2, reconnect_max_s=0.5, open_timeout_s=1.0)


@pytest.fixture
def bus():
    b = MemoryBus("test")
    yield b
    b.close()


@pytest.fixture
def cleanup():
    items = []
    yield items.append
    for item in reversed(items):
        (item.stop if hasattr(item, "stop") else item.close)()


def test_several_listeners_on_one_server_each_get_every_frame_in_order(cleanup):
    frames = mixed_frames(60)
    server = ReplayServer(frames, wait_for_clients=3, speed=0).start()
    cleanup(server)
    buses, collectors = [], []
    for _ in range(3):
        b = MemoryBus("room")
        buses.append(b)
        collectors.append(Collector(b))
        cleanup(b)
        cleanup(FeedListener(server.url, b, **FAST).start())
    assert server.wait_finished(5)
    expected = [str(7_400_000_000_000_000_000 + i) for i in range(60)]
    for c in collectors:
        assert c.wait_for(60)
        live = [e for e in c.events if e.channel == Channel.LIVE_EVENTS]
        durable = [e for e in c.events if e.channel == Channel.LIVE_DURABLE]
        assert sorted(c.msg_ids) == expected
        assert [e.msg_id for e in live] == sorted(e.msg_id for e in live)  # order kept per channel
        assert {e.type for e in durable} == {"gift"}


def test_server_killed_and_restarted_mid_stream_listener_reconnects_without_duplicates(bus, cleanup):
    frames = mixed_frames(120, step_s=0.01)
    server = ReplayServer(frames).start()
    cleanup(server)
    got = Collector(bus)
    listener = FeedListener(server.url, bus, **FAST).start()
    cleanup(listener)
    assert server.wait_sent(50)
    port = server.port
    server.stop()  # the process dies: sockets reset, nothing more is sent
    assert wait_until(lambda: not listener.connected, 2)
    # it comes back on the same port and (as a restarted grabber may) repeats recent messages
    server.start(start_at=max(0, server.position - 20))
    assert server.port == port
    assert server.wait_finished(5)
    assert got.wait_for(120)
    time.sleep(0.1)
    assert sorted(got.msg_ids) == [str(7_400_000_000_000_000_000 + i) for i in range(120)]
    stats = listener.stats()
    assert stats["reconnects"] >= 1 and stats["connects"] >= 2
    assert stats["duplicates"] >= 1  # the repeated frames were seen and dropped
    assert any(h.metrics.get("reconnects", 0) >= 1 for h in got.health)


def test_silent_server_is_detected_as_a_stall_and_the_listener_reconnects(bus, cleanup):
    server = ReplayServer(mixed_frames(40, step_s=0.005)).start()
    cleanup(server)
    server.set_silent(True)
    got = Collector(bus)
    listener = FeedListener(server.url, bus, **FAST).start()
    cleanup(listener)
    assert wait_until(lambda: listener.stats()["stalls"] >= 1, 3)
    assert wait_until(lambda: server.connections_total >= 2, 3)  # it came back by itself
    assert "no frame for 0.5 s" in listener.stats()["last_error"]
    assert any(h.status == "down" and "no frame" in h.detail for h in got.health)
    server.set_silent(False)
    assert got.wait_for(40)


def test_missing_pong_is_a_dead_link_but_answered_pings_keep_a_quiet_link_up(bus, cleanup):
    server = ReplayServer(mixed_frames(5)).start()
    cleanup(server)
    server.set_silent(True)
    quiet = dict(FAST, stall_timeout_s=30.0, ping_interval_s=0.1, ping_timeout_s=0.2)
    listener = FeedListener(server.url, bus, **quiet).start()
    cleanup(listener)
    assert listener.wait_connected(2)
    time.sleep(0.8)  # several pings, all answered with b"pong"
    assert listener.stats()["ping_timeouts"] == 0 and listener.stats()["reconnects"] == 0
    server.answer_pings = False
    assert wait_until(lambda: listener.stats()["ping_timeouts"] >= 1, 2)
    assert "no pong" in listener.stats()["last_error"]


def test_listener_waits_for_a_server_that_is_not_up_yet_and_first_retry_is_quick(bus, cleanup):
    probe = ReplayServer(mixed_frames(1)).start()
    port = probe.port
    probe.stop()
    got = Collector(bus)
    listener = FeedListener(f"ws://127.0.0.1:{port}", bus, settings=ListenerSettings(reconnect_initial_s=1.0))
    cleanup(listener)
    listener.start()
    assert wait_until(lambda: listener.reconnects >= 1, 2)
    started = time.monotonic()
    server = ReplayServer(mixed_frames(10), port=port).start()
    cleanup(server)
    assert listener.wait_connected(2)
    assert time.monotonic() - started < 1.9  # first retries are within a second
    assert got.wait_for(10)


class GatedBus(MemoryBus):
    """A bus whose live-event publishing blocks until opened: a consumer that cannot keep up."""

    def __init__(self):
        super().__init__("gated")
        self.gate = threading.Event()

    def publish(self, channel, event):
        if channel != Channel.SYSTEM:
            self.gate.wait(10)
        super().publish(channel, event)


def test_a_flood_sheds_likes_and_entries_only_and_memory_stays_bounded(cleanup):
    bus = GatedBus()
    cleanup(bus)
    got = Collector(bus)
    frames = mixed_frames(400, kinds="lecgflle")
    server = ReplayServer(frames, speed=0).start()
    cleanup(server)
    listener = FeedListener(server.url, bus, **dict(FAST, max_buffered_events=20, stall_timeout_s=5)).start()
    cleanup(listener)
    assert wait_until(lambda: listener.stats()["shed_total"] >= 100, 8)  # a flood, long past the buffer (8 s: under load; the gate holds 10)
    assert listener.stats()["buffer_high_water"] <= 20
    bus.gate.set()
    assert server.wait_finished(5)
    sent_kinds = {"like": 0, "enter": 0, "comment": 0, "gift": 0, "follow": 0}
    for i in range(400):
        sent_kinds[{"l": "like", "e": "enter", "c": "comment", "g": "gift", "f": "follow"}["lecgflle"[i % 8]]] += 1
    keep = sent_kinds["comment"] + sent_kinds["gift"] + sent_kinds["follow"]
    assert wait_until(lambda: listener.stats()["decoded"] == 400, 5)
    stats = listener.stats()
    assert got.wait_for(400 - stats["shed_total"])
    received = {k: sum(1 for e in got.events if e.type == k) for k in sent_kinds}
    assert received["comment"] + received["gift"] + received["follow"] == keep  # none shed
    assert set(stats["shed"]) <= {"like", "enter"} and stats["shed_total"] > 0
    assert received["like"] + received["enter"] + stats["shed_total"] == sent_kinds["like"] + sent_kinds["enter"]


def test_stop_returns_promptly_and_leaves_no_thread_or_connection_behind(bus, cleanup):
    server = ReplayServer(mixed_frames(200, step_s=0.01)).start()
    cleanup(server)
    before = set(threading.enumerate())
    listener = FeedListener(server.url, bus, **FAST).start()
    assert listener.wait_connected(2)
    assert wait_until(lambda: server.clients == 1, 2)
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < 1.5
    assert wait_until(lambda: server.clients == 0, 2)
    leftover = [t for t in set(threading.enumerate()) - before if t.name.startswith("feed")]
    assert leftover == []
    assert not listener.connected


class BatchingBus(MemoryBus):
    """A backend with a batched publish (as a Redis pipeline would be)."""

    def __init__(self):
        super().__init__("batch")
        self.batches = []

    def publish_many(self, items):
        self.batches.append(len(items))
        for channel, event in items:
            self.publish(channel, event)


def test_listener_uses_a_batched_publish_when_the_bus_offers_one(cleanup):
    bus = BatchingBus()
    cleanup(bus)
    got = Collector(bus)
    server = ReplayServer(mixed_frames(300), speed=0).start()
    cleanup(server)
    cleanup(FeedListener(server.url, bus, **FAST).start())
    assert got.wait_for(300)
    assert sum(bus.batches) == 300 and sorted(set(got.msg_ids)) == sorted(got.msg_ids)
