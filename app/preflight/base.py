"""The result of one pre-flight check, and the helpers every check shares."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

Status = Literal["ok", "warn", "fail"]
OK: Status = "ok"
WARN: Status = "warn"
FAIL: Status = "fail"
#: How a status reads in the checklist and in the log.
STATUS_ZH = {OK: "通过", WARN: "注意", FAIL: "未通过"}

T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    key: str  # stable identifier: config, feed, voice, fallback, llm, products, audio
    title: str  # what is checked, in Chinese
    status: Status
    detail: str  # what was found, in Chinese
    fix: str = ""  # what to do about it, in Chinese ("" when nothing is needed)

    @property
    def failed(self) -> bool:
        return self.status == FAIL


class TimedOut(Exception):
    pass


def within(seconds: float, fn: Callable[[], T], name: str = "preflight") -> T:
    """``fn()`` on a daemon thread, waited for at most ``seconds``: a call that hangs (a driver,
    a socket without its own timeout) cannot hold the pre-flight. Its exception is re-raised;
    past the deadline ``TimedOut`` is raised and the thread is left to finish on its own."""
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    t = threading.Thread(target=run, name=name, daemon=True)
    t.start()
    t.join(max(0.0, seconds))
    if t.is_alive():
        raise TimedOut(f"{seconds:g} 秒内没有结果")
    if "error" in box:
        raise box["error"]
    return box["value"]


class Budget:
    """What is left of one check's deadline."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.end = clock() + seconds

    def left(self, floor: float = 0.0) -> float:
        return max(floor, self.end - self._clock())
