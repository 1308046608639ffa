from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from app import events as ev
from app.bus import MemoryBus, create_bus
from tests.processes import alive
from tests.unit.bus.test_bus_contract import comment, wait_for


def test_auto_starts_an_embedded_redis_and_stops_it_on_close(namespace):
    bus = create_bus("auto", namespace)
    assert bus.backend == "redis"
    server = bus._owned_server
    pid = server.pid
    got = []
    bus.subscribe(ev.Channel.LIVE_EVENTS, got.append)
    bus.publish(ev.Channel.LIVE_EVENTS, comment(1))
    assert wait_for(lambda: len(got) == 1)
    bus.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not os.path.exists(server.socket_path)


def test_auto_restarts_the_embedded_redis_when_it_dies(namespace):
    bus = create_bus("auto", namespace)
    try:
        got = []
        bus.subscribe(ev.Channel.LIVE_EVENTS, lambda e: got.append(e.msg_id))
        os.kill(bus._owned_server.pid, signal.SIGKILL)
        assert wait_for(lambda: bus._owned_server.restarts == 1, 10)
        bus.publish(ev.Channel.LIVE_EVENTS, comment(7))
        assert wait_for(lambda: "7" in got, 10)
    finally:
        bus.close()


def test_auto_falls_back_to_memory_with_a_logged_reason(monkeypatch, caplog, namespace):
    import app.bus.embedded as embedded

    def missing():
        raise embedded.EmbeddedRedisError("no Redis-compatible server (test)")

    monkeypatch.setattr(embedded, "find_server", missing)
    caplog.set_level("WARNING", logger="app.bus")
    bus = create_bus("auto", namespace)
    try:
        assert isinstance(bus, MemoryBus)
        assert "no Redis-compatible server (test)" in caplog.text
    finally:
        bus.close()


def test_an_app_that_exits_without_closing_its_bus_leaves_no_redis_server_behind():
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[3]
    code = ("from app.bus import create_bus\n"
            "bus = create_bus('auto', 'leak')\n"
            "print(bus._owned_server.pid, flush=True)\n")  # and exit with the bus open
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60)
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 5
    while alive(pid):
        assert time.monotonic() < deadline, f"redis-server {pid} outlived the app"
        time.sleep(0.05)

