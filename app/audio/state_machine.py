"""The player's decisions, with no I/O: ``handle(event) -> list[action]``.

The player thread feeds what happened (an item became ready, a chunk was written, the item
ended, the sink stopped) and executes the actions returned (play this from there, stop the
current item now or at a sentence end, publish this event). *What* plays next and *where* a cut
falls are the director's (``app.director``); this machine applies them and keeps the books:
interrupt, park, bridge, resume, drop. It sets the state of the utterances' records
(``app.audio.utterance``: playing, parked, finished, dropped with the reason) as it decides, and
its ``Emit`` actions name the record so the player attaches the record's view when publishing.

States (design §5):
- IDLE: nothing playing.
- PLAYING: an item plays and no interrupted item is waiting.
- INTERRUPT_DECISION: an item became ready while another plays; deciding (transient).
- INTERRUPTED: an item was cut and waits; the interrupting items play.
- POST_INTERRUPT: a bridge line plays before a script that was broken off continues.

Cuts (design §5a): a "hard" cut (urgent items) stops within one chunk and the cut item resumes
at the start of the cut sentence; a "soft" cut stops at the end of the playing sentence and the
item resumes at the next one. A script segment broken off by interactions (cut, or left
between two sentences) continues after them, led in by a bridge line; the machine counts every
broken segment as resumed or not, and why.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app import events
from app.audio.queue import SpeechQueue
from app.audio.utterance import Utterance
from app.director import SCRIPT, Airtime, Director, air_class
from app.text.sentences import CLAUSE_BREAKS
from app.utterance import named_by

IDLE = "IDLE"
PLAYING = "PLAYING"
INTERRUPT_DECISION = "INTERRUPT_DECISION"
INTERRUPTED = "INTERRUPTED"
POST_INTERRUPT = "POST_INTERRUPT"


#: A bridge line leads back into the script after an interruption this long, at most this often.
BRIDGE_AFTER_S = 10.0
BRIDGE_EVERY_S = 45.0

#: Why a broken script segment did not continue, in the operator's words (the report).
NOT_RESUMED_ZH = {"switch": "换了商品", "skip": "运营跳过", "cleared": "运营清空队列",
                  "live_end": "已下播", "stale": "等待过久", "failed": "语音合成失败"}


@dataclass(frozen=True)
class Thresholds:
    """Interrupt when ``current.priority - new.priority >= gap``; once the current item is more
    than ``late_fraction`` played the gap must be ``>= late_gap`` (finishing is cheaper than
    cutting a nearly complete sentence)."""

    interrupt_gap: int = 5
    late_interrupt_gap: int = 8
    late_fraction: float = 0.85


DEFAULT_THRESHOLDS = Thresholds()


def cut_sentence(sentence_starts: Iterable[float], position_s: float) -> tuple[int, float]:
    """(index, start) of the sentence playing at ``position_s``: where a resume begins."""
    starts = sorted(sentence_starts) or [0.0]
    index = max(0, bisect.bisect_right(starts, position_s + 1e-9) - 1)
    return index, starts[index]


def next_sentence(sentence_starts: Iterable[float], position_s: float) -> float | None:
    """Where the sentence after the one playing at ``position_s`` begins (None: it is the last)."""
    for start in sorted(sentence_starts):
        if start > position_s + 1e-6:
            return start
    return None


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


@dataclass(frozen=True)
class EndLive:
    """Our room's live ended: silence now, drop everything, take nothing more."""


# ---- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    item: Utterance
    start_s: float = 0.0
    resumed: bool = False
    after_gap: bool = True  # False on an interrupt: the urgent item starts at once
    continuation: bool = False  # after a pause: same playback, no new "started"
    clause: bool = False  # the next clause of the same sentence: a comma's pause, not a sentence's


@dataclass(frozen=True)
class StopCurrent:
    reason: str  # interrupt | skip | cancel | pause | live_end
    by_id: str | None = None
    at_s: float | None = None  # a soft cut: stop when the audio reaches this position


@dataclass(frozen=True)
class Ended:
    """The current item stopped sounding (for the report)."""

    item: Utterance
    interrupted: bool


@dataclass(frozen=True)
class Drop:
    item: Utterance
    reason: str


@dataclass(frozen=True)
class Emit:
    """Publish ``event``; with ``item``, the player attaches the record's view as it is when
    published (``utterance=``)."""

    event: object
    item: Utterance | None = None


@dataclass(frozen=True)
class Idle:
    """Nothing to play: the player waits (gap, then Dry)."""


class PlayerStateMachine:
    def __init__(self, queue: SpeechQueue, thresholds: Thresholds = DEFAULT_THRESHOLDS, *,
                 director: Director | None = None,
                 filler_source: Callable[[], Utterance | None] = lambda: None,
                 bridge_source: Callable[[], Utterance | None] = lambda: None,
                 bridges: bool = True):
        self.queue = queue
        self.thresholds = thresholds
        self.director = director or Director(airtime=Airtime(queue.clock()))
        self.filler_source = filler_source
        self.bridge_source = bridge_source
        self.bridges = bridges
        self.state: str = IDLE
        self.current: Utterance | None = None
        self.position_s = 0.0
        self.paused = False
        self.ended = False
        self._stop: StopCurrent | None = None
        self._after_bridge: Utterance | None = None
        self._last_script_group: str | None = None
        self._previous: Utterance | None = None  # what finished last
        self._broken: dict[str, float] = {}  # script segment broken off, to continue -> when
        self._last_bridge_at: float | None = None
        self._announced: set[str] = set()  # ids the TTS stage was told the player needs now
        self.interrupts = 0  # cuts of resumable items
        self.filler_cuts = 0
        self.resumes = 0
        self.dropped_after_interrupt = 0
        self.script_breaks = {"soft": 0, "hard": 0}
        self.script_resumed = 0
        self.script_not_resumed: list[dict[str, str]] = []

    # ---- entry point -----------------------------------------------------------------------

    def handle(self, event: object) -> list:
        method = getattr(self, "_on_" + type(event).__name__, None)
        if method is None:
            raise TypeError(f"the player state machine does not handle {type(event).__name__}")
        return method(event)

    @property
    def stopping(self) -> bool:
        return self._stop is not None

    @property
    def broken_segments(self) -> int:
        """Script segments broken off that have not continued yet."""
        return len(self._broken)

    def now(self) -> float:
        return self.queue.clock()

    def order_key(self, item: Utterance) -> tuple:
        """The director's order, for showing the queue as it will play."""
        return self.director.key(item, self.now(), open_group=self._open_group())

    # ---- handlers --------------------------------------------------------------------------

    def _on_ItemReady(self, ev: ItemReady) -> list:
        item = self.queue.get(ev.id)
        if item is None or not item.is_ready or self.paused or self.ended:
            return []  # decided later: when the pause ends
        if self.current is None:
            if self._stop is not None:
                return []
            return self._start_next(after_gap=True)
        if self._stop is not None:
            return self._maybe_harden(item)
        back_to = self.state
        out = self._set_state(INTERRUPT_DECISION)
        cut = self.director.cut(self.current, item, self._played_fraction(), self._current_priority_override(),
                                gap=self.thresholds.interrupt_gap, late_gap=self.thresholds.late_interrupt_gap,
                                late_fraction=self.thresholds.late_fraction)
        if cut == "hard":
            self._stop = StopCurrent("interrupt", by_id=item.id)
            return out + self._set_state(INTERRUPTED) + [self._stop]
        if cut == "soft":
            boundary = self._next_boundary()
            if boundary is not None:
                self._stop = StopCurrent("interrupt", by_id=item.id, at_s=boundary)
                return out + self._set_state(back_to) + [self._stop]
        return out + self._set_state(back_to) + self._announce_needed()

    def _maybe_harden(self, item: Utterance) -> list:
        """A soft stop is pending and something urgent arrived: stop now instead."""
        stop = self._stop
        if stop is None or stop.at_s is None or stop.reason != "interrupt" or self.current is None:
            return []
        if self.director.cut(self.current, item, self._played_fraction(), self._current_priority_override(),
                             gap=self.thresholds.interrupt_gap, late_gap=self.thresholds.late_interrupt_gap,
                             late_fraction=self.thresholds.late_fraction) != "hard":
            return []
        self._stop = StopCurrent("interrupt", by_id=item.id)
        return self._set_state(INTERRUPTED) + [self._stop]

    def _on_Progress(self, ev: Progress) -> list:
        self.position_s = ev.position_s
        if self.current is not None:
            self.current.position_s = ev.position_s
        return []

    def _on_Finished(self, ev: Finished) -> list:
        item = self.current
        if item is None:
            return []
        self.current = None
        self._stop = None  # a soft stop at the very end needs no stop
        self._previous = item
        item.state = "finished"
        out: list = [Ended(item, interrupted=False), Emit(events.PlaybackFinished(id=item.id), item)]
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
        item.cuts += 1
        item.position_s = ev.position_s
        out: list = [Ended(item, interrupted=True)]
        if stop.reason == "interrupt":
            out += self._cut(item, ev.position_s, stop.by_id or "", soft=stop.at_s is not None)
            return out + self._start_next(after_gap=stop.at_s is not None)
        if stop.reason == "live_end":
            out += self._drop(item, "live ended")
            return out + self._set_state(IDLE)
        # skip / cancel: the item is not resumed
        reason = "skipped by operator" if stop.reason == "skip" else "cancelled"
        if item.request.kind not in events.FILLING_KINDS or stop.reason == "cancel":
            out += self._drop(item, reason)
        else:
            item.state = "finished"  # a skipped filler: it only filled a moment
        if self._after_bridge is not None:
            return out + self._resume(self._pop_after_bridge())
        return out + self._start_next(after_gap=True)

    def _on_Dry(self, ev: Dry) -> list:
        if self.current is not None or self.paused or self.ended or self._stop is not None:
            return []
        if self.queue.has_ready():
            return self._start_next(after_gap=False)
        filler = self.filler_source()
        if filler is None:
            return self._announce_needed()
        return self._announce_needed() + self._play(filler, after_gap=False)

    def _on_Tick(self, ev: Tick) -> list:
        return self._drops(self.queue.purge_stale())

    def _on_SkipCurrent(self, ev: SkipCurrent) -> list:
        if self.current is None or (self._stop is not None and self._stop.at_s is None):
            return []
        self._stop = StopCurrent("skip")
        if self.paused:  # nothing is sounding: finish the bookkeeping at once
            return self._on_Stopped(Stopped(self.position_s))
        return [self._stop]

    def _on_Cancel(self, ev: Cancel) -> list:
        """Drop what ``ev.ids`` name: those ids, and every sentence of a group named (an LLM
        answer cancelled by its job id) — ``app.utterance.named_by``."""
        out: list = []
        ids = frozenset(ev.ids)
        for item in [i for i in self.queue.items() if named_by(i.id, ids)]:
            if self.queue.remove(item.id) is not None:
                out += self._drop(item, ev.reason)
        if self._after_bridge is not None and named_by(self._after_bridge.id, ids):
            out += self._drop(self._pop_after_bridge(), ev.reason)
        if self.current is not None and named_by(self.current.id, ids) and (self._stop is None or self._stop.at_s is not None):
            self._stop = StopCurrent("cancel")
            if self.paused:
                return out + self._on_Stopped(Stopped(self.position_s))
            out.append(self._stop)
        return out

    def _on_PauseCmd(self, ev: PauseCmd) -> list:
        if self.paused:
            return []
        self.paused = True
        if self.current is not None and (self._stop is None or self._stop.at_s is not None):
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
        waiting = self.queue.peek_next(self._pick)
        if waiting is not None and self.director.cut(
                item, waiting, self._played_fraction(), self._current_priority_override(),
                gap=self.thresholds.interrupt_gap, late_gap=self.thresholds.late_interrupt_gap,
                late_fraction=self.thresholds.late_fraction) is not None:
            self._stop = StopCurrent("interrupt", by_id=waiting.id)
            return self._set_state(INTERRUPTED) + self._on_Stopped(Stopped(self.position_s))
        return [Play(item, start_s=self.position_s, resumed=False, after_gap=False, continuation=True)]

    def _on_EndLive(self, ev: EndLive) -> list:
        if self.ended:
            return []
        self.ended = True
        out: list = []
        for item in self.queue.clear():
            out += self._drop(item, "live ended")
        if self._after_bridge is not None:
            out += self._drop(self._pop_after_bridge(), "live ended")
        if self.current is not None:
            self._stop = StopCurrent("live_end")
            out.append(self._stop)
        else:
            out += self._set_state(IDLE)
        return out

    # ---- choosing --------------------------------------------------------------------------

    def _pick(self, candidates: Iterable[Utterance]) -> Utterance | None:
        return self.director.pick(candidates, self.now(), open_group=self._open_group())

    def _open_group(self) -> str | None:
        """The script segment being read, while sentences of it are still to come."""
        group = self._last_script_group
        if group is None:
            return None
        if any(i.request.group == group for i in self.queue.items()) or (
                self._after_bridge is not None and self._after_bridge.request.group == group):
            return group
        return None

    def _start_next(self, *, after_gap: bool) -> list:
        if self.paused or self.ended:
            return []
        out: list = self._drops(self.queue.purge_stale())
        open_group = self._open_group()
        item, dropped = self.queue.pop_next(self._pick)
        out += self._drops(dropped)
        if item is None:
            self.current = None
            return out + self._set_state(IDLE) + [Idle()] + self._announce_needed()
        if open_group is not None and item.request.group != open_group and open_group not in self._broken:
            self._broken[open_group] = self.now()  # interactions come between two of its sentences
            self.script_breaks["soft"] += 1
        segment = _segment(item)
        if air_class(item.request.kind) == SCRIPT and segment in self._broken:
            out += self._set_state(POST_INTERRUPT)
            bridge = self.bridge_source() if self._bridge_fits(self._broken[segment]) else None
            if bridge is not None:
                self._after_bridge = item
                self._last_bridge_at = self.now()
                return out + self._play(bridge, after_gap=after_gap, state=POST_INTERRUPT)
        if item.interrupted or segment in self._broken:
            return out + self._resume(item, after_gap=after_gap)
        return out + self._play(item, after_gap=after_gap) + self._announce_needed()

    def _bridge_fits(self, broken_at: float) -> bool:
        """A bridge line ("好，我们接着说") after a real digression, not after every quick answer,
        and not again within ``BRIDGE_EVERY_S`` (a room that keeps saying it sounds canned)."""
        now = self.now()
        if not self.bridges or now - broken_at < BRIDGE_AFTER_S:
            return False
        return self._last_bridge_at is None or now - self._last_bridge_at >= BRIDGE_EVERY_S

    def _announce_needed(self) -> list:
        """Tell the TTS stage which utterance the player is waiting for, once."""
        wanted = self.queue.next_wanted(self._pick)
        if wanted is None or wanted.is_ready or wanted.id in self._announced:
            return []
        self._announced.add(wanted.id)
        if len(self._announced) > 1000:
            self._announced = {i for i in self._announced if i in self.queue}
        return [Emit(events.SpeechNeeded(id=wanted.id))]

    def _resume(self, item: Utterance | None, after_gap: bool = True) -> list:
        if item is None:
            return self._start_next(after_gap=after_gap)
        reason = self.queue.stale_reason(item)
        if reason:
            if item.interrupted:
                self.dropped_after_interrupt += 1
            return self._drop(item, reason) + self._start_next(after_gap=after_gap)
        if air_class(item.request.kind) == SCRIPT and self._broken.pop(_segment(item), None) is not None:
            self.script_resumed += 1
        if not item.interrupted:  # a broken segment continues at its next sentence
            return self._play(item, after_gap=after_gap)
        self.resumes += 1
        out = [Emit(events.PlaybackResumed(id=item.id, sentence_index=item.resume_index,
                                           position_s=item.resume_s), item)]
        return out + self._play(item, start_s=item.resume_s, resumed=True, after_gap=after_gap)

    def _play(self, item: Utterance, *, start_s: float = 0.0, resumed: bool = False,
              after_gap: bool = True, state: str | None = None) -> list:
        self.current = item
        self.position_s = item.position_s = start_s
        item.state = "playing"
        if air_class(item.request.kind) == SCRIPT:
            self._last_script_group = item.request.group
        ready = item.ready
        started = events.PlaybackStarted(
            id=item.id, kind=item.request.kind, text=item.request.text, priority=item.priority,
            duration_s=round(item.duration_s, 3), route=ready.route if ready else "",
            resumed=resumed, start_s=start_s)
        if state is None:
            state = INTERRUPTED if self._has_parked() else PLAYING
        previous, self._previous = self._previous, None
        clause = (previous is not None and previous.request.group is not None and not resumed
                  and previous.request.group == item.request.group
                  and previous.request.text.rstrip()[-1:] in CLAUSE_BREAKS)
        return self._set_state(state) + [Emit(started, item), Play(item, start_s=start_s, resumed=resumed,
                                                             after_gap=after_gap, clause=clause)]

    def _cut(self, item: Utterance, position_s: float, by_id: str, *, soft: bool) -> list:
        """Record the cut and park the item (or what the bridge was leading into)."""
        starts = item.ready.sentence_starts if item.ready else (0.0,)
        index, resume_at = cut_sentence(starts, position_s)
        out: list = [Emit(events.PlaybackInterrupted(id=item.id, position_s=round(position_s, 3),
                                                     sentence_index=index, by_id=by_id), item)]
        if item.request.kind in events.FILLING_KINDS:  # never resumed: it only filled a moment
            self.filler_cuts += 1
            item.state = "finished"  # a filler or bridge never resumes
            held = self._pop_after_bridge()
            if held is not None:  # the bridge was cut: its item goes back, as it was parked
                if held.interrupted:
                    self.queue.park(held, held.resume_s, held.resume_index, keep_age=True)
                else:
                    self.queue.put_back(held)
            return out
        self.interrupts += 1
        if air_class(item.request.kind) == SCRIPT and _segment(item) not in self._broken:
            self._broken[_segment(item)] = self.now()
            self.script_breaks["soft" if soft else "hard"] += 1
        reason = self.queue.stale_reason(item)
        if reason:
            self.dropped_after_interrupt += 1
            return out + self._drop(item, reason)
        self.queue.park(item, resume_at, index, keep_age=item.interrupted)
        return out

    def _pop_after_bridge(self) -> Utterance | None:
        item, self._after_bridge = self._after_bridge, None
        return item

    def _drop(self, item: Utterance, reason: str) -> list:
        self._announced.discard(item.id)
        item.drop(reason)
        self._note_broken_gone(item, reason)
        return [Drop(item, reason), Emit(events.UtteranceDropped(id=item.id, reason=reason), item)]

    def _note_broken_gone(self, item: Utterance, reason: str) -> None:
        """A broken script segment whose last waiting sentence was dropped did not resume."""
        segment = _segment(item)
        if segment not in self._broken:
            return
        if any(_segment(i) == segment for i in self.queue.items()) or (
                self._after_bridge is not None and _segment(self._after_bridge) == segment):
            return
        del self._broken[segment]
        self.script_not_resumed.append({"id": item.id, "reason": reason, "why": _why(reason)})

    def _drops(self, dropped: list[tuple[Utterance, str]]) -> list:
        out: list = []
        for item, reason in dropped:
            if item.interrupted:
                self.dropped_after_interrupt += 1
            out += self._drop(item, reason)
        return out

    def _has_parked(self) -> bool:
        return self._after_bridge is not None or any(i.interrupted for i in self.queue.items())

    def _current_priority_override(self) -> int | None:
        if self._after_bridge is not None:  # a bridge stands for the item it leads into
            return self._after_bridge.priority
        return None

    def _played_fraction(self) -> float:
        duration = self.current.duration_s if self.current is not None else 0.0
        return self.position_s / duration if duration > 0 else 0.0

    def _next_boundary(self) -> float | None:
        item = self.current
        if item is None or item.ready is None:
            return None
        return next_sentence(item.ready.sentence_starts, self.position_s)

    def _set_state(self, state: str) -> list:
        if state == self.state:
            return []
        previous, self.state = self.state, state
        return [Emit(events.PlayerStateChanged(state=state, previous=previous))]


def _segment(item: Utterance) -> str:
    """What a broken-off script reading is known by: its group (one segment rendering), or the
    item itself when it has none."""
    return item.request.group or item.id


def _why(reason: str) -> str:
    """The operator-facing cause of a drop that ended a broken script segment."""
    text = reason.lower()
    if text.startswith("switch") or "product" in text:
        return NOT_RESUMED_ZH["switch"]
    if text.startswith("skip"):
        return NOT_RESUMED_ZH["skip"]
    if "clear" in text:
        return NOT_RESUMED_ZH["cleared"]
    if reason == "live ended":
        return NOT_RESUMED_ZH["live_end"]
    if text.startswith("stale"):
        return NOT_RESUMED_ZH["stale"]
    if "synthesis" in text or "audio" in text:
        return NOT_RESUMED_ZH["failed"]
    return reason
