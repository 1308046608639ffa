"""In-process bus: the same contract as Redis, for single-process runs and where Redis is not
available (Windows without an external server)."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any

from app import events
from app.bus.base import Bus, Inbox, now

#: Messages kept for a durable group while none of its members runs.
GROUP_BACKLOG = 100_000


class MemoryBus(Bus):
    backend = "memory"

    def __init__(self, namespace: str = "live"):
        super().__init__(namespace)
        self._backlog: dict[tuple[str, str], deque] = {}  # (channel, group) -> waiting events
        self._rr = itertools.count()
        self.published = 0
        # The bus clock (ticks, and the watch on held delivery threads); Redis runs it on its loop.
        self._clock_wake = threading.Event()
        self._clock_stop = False
        self.dispatcher.on_timer = self._clock_wake.set
        self._clock = threading.Thread(target=self._run_clock, name="bus-clock", daemon=True)
        self._clock.start()

    def _run_clock(self) -> None:
        while not self._clock_stop:
            delay = self.dispatcher.step()
            self._clock_wake.wait(delay)
            self._clock_wake.clear()

    def publish(self, channel: str, event: Any) -> None:
        self._publish_batch(channel, [event])

    def publish_many(self, items: list[tuple[str, Any]]) -> None:
        """Each inbox gets its share of the batch in one go (one wake-up)."""
        by_channel: dict[str, list[Any]] = {}
        for channel, event in items:
            by_channel.setdefault(channel, []).append(event)
        for channel, batch in by_channel.items():
            self._publish_batch(channel, batch)

    def _publish_batch(self, channel: str, batch: list[Any]) -> None:
        if self._closed:
            return
        self.published += len(batch)
        if channel not in events.DURABLE_CHANNELS:
            for inbox in self._listeners(channel):
                inbox.put_many(channel, [(event, None) for event in batch])
            return
        with self._lock:  # a member joining takes the backlog first, then what follows
            groups: dict[str, list[Inbox]] = {}
            for inbox in self._listeners(channel):
                if inbox.group:
                    groups.setdefault(inbox.group, []).append(inbox)
                else:
                    inbox.put_many(channel, [(event, None) for event in batch])
            for members in groups.values():  # one member of each group gets each event, in turn
                shares: dict[Inbox, list] = {}
                for event in batch:
                    shares.setdefault(members[next(self._rr) % len(members)], []).append((event, None))
                for member, share in shares.items():
                    member.put_many(channel, share)
            for (ch, group), backlog in self._backlog.items():
                if ch == channel and group not in groups:
                    backlog.extend(batch)

    def _indexed(self, inbox: Inbox) -> None:
        if not inbox.group:
            return
        for channel in inbox.channels & events.DURABLE_CHANNELS:
            backlog = self._backlog.setdefault((channel, inbox.group), deque(maxlen=GROUP_BACKLOG))
            if backlog:
                inbox.put_many(channel, [(event, None) for event in backlog])
                backlog.clear()

    def _attach(self, inbox: Inbox) -> None:
        pass  # in process: listening starts when the inbox is indexed

    def _detach(self, inbox: Inbox, left: list[tuple[str, Any, Any]]) -> None:
        """A group member's unhandled messages go to another member, else back to the front of
        the group's backlog: in Redis they would still be pending, never lost."""
        if not inbox.group:
            return
        for channel in inbox.channels & events.DURABLE_CHANNELS:
            mine = [event for ch, event, _tag in left if ch == channel]
            if not mine:
                continue
            others = [i for i in self._listeners(channel) if i.group == inbox.group]
            if others:
                others[0].put_many(channel, [(event, None) for event in mine])
            else:
                with self._lock:
                    self._backlog.setdefault((channel, inbox.group), deque(maxlen=GROUP_BACKLOG)).extendleft(
                        reversed(mine))

    def _close_transport(self) -> None:
        self._clock_stop = True
        self._clock_wake.set()
        if self._clock is not threading.current_thread():
            self._clock.join(2)

    def health(self) -> events.Health:
        return events.Health(component="bus", status="ok", detail="in-process bus",
                             metrics={"published": float(self.published), **self.delivery_metrics()}, ts=now())
