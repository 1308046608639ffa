"""Time in tests: a clock the test moves by hand, and the one way to wait for something another
thread does (a condition, with a deadline; never a bare sleep that hopes the thread was quick)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class HandClock:
    """A clock (``clock()`` → seconds) that moves only when the test calls ``advance``; safe to
    read from the threads of the code under test."""

    def __init__(self, start: float = 1000.0):
        self._t = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._t

    @property
    def t(self) -> float:
        return self()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += seconds


def wait_until(condition: Callable[[], object], timeout: float = 5.0, what: str = "the condition") -> None:
    """Return as soon as ``condition()`` is true; fail after ``timeout`` real seconds."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)
