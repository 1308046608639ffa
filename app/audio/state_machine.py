"""The player's decisions, with no I/O: ``handle(event) -> list[action]``.

The player thread feeds what happened (an item became ready, a chunk was written, the item
ended, the sink stopped) and executes the actions returned (play this from there, stop the
current item, publish this event). Everything that decides what is heard — interrupt or not,
where to resume, when a parked item has gone stale, when a filler plays — lives here, so each
transition is a unit test away.

States (design §5):
- IDLE: nothing playing.
- PLAYING: an item plays and no interrupted item is waiting.
- INTERRUPT_DECISION: an item became ready while another plays; deciding (transient).
- INTERRUPTED: an item was cut and waits; the interrupting items play.
- POST_INTERRUPT: the interrupting items are done; a bridge line plays, then the cut item
  resumes from the start of the sentence that was cut (or is dropped if it went stale).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app import events
from app.audio.queue import QueueItem, SpeechQueue

IDLE = "IDLE"
PLAYING = "PLAYING"
INTERRUPT_DECISION = "INTERRUPT_DECISION"
INTERRUPTED = "INTERRUPTED"
POST_INTERRUPT = "POST_INTERRUPT"

#: Kinds that are never resumed after a cut: they only exist to fill a moment.
NOT_RESUMABLE = frozenset({"filler", "bridge"})


@dataclass(frozen=True)
class Thresholds:
    """Interrupt when ``current.priority - new.priority >= gap``; once the current item is more
    than ``late_fraction`` played the gap must be ``>= late_gap`` (finishing is cheaper than
    cutting a nearly complete sentence)."""

    gap: int = 5
    late_gap: int = 8
    late_fraction: float = 0.85


DEFAULT_THRESHOLDS = Thresholds()


def should_interrupt(current_priority: int, new_priority: int, played_fraction: float,
                     thresholds: Thresholds = DEFAULT_THRESHOLDS) -> bool:
    needed = thresholds.late_gap if played_fraction > thresholds.late_fraction else thresholds.gap
    return current_priority - new_priority >= needed


def cut_sentence(sentence_starts: Iterable[float], position_s: float) -> tuple[int, float]:
    """(index, start) of the sentence playing at ``position_s``: where a resume begins."""
    starts = sorted(sentence_starts) or [0.0]
    index = max(0, bisect.bisect_right(starts, position_s + 1e-9) - 1)
    return index, starts[index]


# ---- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemReady:
    id: str


@dataclass(frozen=True)
class Progress:
    position_s: float  # played position within the current item's audio


@dataclass(frozen=True)
class Finished:
    """The current item's last sample was written."""


@dataclass(frozen=True)
class Stopped:
    """The player executed ``StopCurrent``; ``position_s`` is what was really played."""

    position_s: float


@dataclass(frozen=True)
class Dry:
    """Idle for longer than the gap with nothing ready: a filler may play."""


@dataclass(frozen=True)
class Tick:
    """Periodic: drop items whose deadline passed while they waited."""


@dataclass(frozen=True)
class SkipCurrent:
    pass


@dataclass(frozen=True)
class Cancel:
    ids: tuple[str, ...]
    reason: str = "cancelled"


@dataclass(frozen=True)
class PauseCmd:
    pass


@dataclass(frozen=True)
class ResumeCmd:
    pass


# ---- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    item: QueueItem
    start_s: float = 0.0
    resumed: bool = False
    after_gap: bool = True  # False on an interrupt: the urgent item starts at once
    continuation: bool = False  # after a pause: same playback, no new "started"


@dataclass(frozen=True)
class StopCurrent:
    reason: str  # interrupt | skip | cancel | pause
    by_id: str | None = None


@dataclass(frozen=True)
class Ended:
    """The current item stopped sounding (for the report)."""

    item: QueueItem
    interrupted: bool


@dataclass(frozen=True)
class Drop:
    item: QueueItem
    reason: str


@dataclass(frozen=True)
class Emit:
    event: object


@dataclass(frozen=True)
class Idle:
    """Nothing to play: the player waits (gap, then Dry)."""


class PlayerStateMachine:
    def __init__(self, queue: SpeechQueue, thresholds: Thresholds = DEFAULT_THRESHOLDS, *,
                 filler_source: Callable[[], QueueItem | None] = lambda: None,
                 bridge_source: Callable[[], QueueItem | None] = lambda: None,
                 bridges: bool = True):
        self.queue = queue
        self.thresholds = thresholds
        self.filler_source = filler_source
        self.bridge_source = bridge_source
        self.bridges = bridges
        self.state: str = IDLE
        self.current: QueueItem | None = None
        self.position_s = 0.0
        self.paused = False
        self._stop: StopCurrent | None = None
        self._after_bridge: QueueItem | None = None
        self.interrupts = 0  # cuts of resumable items
        self.filler_cuts = 0
        self.resumes = 0
        self.dropped_after_interrupt = 0

    # ---- entry point -----------------------------------------------------------------------

    def handle(self, event: object) -> list:
        method = getattr(self, "_on_" + type(event).__name__, None)
        if method is None:
            raise TypeError(f"the player state machine does not handle {type(event).__name__}")
        return method(event)

    @property
    def stopping(self) -> bool:
        return self._stop is not None

    # ---- handlers --------------------------------------------------------------------------

    def _on_ItemReady(self, ev: ItemReady) -> list:
        item = self.queue.get(ev.id)
        if item is None or not item.is_ready or self.paused or self._stop is not None:
            return []  # decided later: when the pause ends or the pending stop completes
        if self.current is None:
            return self._start_next(after_gap=True)
        back_to = self.state
        out = self._set_state(INTERRUPT_DECISION)
        current_priority = self._current_priority()
        if item.force or should_interrupt(current_priority, item.priority, self._played_fraction(),
                                          self.thresholds):
            self._stop = StopCurrent("interrupt", by_id=item.id)
            return out + self._set_state(INTERRUPTED) + [self._stop]
        if item.priority < current_priority or self._would_cut_parked(item):
            # More urgent, not enough to cut: it plays next, and before any parked item it
            # would have cut (the parked item resumes after everything that outranks it).
            self.queue.insert_next(item.id)
        return out + self._set_state(back_to)

    def _on_Progress(self, ev: Progress) -> list:
        self.position_s = ev.position_s
        return []

    def _on_Finished(self, ev: Finished) -> list:
        item = self.current
        if item is None:
            return []
        self.current = None
        out: list = [Ended(item, interrupted=False), Emit(events.PlaybackFinished(id=item.id))]
        if self._after_bridge is not None:
            return out + self._resume(self._pop_after_bridge())
        return out + self._start_next(after_gap=True)

    def _on_Stopped(self, ev: Stopped) -> list:
        stop, self._stop = self._stop, None
        item = self.current
        if stop is None or item is None:
            return []
        self.position_s = ev.position_s
        if stop.reason == "pause":
            return []  # stays current, continues from position_s on resume
        self.current = None
        out: list = [Ended(item, interrupted=True)]
        if stop.reason == "interrupt":
            out += self._cut(item, ev.position_s, stop.by_id or "")
            urgent = self.queue.get(stop.by_id or "")
            if urgent is not None and urgent.is_ready:
                self.queue.remove(urgent.id)
                return out + self._play(urgent, after_gap=False)
            return out + self._start_next(after_gap=False)
        # skip / cancel: the item is not resumed
        reason = "skipped by operator" if stop.reason == "skip" else "cancelled"
        if item.request.kind not in NOT_RESUMABLE or stop.reason == "cancel":
            out.append(Drop(item, reason))
            out.append(Emit(events.UtteranceDropped(id=item.id, reason=reason)))
        if self._after_bridge is not None:
            return out + self._resume(self._pop_after_bridge())
        return out + self._start_next(after_gap=True)

    def _on_Dry(self, ev: Dry) -> list:
        if self.current is not None or self.paused or self._stop is not None:
            return []
        if self.queue.has_ready():
            return self._start_next(after_gap=False)
        filler = self.filler_source()
        if filler is None:
            return []
        return self._play(filler, after_gap=False)

    def _on_Tick(self, ev: Tick) -> list:
        return self._drops(self.queue.purge_stale())

    def _on_SkipCurrent(self, ev: SkipCurrent) -> list:
        if self.current is None or self._stop is not None:
            return []
        if self.paused:  # nothing is sounding: finish the bookkeeping at once
            self._stop = StopCurrent("skip")
            return self._on_Stopped(Stopped(self.position_s))
        self._stop = StopCurrent("skip")
        return [self._stop]

    def _on_Cancel(self, ev: Cancel) -> list:
        out: list = []
        for item_id in ev.ids:
            item = self.queue.remove(item_id)
            if item is not None:
                out += self._drop(item, ev.reason)
        if self._after_bridge is not None and self._after_bridge.id in ev.ids:
            out += self._drop(self._pop_after_bridge(), ev.reason)
        if self.current is not None and self.current.id in ev.ids and self._stop is None:
            self._stop = StopCurrent("cancel")
            if self.paused:
                return out + self._on_Stopped(Stopped(self.position_s))
            out.append(self._stop)
        return out

    def _on_PauseCmd(self, ev: PauseCmd) -> list:
        if self.paused:
            return []
        self.paused = True
        if self.current is not None and self._stop is None:
            self._stop = StopCurrent("pause")
            return [self._stop]
        return []

    def _on_ResumeCmd(self, ev: ResumeCmd) -> list:
        if not self.paused:
            return []
        self.paused = False
        item = self.current
        if item is None:
            return self._start_next(after_gap=False)
        waiting = self.queue.peek_next()
        if waiting is not None and (waiting.force or should_interrupt(
                self._current_priority(), waiting.priority, self._played_fraction(), self.thresholds)):
            self._stop = StopCurrent("interrupt", by_id=waiting.id)
            return self._set_state(INTERRUPTED) + self._on_Stopped(Stopped(self.position_s))
        return [Play(item, start_s=self.position_s, resumed=False, after_gap=False, continuation=True)]

    # ---- helpers ---------------------------------------------------------------------------

    def _start_next(self, *, after_gap: bool) -> list:
        if self.paused:
            return []
        out: list = []
        while True:
            item, dropped = self.queue.pop_next()
            out += self._drops(dropped)
            if item is None:
                self.current = None
                return out + self._set_state(IDLE) + [Idle()]
            if not item.interrupted:
                return out + self._play(item, after_gap=after_gap)
            out += self._set_state(POST_INTERRUPT)
            bridge = self.bridge_source() if self.bridges else None
            if bridge is not None:
                self._after_bridge = item
                return out + self._play(bridge, after_gap=after_gap, state=POST_INTERRUPT)
            return out + self._resume(item, after_gap=after_gap)

    def _resume(self, item: QueueItem | None, after_gap: bool = True) -> list:
        if item is None:
            return self._start_next(after_gap=after_gap)
        reason = self.queue.stale_reason(item)
        if reason:
            self.dropped_after_interrupt += 1
            return self._drop(item, reason) + self._start_next(after_gap=after_gap)
        self.resumes += 1
        out = [Emit(events.PlaybackResumed(id=item.id, sentence_index=item.resume_index,
                                           position_s=item.resume_s))]
        return out + self._play(item, start_s=item.resume_s, resumed=True, after_gap=after_gap)

    def _play(self, item: QueueItem, *, start_s: float = 0.0, resumed: bool = False,
              after_gap: bool = True, state: str | None = None) -> list:
        self.current = item
        self.position_s = start_s
        ready = item.ready
        started = events.PlaybackStarted(
            id=item.id, kind=item.request.kind, text=item.request.text, priority=item.priority,
            duration_s=round(item.duration_s, 3), route=ready.route if ready else "",
            resumed=resumed, start_s=start_s)
        if state is None:
            state = INTERRUPTED if self._has_parked() else PLAYING
        return self._set_state(state) + [Emit(started),
                                         Play(item, start_s=start_s, resumed=resumed, after_gap=after_gap)]

    def _cut(self, item: QueueItem, position_s: float, by_id: str) -> list:
        """Record the cut and park the item (or what the bridge was leading into)."""
        starts = item.ready.sentence_starts if item.ready else (0.0,)
        index, resume_at = cut_sentence(starts, position_s)
        out: list = [Emit(events.PlaybackInterrupted(id=item.id, position_s=round(position_s, 3),
                                                     sentence_index=index, by_id=by_id))]
        if item.request.kind in NOT_RESUMABLE:
            self.filler_cuts += 1
            held = self._pop_after_bridge()
            if held is not None:  # the bridge was cut: its item goes back, as it was parked
                self.queue.park(held, held.resume_s, held.resume_index, keep_age=True)
            return out
        self.interrupts += 1
        reason = self.queue.stale_reason(item)
        if reason:
            self.dropped_after_interrupt += 1
            return out + self._drop(item, reason)
        self.queue.park(item, resume_at, index, keep_age=item.interrupted)
        return out

    def _pop_after_bridge(self) -> QueueItem | None:
        item, self._after_bridge = self._after_bridge, None
        return item

    def _drop(self, item: QueueItem, reason: str) -> list:
        return [Drop(item, reason), Emit(events.UtteranceDropped(id=item.id, reason=reason))]

    def _drops(self, dropped: list[tuple[QueueItem, str]]) -> list:
        out: list = []
        for item, reason in dropped:
            if item.interrupted:
                self.dropped_after_interrupt += 1
            out += self._drop(item, reason)
        return out

    def _would_cut_parked(self, item: QueueItem) -> bool:
        parked = [i for i in self.queue.ordered() if i.interrupted]
        if self._after_bridge is not None:
            parked.append(self._after_bridge)
        return any(should_interrupt(p.priority, item.priority,
                                    p.resume_s / p.duration_s if p.duration_s else 0.0, self.thresholds)
                   for p in parked)

    def _has_parked(self) -> bool:
        return self._after_bridge is not None or any(i.interrupted for i in self.queue.ordered())

    def _current_priority(self) -> int:
        if self._after_bridge is not None:  # a bridge stands for the item it leads into
            return self._after_bridge.priority
        return self.current.priority if self.current is not None else 0

    def _played_fraction(self) -> float:
        duration = self.current.duration_s if self.current is not None else 0.0
        return self.position_s / duration if duration > 0 else 0.0

    def _set_state(self, state: str) -> list:
        if state == self.state:
            return []
        previous, self.state = self.state, state
        return [Emit(events.PlayerStateChanged(state=state, previous=previous))]
