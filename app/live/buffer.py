"""The bounded hand-over between the socket reader (asyncio thread) and the bus publisher thread.

Under a flood the buffer fills. Low-value events (likes, entries) are refused once it is
``shed_at`` full, so there is always room left for the events that matter; those (gifts,
follows, comments, …) are never refused: when the buffer is completely full the reader waits
(``put`` returns False and the reader retries), which stops reading the socket and pushes the
backlog back into TCP instead of into memory.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from app.events import LiveEvent

#: Event types the listener may drop under a flood (counted, never silently).
SHEDDABLE = frozenset({"like", "enter"})


class SheddingBuffer:
    def __init__(self, capacity: int = 10_000, shed_at: float = 0.5):
        if capacity < 2:
            raise ValueError(f"buffer capacity must be at least 2, got {capacity}")
        self.capacity = capacity
        self.shed_limit = max(1, int(capacity * shed_at))
        self._items: deque = deque()
        self._cond = threading.Condition()
        self.shed: dict[str, int] = {}
        self.high_water = 0
        self._closed = False

    def offer(self, event: LiveEvent) -> bool:
        """Add ``event``. Returns False when the buffer is full and ``event`` must not be shed:
        the caller keeps it and offers it again later. A sheddable event is always "taken"
        (queued or counted as shed)."""
        with self._cond:
            n = len(self._items)
            if event.type in SHEDDABLE and n >= self.shed_limit:
                self.shed[event.type] = self.shed.get(event.type, 0) + 1
                return True
            if n >= self.capacity:
                return False
            self._items.append(event)
            if n + 1 > self.high_water:
                self.high_water = n + 1
            if n == 0:
                self._cond.notify()
            return True

    def take(self, timeout: float) -> list[Any]:
        """Everything queued (oldest first), waiting up to ``timeout`` for the first item."""
        with self._cond:
            if not self._items and not self._closed:
                self._cond.wait(timeout)
            items = list(self._items)
            self._items.clear()
            return items

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def shed_total(self) -> int:
        return sum(self.shed.values())
