"""The bus interface every backend implements, and the per-subscriber delivery they share.

Contract (one test suite checks it against every backend):
- ``publish(channel, event)`` never blocks on a consumer and never raises because a consumer
  failed; a broken transport is reported as ``Health`` on ``system``, not raised into stages.
- Each subscription receives the messages of its channel in publish order, on its own thread,
  so a slow or failing handler delays nobody else. A handler that raises is logged and counted;
  delivery goes on.
- Channels are namespaced: two buses with different namespaces never see each other.
- On a durable channel (``events.DURABLE_CHANNELS``) a subscription given a ``group`` name gets
  every message published while the group existed, even those published while no consumer of
  the group was running, each acknowledged after the handler returns.
- ``close()`` stops every thread and connection the bus made.
"""

from __future__ import annotations

import abc
import itertools
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from app import events
from app.logs import get_logger

log = get_logger("bus")

Handler = Callable[[Any], None]
_STOP = object()


class _Batch(list):
    """Several (event, tag) pairs queued as one entry (see ``Subscription.put_many``)."""


class Subscription:
    """One handler on one channel, fed through its own queue and thread.

    ``ack`` (if given) is called with the message's delivery tag after the handler returns, or
    after it raised: a poison message is logged, not redelivered forever.
    """

    _ids = itertools.count(1)

    def __init__(self, channel: str, handler: Handler, *, group: str | None = None,
                 ack: Callable[[Any], None] | None = None, name: str = ""):
        self.id = next(self._ids)
        self.channel = channel
        self.handler = handler
        self.group = group
        self._ack = ack
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.delivered = 0
        self.failures = 0
        self._thread = threading.Thread(
            target=self._run, name=f"bus-sub-{name or channel}-{self.id}", daemon=True)
        self._thread.start()

    def put(self, event: Any, tag: Any = None) -> None:
        self._queue.put((event, tag))

    def put_many(self, items: list[tuple[Any, Any]]) -> None:
        """Queue several (event, tag) pairs as one entry. The handler still gets them one by
        one, but the delivery thread wakes once per burst instead of once per event: at 2,000
        events/s that is what keeps a process's threads from fighting over the GIL."""
        if len(items) == 1:
            self._queue.put(items[0])
        elif items:
            self._queue.put(_Batch(items))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            for event, tag in item if type(item) is _Batch else (item,):
                self._deliver(event, tag)

    def _deliver(self, event: Any, tag: Any) -> None:
        try:
            self.handler(event)
            self.delivered += 1
        except Exception:  # a bad handler must not stop delivery to it or to others
            self.failures += 1
            log.exception("handler for %s raised on %s", self.channel, type(event).__name__)
        if self._ack is not None and tag is not None:
            try:
                self._ack(tag)
            except Exception:
                log.exception("ack failed on %s", self.channel)

    def stop(self, timeout: float = 2.0) -> None:
        self._queue.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


class Bus(abc.ABC):
    """Publish/subscribe between the stages. See the module docstring for the contract."""

    backend: str = "?"

    def __init__(self, namespace: str = "live"):
        if not namespace or ":" in namespace:
            raise ValueError(f"bus namespace must be a non-empty name without ':', got {namespace!r}")
        self.namespace = namespace
        self._subs: dict[int, Subscription] = {}
        self._lock = threading.RLock()
        self._closed = False

    def key(self, channel: str) -> str:
        return f"{self.namespace}:{channel}"

    # ---- the interface ---------------------------------------------------------------------

    @abc.abstractmethod
    def publish(self, channel: str, event: Any) -> None:
        """Send ``event`` to every subscriber of ``channel``."""

    def publish_many(self, items: list[tuple[str, Any]]) -> None:
        """Publish several (channel, event) pairs in order; backends may batch the transport."""
        for channel, event in items:
            self.publish(channel, event)

    @abc.abstractmethod
    def subscribe(self, channel: str, handler: Handler, *, group: str | None = None) -> Subscription:
        """Call ``handler(event)`` for each message on ``channel`` (see the contract)."""

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.pop(sub.id, None)
        self._on_unsubscribe(sub)
        sub.stop()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            subs = list(self._subs.values())
            self._subs.clear()
        for sub in subs:
            self._on_unsubscribe(sub)
            sub.stop()
        self._close_transport()

    @abc.abstractmethod
    def health(self) -> events.Health:
        """The bus's own health (backend, connected, counters)."""

    # ---- helpers for backends --------------------------------------------------------------

    def _add(self, sub: Subscription) -> Subscription:
        with self._lock:
            if self._closed:
                sub.stop()
                raise RuntimeError("bus is closed")
            self._subs[sub.id] = sub
        return sub

    def _subscribers(self, channel: str) -> list[Subscription]:
        with self._lock:
            return [s for s in self._subs.values() if s.channel == channel]

    def _report_local(self, event: Any) -> None:
        """Deliver a ``system`` event to this process's subscribers directly: used for the
        bus's own outages, when the transport itself cannot carry the news."""
        for sub in self._subscribers(events.Channel.SYSTEM):
            sub.put(event)

    def _on_unsubscribe(self, sub: Subscription) -> None:  # noqa: B027 - optional backend hook
        pass

    def _close_transport(self) -> None:  # noqa: B027 - optional backend hook
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def now() -> float:
    return time.time()
