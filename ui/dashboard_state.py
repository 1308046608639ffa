"""What the dashboard counts, kept apart from the widgets so it is cheap and easy to test.

``feed(batch)`` takes one bridge batch (any events, in order) and updates counters, the
now-playing item and the latest health per component. Dead air is measured on the GUI's clock:
time with nothing playing while the stream runs and is not paused, from the first playback on.
A player that reports ``dead_air_s`` in its Health metrics wins over the local estimate.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field

from app import events

REPLY_KINDS = frozenset({"reply", "llm"})


@dataclass
class NowPlaying:
    id: str
    kind: str
    text: str
    priority: int
    duration_s: float
    position_s: float = 0.0
    resumed: bool = False


@dataclass
class DashboardState:
    clock: object = time.monotonic
    live_events: int = 0
    gifts: int = 0  # gift units received
    gift_diamonds: int = 0
    replies: int = 0
    interruptions: int = 0
    dropped: Counter = field(default_factory=Counter)  # reason -> count
    health: dict[str, events.Health] = field(default_factory=dict)
    now: NowPlaying | None = None
    running: bool = True
    paused: bool = False
    reported_dead_air: float | None = None
    _dead_air: float = 0.0
    _idle_since: float | None = None
    _started_once: bool = False
    _recent: deque = field(default_factory=deque)  # (t, n) live events per batch, for events/s

    def feed(self, batch: list) -> None:
        now = self.clock()
        n_live = 0
        for ev in batch:
            if isinstance(ev, events.LiveEvent):
                n_live += 1
                if ev.type == "gift" and ev.gift:
                    self.gifts += ev.gift.count
                    self.gift_diamonds += ev.gift.count * ev.gift.diamonds
            elif isinstance(ev, events.PlaybackStarted):
                self.now = NowPlaying(ev.id, ev.kind, ev.text, ev.priority, ev.duration_s,
                                      ev.start_s, ev.resumed)
                if ev.kind in REPLY_KINDS and not ev.resumed:
                    self.replies += 1
                self._end_idle(now)
                self._started_once = True
            elif isinstance(ev, events.PlaybackProgress):
                if self.now and self.now.id == ev.id:
                    self.now.position_s = ev.position_s
                    self.now.duration_s = ev.duration_s or self.now.duration_s
            elif isinstance(ev, (events.PlaybackFinished, events.PlaybackInterrupted)):
                if isinstance(ev, events.PlaybackInterrupted):
                    self.interruptions += 1
                if self.now and self.now.id == ev.id:
                    self.now = None
                    self._idle_since = now
            elif isinstance(ev, events.UtteranceDropped):
                self.dropped[ev.reason] += 1
            elif isinstance(ev, events.Dropped):
                self.dropped[ev.reason] += 1
            elif isinstance(ev, events.Health):
                self.health[ev.component] = ev
                if "dead_air_s" in ev.metrics:
                    self.reported_dead_air = ev.metrics["dead_air_s"]
        self.live_events += n_live
        self._recent.append((now, n_live))
        while self._recent and now - self._recent[0][0] > 5.0:
            self._recent.popleft()

    def _end_idle(self, now: float) -> None:
        if self._idle_since is not None and self.running and not self.paused:
            self._dead_air += now - self._idle_since
        self._idle_since = None

    def set_paused(self, paused: bool) -> None:
        now = self.clock()
        if paused:
            self._end_idle(now)
        elif self.now is None and self._started_once:
            self._idle_since = now
        self.paused = paused

    def events_per_s(self) -> float:
        if not self._recent:
            return 0.0
        now = self.clock()
        span = max(1.0, now - self._recent[0][0])
        return sum(n for _, n in self._recent) / span

    def dead_air_s(self) -> float:
        if self.reported_dead_air is not None:
            return self.reported_dead_air
        extra = 0.0
        if self._idle_since is not None and self.running and not self.paused:
            extra = self.clock() - self._idle_since
        return self._dead_air + extra

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())
