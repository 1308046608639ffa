"""What the dashboard counts, kept apart from the widgets so it is cheap and easy to test.

``feed(batch)`` takes one bridge batch (any events, in order) and updates counters, the
now-playing item, the latest health per component, the viewers' questions, the product on air
and the airtime split. Dead air is the player's own figure (``dead_air_s`` in its ``audio``
Health, once a second): only the player can hear the gaps, and it may run in another process.

After 停止 (``set_running(False)``) nothing plays: the now-playing item is cleared, the event
rate drops to 0, and late player events of the stopped run (still in the bridge) are ignored
until the next 开播, which starts every count from zero.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field

from app import events
from app.recent import Recent
from app.store.labels import drop_reason_zh

QUESTIONS_KEPT = 500
#: Events of the player that say something is playing; ignored once the run is stopped.
_PLAYING_EVENTS = (events.PlaybackStarted, events.PlaybackProgress, events.QueueSnapshot, events.ProductOnAir,
                   events.AirtimeReport)


@dataclass
class NowPlaying:
    id: str
    kind: str
    text: str
    priority: int
    duration_s: float
    position_s: float = 0.0
    resumed: bool = False
    viewer: str = ""  # who it answers or thanks
    comment: str = ""  # what they said

    @classmethod
    def of(cls, ev: events.PlaybackStarted) -> NowPlaying:
        """From the start event and the utterance's record on it (who it is for)."""
        u = ev.utterance
        return cls(ev.id, ev.kind, ev.text, ev.priority, ev.duration_s, ev.start_s, ev.resumed,
                   viewer=u.viewer if u else "", comment=u.comment if u else "")


@dataclass
class DashboardState:
    clock: object = time.monotonic
    live_events: int = 0
    gifts: int = 0  # gift units received
    gift_diamonds: int = 0
    replies: int = 0
    interruptions: int = 0
    dropped: Counter = field(default_factory=Counter)  # Chinese reason -> count
    health: dict[str, events.Health] = field(default_factory=dict)
    now: NowPlaying | None = None
    questions: Recent[str, events.QuestionStatus] = field(  # msg_id -> QuestionStatus, oldest first
        default_factory=lambda: Recent(QUESTIONS_KEPT))
    on_air: events.ProductOnAir | None = None
    airtime: events.AirtimeReport | None = None
    live_ended: events.LiveEnded | None = None
    stopped: bool = False  # 停止 was pressed: nothing plays until the next 开播
    running: bool = False  # between 开播 and 停止
    _recent: deque = field(default_factory=deque)  # (t, n) live events per batch, for events/s

    def set_running(self, running: bool) -> None:
        if running:
            if not self.running:  # a new run: every count starts again (what the last one had is in its review)
                self._reset_run()
            self.running = True
            self.stopped = False
            return
        self.running = False
        self.stopped = True
        self.now = None
        self.on_air = None  # nothing is being sold once the room is stopped
        self.health.pop("audio", None)  # its "播放中" was the stopped player's last word
        self._recent.clear()  # no events come in while stopped: 0 per second

    def _reset_run(self) -> None:
        self.live_events = self.gifts = self.gift_diamonds = self.replies = self.interruptions = 0
        self.dropped.clear()
        self.questions.clear()
        self.airtime = None
        self.live_ended = None
        self._recent.clear()

    def feed(self, batch: list) -> None:
        now = self.clock()
        n_live = 0
        for ev in batch:
            if self.stopped and (isinstance(ev, _PLAYING_EVENTS)
                                 or isinstance(ev, events.Health) and ev.component == "audio"):
                continue
            if isinstance(ev, events.LiveEvent):
                n_live += 1
                if ev.type == "gift" and ev.gift:
                    self.gifts += ev.gift.count
                    self.gift_diamonds += ev.gift.count * ev.gift.diamonds
            elif isinstance(ev, events.PlaybackStarted):
                self.now = NowPlaying.of(ev)
                if ev.kind in events.REPLY_KINDS and not ev.resumed:
                    self.replies += 1
            elif isinstance(ev, events.PlaybackProgress):
                if self.now and self.now.id == ev.id:
                    self.now.position_s = ev.position_s
                    self.now.duration_s = ev.duration_s or self.now.duration_s
            elif isinstance(ev, (events.PlaybackFinished, events.PlaybackInterrupted)):
                if isinstance(ev, events.PlaybackInterrupted):
                    self.interruptions += 1
                if self.now and self.now.id == ev.id:
                    self.now = None
            elif isinstance(ev, (events.UtteranceDropped, events.Dropped)):
                self.dropped[drop_reason_zh(ev.reason)] += 1
            elif isinstance(ev, events.Health):
                self.health[ev.component] = ev
            elif isinstance(ev, events.QuestionStatus):
                self.questions[ev.msg_id] = ev
            elif isinstance(ev, events.ProductOnAir):
                self.on_air = ev
            elif isinstance(ev, events.AirtimeReport):
                self.airtime = ev
            elif isinstance(ev, events.LiveEnded):
                self.live_ended = ev
                self.now = None
        self.live_events += n_live
        if self.stopped:  # the stopped run's last events still in the bridge: not a rate any more
            return
        self._recent.append((now, n_live))
        while self._recent and now - self._recent[0][0] > 5.0:
            self._recent.popleft()

    def events_per_s(self) -> float:
        if not self._recent:
            return 0.0
        now = self.clock()
        span = max(1.0, now - self._recent[0][0])
        return sum(n for _, n in self._recent) / span

    def dead_air_s(self) -> float | None:
        """Seconds of dead air so far, as the player reported it; None before its first report."""
        audio = self.health.get("audio")
        return audio.metrics.get("dead_air_s") if audio else None

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def question_counts(self) -> Counter:
        return Counter(q.state for q in self.questions.values())
