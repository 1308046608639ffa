"""Fixtures for the TTS tests: stand-in GPT-SoVITS servers and a pool on a MemoryBus."""

from __future__ import annotations

import pytest

from app.bus.memory import MemoryBus
from app.tts.pool import TtsPool
from app.tts.settings import PoolSettings, ServerSpec
from tests.standins.gptsovits import StandinServer
from tests.standins.gptsovits_harness import Harness

FAST = dict(connect_timeout_s=0.5, request_timeout_s=0.8, bench_seconds=0.3, bench_after_failures=2, max_attempts=4)


@pytest.fixture
def standin():
    servers: list[StandinServer] = []

    def make(**kw) -> StandinServer:
        kw.setdefault("hang_s", 2.0)
        srv = StandinServer(**kw).start()
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.stop()


@pytest.fixture
def make_pool(tmp_path):
    made: list[tuple[MemoryBus, TtsPool]] = []

    def make(servers, voices, *, cache: bool = True, mono=None, prepare=None, **settings) -> Harness:
        opts = dict(FAST)
        opts.update(settings)
        bus = MemoryBus(f"tts{len(made)}")
        pool = TtsPool(bus, servers=[s if isinstance(s, ServerSpec) else ServerSpec(s) for s in servers],
                       voices=voices, out_dir=tmp_path / "out", cache_dir=(tmp_path / "cache") if cache else None,
                       settings=PoolSettings(**opts), seed=1, prepare=prepare, **({"mono": mono} if mono else {}))
        h = Harness(bus, pool)
        pool.start()
        made.append((bus, pool))
        return h

    yield make
    for bus, pool in made:
        pool.stop(timeout=2)
        bus.close()
