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

Here: the machine's state and what each input means. Its vocabulary (states, inputs, actions) is
``app.audio.machine_messages``; what it then does with the items (start, bridge, resume, park,
drop, and the counts) is ``app.audio.machine_transitions``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app import events
from app.audio.machine_messages import (
    IDLE,
    INTERRUPT_DECISION,
    INTERRUPTED,
    Cancel,
    Dry,
    Emit,
    Ended,
    EndLive,
    Finished,
    ItemReady,
    PauseCmd,
    Play,
    Progress,
    ResumeCmd,
    SkipCurrent,
    StopCurrent,
    Stopped,
    Tick,
)
from app.audio.machine_transitions import Transitions, next_sentence
from app.audio.queue import SpeechQueue
from app.audio.utterance import Utterance
from app.director import Airtime, Director
from app.utterance import LIVE_ENDED, SKIPPED, named_by


@dataclass(frozen=True)
class Thresholds:
    """Interrupt when ``current.priority - new.priority >= gap``; once the current item is more
    than ``late_fraction`` played the gap must be ``>= late_gap`` (finishing is cheaper than
    cutting a nearly complete sentence)."""

    interrupt_gap: int = 5
    late_interrupt_gap: int = 8
    late_fraction: float = 0.85


DEFAULT_THRESHOLDS = Thresholds()


class PlayerStateMachine(Transitions):
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
        self._mid_sentence = False  # the last script item heard ended at a comma: its sentence goes on
        self._previous: Utterance | None = None  # what finished last
        self._broken: dict[str, float] = {}  # script segment broken off, to continue -> when
        self._last_bridge_at: float | None = None
        self._announced: dict[str, bool] = {}  # ids the TTS stage was told the player needs now -> said silent
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
        return self.director.key(item, self.now(), open_group=self._open_group(), mid_sentence=self._mid_sentence)

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
            out += self._drop(item, LIVE_ENDED)
            return out + self._set_state(IDLE)
        # skip / cancel: the item is not resumed. Dropped either way (a skipped filler too), so
        # its UtteranceDropped ends its spoken-record row where the sound stopped.
        if stop.reason == "skip":
            out += self._drop(item, SKIPPED) + self._skip_rest_of(item)
        else:
            out += self._drop(item, "cancelled")
        if self._after_bridge is not None:
            return out + self._resume(self._pop_after_bridge())
        return out + self._start_next(after_gap=True)

    def _on_Dry(self, ev: Dry) -> list:
        if self.current is not None or self.paused or self.ended or self._stop is not None:
            return []
        if self.queue.has_ready():
            return self._start_next(after_gap=False)
        filler = self.filler_source()
        if filler is None:  # the room is silent until what it waits for is ready
            return self._announce_needed(silent=True)
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

    def _skip_rest_of(self, item: Utterance) -> list:
        """跳过 on a line of a group skips the rest of the group: a script line's segment (the next
        sentence makes no sense without its start), an AI answer's later sentences (the operator
        skips an answer because of what it says). Its queued sentences go now, with the same
        reason, so none can start before the scheduler's or the LLM worker's own cancel arrives.
        Lines of no group: only the one line."""
        group = item.request.group
        if group is None:
            return []
        out: list = []
        for rest in [i for i in self.queue.items() if i.request.group == group]:
            if self.queue.remove(rest.id) is not None:
                out += self._drop(rest, SKIPPED)
        return out

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
            out += self._drop(item, LIVE_ENDED)
        if self._after_bridge is not None:
            out += self._drop(self._pop_after_bridge(), LIVE_ENDED)
        if self.current is not None:
            self._stop = StopCurrent("live_end")
            out.append(self._stop)
        else:
            out += self._set_state(IDLE)
        return out

    # ---- choosing --------------------------------------------------------------------------

    def _pick(self, candidates: Iterable[Utterance]) -> Utterance | None:
        return self.director.pick(candidates, self.now(), open_group=self._open_group(),
                                  mid_sentence=self._mid_sentence)

    def _open_group(self) -> str | None:
        """The script segment being read, while sentences of it are still to come."""
        group = self._last_script_group
        if group is None:
            return None
        if any(i.request.group == group for i in self.queue.items()) or (
                self._after_bridge is not None and self._after_bridge.request.group == group):
            return group
        return None

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

