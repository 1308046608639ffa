"""Shared pieces of the live-feed tests: generated frames and a bus collector."""

from __future__ import annotations

import threading
import time

from app.bus.memory import MemoryBus
from app.events import LIVE_CHANNELS, Channel, Health
from app.live.recording import RecordedFrame
from tests.standins.dybarrage import Room, Viewer

ROOM = Room()
VIEWERS = [Viewer(id=100 + i, nickname=f"观众{i}") for i in range(10)]


def mixed_frames(n: int, *, first_id: int = 7_400_000_000_000_000_000, step_s: float | None = None,
                 kinds: str = "cgle") -> list[RecordedFrame]:
    """n frames cycling through comment/gift/like/enter, unique MsgIds, optional pacing."""
    out = []
    for i in range(n):
        msg_id, v, kind = first_id + i, VIEWERS[i % len(VIEWERS)], kinds[i % len(kinds)]
        if kind == "c":
            frame = ROOM.comment(msg_id, v, f"第{i}条 多少钱")
        elif kind == "g":
            frame = ROOM.gift(msg_id, v, gift_id=463, name="玫瑰", diamonds=1, increment=1, repeat=1)
        elif kind == "l":
            frame = ROOM.like(msg_id, v, 3, 100 + i)
        elif kind == "f":
            frame = ROOM.follow(msg_id, v)
        else:
            frame = ROOM.enter(msg_id, v, 500 + i)
        out.append(RecordedFrame(i + 1, None if step_s is None else i * step_s, frame))
    return out


class Collector:
    """Subscribes to both live channels (and system) of a MemoryBus and records what arrives."""

    def __init__(self, bus: MemoryBus):
        self.events: list = []
        self.system: list = []  # everything on the system channel, in order
        self._lock = threading.Lock()
        for ch in LIVE_CHANNELS:
            bus.subscribe(ch, self._add)
        bus.subscribe(Channel.SYSTEM, self.system.append)

    @property
    def health(self) -> list:
        return [e for e in self.system if isinstance(e, Health)]

    def of(self, cls) -> list:
        return [e for e in self.system if isinstance(e, cls)]

    def _add(self, event) -> None:
        with self._lock:
            self.events.append(event)

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    @property
    def msg_ids(self) -> list[str]:
        return [e.msg_id for e in self.events]


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
