"""The bus interface every backend implements.

Contract (one test suite checks it against every backend):
- ``publish(channel, event)`` never blocks on a consumer and never raises because a consumer
  failed; a broken transport is reported as ``Health`` on ``system``, not raised into stages.
- A stage receives its channels through one ``Inbox`` (``bus.inbox(name, routes)``): each
  channel in publish order, handlers of one inbox never at the same time, operator commands on
  ``control`` before anything else that is waiting. A handler that raises is logged and
  counted; delivery goes on. A slow or stuck handler delays only its own inbox.
- ``subscribe(channel, handler)`` is an inbox with one channel.
- Channels are namespaced: two buses with different namespaces never see each other.
- On a durable channel (``events.DURABLE_CHANNELS``) an inbox given a ``group`` name gets
  every message published while the group existed, even those published while no member of
  the group was running, each acknowledged after its handler returned; one not acknowledged
  (the process died first) is delivered again when the group's reader starts again.
- ``close()`` stops every thread and connection the bus made.
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app import events
from app.bus.inbox import Dispatcher, Handler, Inbox, make_inbox
from app.logs import get_logger

log = get_logger("bus")


class Bus(abc.ABC):
    """Publish/subscribe between the stages. See the module docstring for the contract."""

    backend: str = "?"

    def __init__(self, namespace: str = "live"):
        if not namespace or ":" in namespace:
            raise ValueError(f"bus namespace must be a non-empty name without ':', got {namespace!r}")
        self.namespace = namespace
        self.dispatcher = Dispatcher("bus")
        self._inboxes: dict[int, Inbox] = {}
        self._by_channel: dict[str, tuple[Inbox, ...]] = {}  # replaced, never changed in place
        self._lock = threading.RLock()
        self._closed = False

    def key(self, channel: str) -> str:
        return f"{self.namespace}:{channel}"

    # ---- the interface ---------------------------------------------------------------------

    @abc.abstractmethod
    def publish(self, channel: str, event: Any) -> None:
        """Send ``event`` to every inbox listening on ``channel``."""

    def publish_many(self, items: list[tuple[str, Any]]) -> None:
        """Publish several (channel, event) pairs in order; backends may batch the transport."""
        for channel, event in items:
            self.publish(channel, event)

    def inbox(self, name: str, routes: Mapping[str, Handler] | Iterable[str], handler: Handler | None = None,
              *, group: str | None = None, tick: Callable[[], Any] | None = None,
              every: float | Callable[[], float] | None = None, control_first: bool = True) -> Inbox:
        """A stage's inbox: ``routes`` maps channel → handler (or give channels and one
        ``handler``). ``tick`` runs on the inbox's turn every ``every`` seconds, the first time
        at once. Returns once the transport listens on every channel (a message published
        after that is delivered)."""
        inbox = make_inbox(self.dispatcher, name, routes, handler, group=group, tick=tick, every=every,
                           control_first=control_first)
        with self._lock:
            if self._closed:
                raise RuntimeError("bus is closed")
            self._inboxes[inbox.id] = inbox
            self._reindex()
            self._indexed(inbox)
        try:
            self._attach(inbox)
        except BaseException:
            self.unsubscribe(inbox)
            raise
        if tick is not None:
            self.dispatcher.arm(inbox, 0.0)
        return inbox

    def subscribe(self, channel: str, handler: Handler, *, group: str | None = None) -> Inbox:
        """Call ``handler(event)`` for each message on ``channel``: an inbox of one channel."""
        return self.inbox(f"sub:{channel}", {channel: handler}, group=group)

    def unsubscribe(self, inbox: Inbox) -> None:
        with self._lock:
            if self._inboxes.pop(inbox.id, None) is None:
                return
            self._reindex()
        self._detach(inbox, inbox.close())

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            inboxes = list(self._inboxes.values())
            self._inboxes.clear()
            self._reindex()
        self._close_transport()  # flushes what was published before closing
        for inbox in inboxes:
            inbox.close(timeout=0.5)
        self.dispatcher.close()

    @abc.abstractmethod
    def health(self) -> events.Health:
        """The bus's own health (backend, connected, counters)."""

    def delivery_metrics(self) -> dict[str, float]:
        with self._lock:
            inboxes = list(self._inboxes.values())
        return {"inboxes": float(len(inboxes)), "delivery_threads": float(self.dispatcher.threads),
                "waiting": float(sum(i.waiting for i in inboxes)),
                "handler_failures": float(sum(i.failures for i in inboxes))}

    # ---- helpers for backends --------------------------------------------------------------

    def _reindex(self) -> None:  # holding _lock
        by_channel: dict[str, list[Inbox]] = {}
        for inbox in self._inboxes.values():
            for channel in inbox.channels:
                by_channel.setdefault(channel, []).append(inbox)
        self._by_channel = {ch: tuple(boxes) for ch, boxes in by_channel.items()}

    def _listeners(self, channel: str) -> tuple[Inbox, ...]:
        return self._by_channel.get(channel, ())

    def _report_local(self, event: Any) -> None:
        """Deliver a ``system`` event to this process's inboxes directly: used for the bus's
        own outages, when the transport itself cannot carry the news."""
        for inbox in self._listeners(events.Channel.SYSTEM):
            inbox.put(events.Channel.SYSTEM, event)

    def _indexed(self, inbox: Inbox) -> None:  # noqa: B027 - optional backend hook
        """``inbox`` was just added to ``_by_channel``; called holding ``_lock``."""

    @abc.abstractmethod
    def _attach(self, inbox: Inbox) -> None:
        """Start listening for ``inbox``'s channels (it is already in ``_by_channel``)."""

    def _detach(self, inbox: Inbox, left: list[tuple[str, Any, Any]]) -> None:  # noqa: B027 - optional hook
        """``inbox`` is closed; ``left`` is what it had not handled yet."""

    def _close_transport(self) -> None:  # noqa: B027 - optional backend hook
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def now() -> float:
    return time.time()
