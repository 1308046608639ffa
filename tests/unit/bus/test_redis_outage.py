"""Redis only: the server dies mid-run and comes back; the app does not need a restart."""

from __future__ import annotations

import pytest

from app import events as ev
from app.bus import create_bus
from tests.redis_server import RedisServer
from tests.unit.bus.test_bus_contract import comment, wait_for

pytestmark = pytest.mark.redis


@pytest.fixture
def own_server():
    server = RedisServer().start()
    yield server
    server.stop()


def test_publishing_resumes_after_redis_restarts_and_the_outage_is_reported(own_server, namespace):
    bus = create_bus(own_server.url, namespace)
    try:
        got, system = [], []
        bus.subscribe(ev.Channel.LIVE_EVENTS, lambda e: got.append(e.msg_id))
        bus.subscribe(ev.Channel.SYSTEM, system.append)
        bus.publish(ev.Channel.LIVE_EVENTS, comment(1))
        assert wait_for(lambda: got == ["1"])

        own_server.kill()
        bus.publish(ev.Channel.LIVE_EVENTS, comment(2))  # must not raise; kept in the outbox
        assert wait_for(lambda: any(isinstance(e, ev.Health) and e.status == "down" for e in system))
        assert bus.health().status == "down"

        own_server.start()  # same port, empty server
        assert wait_for(lambda: any(isinstance(e, ev.Health) and e.status == "ok" for e in system), 10)
        for i in range(3, 6):
            bus.publish(ev.Channel.LIVE_EVENTS, comment(i))
        assert wait_for(lambda: got[-3:] == ["3", "4", "5"], 10)
        assert bus.health().status == "ok"
        assert bus.health().metrics["reconnects"] >= 1
    finally:
        bus.close()


def test_durable_consumer_survives_a_redis_restart(own_server, namespace):
    bus = create_bus(own_server.url, namespace)
    try:
        got = []
        bus.subscribe(ev.Channel.SPEECH_REQUESTS, lambda e: got.append(e.id), group="tts")
        own_server.kill()
        bus.publish(ev.Channel.SPEECH_REQUESTS, ev.SpeechRequest(id="during", text="在", kind="script", priority=10))
        own_server.start()
        assert wait_for(lambda: got == ["during"], 10)
    finally:
        bus.close()


def test_a_hung_redis_never_holds_a_publisher_and_everything_arrives_once_it_answers(own_server, namespace):
    """A frozen server (SIGSTOP: the process lives, nothing answers) is the worst case: no
    connection breaks. Publishing still returns at once; the outage is noticed and reported;
    once the server answers again everything published meanwhile arrives, in order."""
    import os
    import signal
    import time

    bus = create_bus(own_server.url, namespace)
    try:
        got, system = [], []
        bus.subscribe(ev.Channel.LIVE_EVENTS, lambda e: got.append(e.msg_id))
        bus.subscribe(ev.Channel.SYSTEM, system.append)
        os.kill(own_server.proc.pid, signal.SIGSTOP)
        try:
            slowest = 0.0
            for i in range(1, 6):
                t0 = time.monotonic()
                bus.publish(ev.Channel.LIVE_EVENTS, comment(i))
                slowest = max(slowest, time.monotonic() - t0)
                time.sleep(0.3)
            assert slowest < 0.1, f"a publish waited {slowest:.2f} s for a hung Redis"
            assert wait_for(lambda: any(isinstance(e, ev.Health) and e.status == "down" for e in system), 10)
        finally:
            os.kill(own_server.proc.pid, signal.SIGCONT)
        assert wait_for(lambda: got == ["1", "2", "3", "4", "5"], 10), got
        assert wait_for(lambda: any(isinstance(e, ev.Health) and e.status == "ok" for e in system), 10)
    finally:
        bus.close()


def test_a_wrong_redis_url_is_a_clear_error():
    from app.bus import BusConfigError
    from tests.redis_server import free_port

    with pytest.raises(BusConfigError, match=r"\[bus\] url redis://127.0.0.1:\d+/0: cannot connect"):
        create_bus(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(BusConfigError, match="not a bus"):
        create_bus("amqp://x")
