"""Request pacing: requests per minute, concurrent requests, and retry backoff.

Waiting is always bounded (a deadline) and interruptible (a cancel event), because a viewer's
question that waits too long is not worth answering any more.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

_POLL = 0.02  # how often a wait looks at its cancel event


@dataclass(frozen=True)
class RetryPolicy:
    """Retries only for retryable errors (429, 5xx, connection), before any text arrived."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25  # fraction of the delay removed at random, so clients spread out

    def delay(self, retry: int, rng: Callable[[], float] = random.random) -> float:
        d = min(self.base_delay * (2 ** retry), self.max_delay)
        return d * (1.0 - self.jitter * rng())


class WaitAborted(Exception):
    """A bounded wait ended without the resource: ``reason`` is "cancelled" or "deadline"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sleep_until(deadline: float, cancel: threading.Event | None, clock=time.monotonic) -> None:
    """Sleep to ``deadline`` (clock seconds); raises WaitAborted("cancelled") if cancelled."""
    while True:
        left = deadline - clock()
        if left <= 0:
            return
        if cancel is not None:
            if cancel.wait(min(left, 0.25)):
                raise WaitAborted("cancelled")
        else:
            time.sleep(min(left, 0.25))


class RateLimiter:
    """At most ``per_window`` request starts in any ``window`` seconds (sliding window).
    ``per_window <= 0`` means unlimited."""

    def __init__(self, per_window: int, window: float = 60.0, clock=time.monotonic):
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self, *, deadline: float, cancel: threading.Event | None = None) -> float:
        """Take a slot, waiting if needed. Returns seconds waited. Raises WaitAborted."""
        if self.per_window <= 0:
            return 0.0
        began = self._clock()
        while True:
            with self._lock:
                now = self._clock()
                while self._starts and now - self._starts[0] >= self.window:
                    self._starts.popleft()
                if len(self._starts) < self.per_window:
                    self._starts.append(now)
                    return now - began
                free_at = self._starts[0] + self.window
            if free_at > deadline:
                raise WaitAborted("deadline")
            sleep_until(min(free_at, now + _POLL * 10), cancel, self._clock)


class ConcurrencyLimit:
    """At most ``limit`` requests in flight; ``limit <= 0`` means unlimited."""

    def __init__(self, limit: int, clock=time.monotonic):
        self.limit = limit
        self._clock = clock
        self._sem = threading.BoundedSemaphore(limit) if limit > 0 else None
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def acquire(self, *, deadline: float, cancel: threading.Event | None = None) -> None:
        if self._sem is not None:
            while not self._sem.acquire(timeout=_POLL):
                if cancel is not None and cancel.is_set():
                    raise WaitAborted("cancelled")
                if self._clock() >= deadline:
                    raise WaitAborted("deadline")
        with self._lock:
            self._in_flight += 1

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1
        if self._sem is not None:
            self._sem.release()
