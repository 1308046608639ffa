"""How many seconds of the scheduler's own script are queued ahead of the listener's ear.

Each request counts its synthesised duration once ``SpeechReady`` arrives and a
characters-per-second estimate before that, minus what has been played (tracked from
``PlaybackStarted``/``Resumed``/``Interrupted`` with the injected clock).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from app.events import SpeechRequest


@dataclass
class Outstanding:
    request: SpeechRequest
    estimate_s: float
    duration_s: float | None = None
    played_s: float = 0.0  # played before ``started_at``
    started_at: float | None = None  # clock time playback (re)started; None when not playing
    ever_started: bool = False

    def remaining(self, now: float) -> float:
        total = self.duration_s if self.duration_s is not None else self.estimate_s
        played = self.played_s + (now - self.started_at if self.started_at is not None else 0.0)
        return max(0.0, total - played)


class Lookahead:
    def __init__(self, chars_per_s: float = 4.5):
        self.chars_per_s = chars_per_s
        self.items: OrderedDict[str, Outstanding] = OrderedDict()

    def add(self, request: SpeechRequest) -> None:
        estimate = len(request.text) / self.chars_per_s if self.chars_per_s > 0 else 0.0
        self.items[request.id] = Outstanding(request, estimate)

    def ahead_s(self, now: float) -> float:
        return sum(item.remaining(now) for item in self.items.values())

    def ready(self, req_id: str, duration_s: float) -> None:
        item = self.items.get(req_id)
        if item is not None:
            item.duration_s = duration_s

    def started(self, req_id: str, now: float, start_s: float, duration_s: float) -> None:
        item = self.items.get(req_id)
        if item is not None:
            if item.duration_s is None and duration_s > 0:
                item.duration_s = duration_s
            item.played_s = start_s
            item.started_at = now
            item.ever_started = True

    def stopped(self, req_id: str, position_s: float) -> None:
        item = self.items.get(req_id)
        if item is not None:
            item.played_s = position_s
            item.started_at = None

    def freeze(self, now: float) -> None:
        """Playback paused: stop counting elapsed time."""
        for item in self.items.values():
            if item.started_at is not None:
                item.played_s += now - item.started_at
                item.started_at = None

    def thaw(self, now: float, playing_id: str | None) -> None:
        item = self.items.get(playing_id) if playing_id else None
        if item is not None and item.started_at is None:
            item.started_at = now

    def remove(self, req_id: str) -> Outstanding | None:
        return self.items.pop(req_id, None)

    def ids(self, *, group: str | None = None) -> list[str]:
        return [i for i, it in self.items.items() if group is None or it.request.group == group]

    def __len__(self) -> int:
        return len(self.items)
