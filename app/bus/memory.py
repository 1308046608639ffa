"""In-process bus: the same contract as Redis, for single-process runs and where Redis is not
available (Windows without an external server)."""

from __future__ import annotations

import itertools
from collections import deque
from typing import Any

from app import events
from app.bus.base import Bus, Handler, Subscription, now

#: Messages kept for a durable group while none of its consumers runs.
GROUP_BACKLOG = 100_000


class MemoryBus(Bus):
    backend = "memory"

    def __init__(self, namespace: str = "live"):
        super().__init__(namespace)
        self._backlog: dict[tuple[str, str], deque] = {}  # (channel, group) -> waiting events
        self._rr = itertools.count()
        self.published = 0

    def publish(self, channel: str, event: Any) -> None:
        self._publish_batch(channel, [event])

    def publish_many(self, items: list[tuple[str, Any]]) -> None:
        """Each subscriber gets its share of the batch as one queue entry (one wake-up)."""
        by_channel: dict[str, list[Any]] = {}
        for channel, event in items:
            by_channel.setdefault(channel, []).append(event)
        for channel, batch in by_channel.items():
            self._publish_batch(channel, batch)

    def _publish_batch(self, channel: str, batch: list[Any]) -> None:
        if self._closed:
            return
        self.published += len(batch)
        durable = channel in events.DURABLE_CHANNELS
        groups: dict[str, list[Subscription]] = {}
        for sub in self._subscribers(channel):
            if sub.group and durable:
                groups.setdefault(sub.group, []).append(sub)
            else:
                sub.put_many([(event, None) for event in batch])
        for members in groups.values():  # one member of each group gets each event, in turn
            shares: dict[Subscription, list] = {}
            for event in batch:
                shares.setdefault(members[next(self._rr) % len(members)], []).append((event, None))
            for member, share in shares.items():
                member.put_many(share)
        if durable:
            with self._lock:
                for (ch, group), backlog in self._backlog.items():
                    if ch == channel and group not in groups:
                        backlog.extend(batch)

    def subscribe(self, channel: str, handler: Handler, *, group: str | None = None) -> Subscription:
        sub = self._add(Subscription(channel, handler, group=group))
        if group and channel in events.DURABLE_CHANNELS:
            with self._lock:
                backlog = self._backlog.setdefault((channel, group), deque(maxlen=GROUP_BACKLOG))
                while backlog:
                    sub.put(backlog.popleft())
        return sub

    def health(self) -> events.Health:
        return events.Health(component="bus", status="ok", detail="in-process bus",
                             metrics={"published": float(self.published),
                                      "subscribers": float(len(self._subs))}, ts=now())
