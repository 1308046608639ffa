"""Fixtures shared by every test directory."""

from __future__ import annotations

import itertools
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

_namespaces = itertools.count(1)


@pytest.fixture(scope="session")
def redis_server():
    """One real redis-server for the session; tests isolate themselves by bus namespace."""
    from tests.redis_server import RedisServer

    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def namespace() -> str:
    return f"t{os.getpid()}n{next(_namespaces)}"


@pytest.fixture(params=["memory", "redis"])
def bus_url(request) -> str:
    """Run a test once per bus backend: the same contract holds for both."""
    if request.param == "memory":
        return "memory"
    return request.getfixturevalue("redis_server").url


@pytest.fixture
def bus(bus_url, namespace):
    from app.bus import create_bus

    b = create_bus(bus_url, namespace)
    yield b
    b.close()


@pytest.fixture
def operator_folder(tmp_path):
    """``tmp_path`` as the operator's folder (config.ini, data/) for the test, then the real one."""
    from app import paths

    previous = paths.set_user_root(paths.UserRoot(tmp_path, per_user=False, app_dir=tmp_path))
    yield tmp_path
    paths.set_user_root(previous)
