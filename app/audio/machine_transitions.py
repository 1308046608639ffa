"""The player state machine's transitions: start the next item (a bridge line first when a
broken-off script segment continues), resume a parked item, park a cut one, drop one — and the
counts they keep for the report (interrupts, resumes, script segments broken and continued or
not, and why).

A mixin of ``PlayerStateMachine`` (``app/audio/state_machine.py``), which owns the state and
whose input handlers end in these; apart so that each module reads as one thing: there what
each input means, here what the machine then does with the items.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from app import events
from app.audio.machine_messages import IDLE, INTERRUPTED, PLAYING, POST_INTERRUPT, Drop, Emit, Idle, Play
from app.audio.utterance import Utterance
from app.director import SCRIPT, air_class
from app.text.sentences import CLAUSE_BREAKS
from app.utterance import LIVE_ENDED

#: A bridge line leads back into the script after an interruption this long, at most this often.
BRIDGE_AFTER_S = 10.0
BRIDGE_EVERY_S = 45.0

#: Why a broken script segment did not continue, in the operator's words (the report).
NOT_RESUMED_ZH = {"switch": "换了商品", "skip": "运营跳过", "cleared": "运营清空队列",
                  "live_end": "已下播", "stale": "等待过久", "failed": "语音合成失败"}


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


class Transitions:
    """Mixin: see the module docstring."""

    def _start_next(self, *, after_gap: bool) -> list:
        if self.paused or self.ended:
            return []
        out: list = self._drops(self.queue.purge_stale())
        open_group = self._open_group()
        item, dropped = self.queue.pop_next(self._pick)
        out += self._drops(dropped)
        if item is None:
            self.current = None
            return out + self._set_state(IDLE) + [Idle()] + self._announce_needed(silent=True)
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

    def _announce_needed(self, *, silent: bool = False) -> list:
        """Tell the TTS stage which utterance the player is waiting for, once — and once more
        when the room has gone ``silent`` waiting for it (nothing playing: every second is
        dead air, so the TTS stage's shorter silent deadline applies)."""
        wanted = self.queue.next_wanted(self._pick)
        if wanted is None or wanted.is_ready:
            return []
        told = self._announced.get(wanted.id)
        if told is not None and (told or not silent):
            return []
        self._announced[wanted.id] = silent
        if len(self._announced) > 1000:
            self._announced = {i: s for i, s in self._announced.items() if i in self.queue}
        return [Emit(events.SpeechNeeded(id=wanted.id, silent=silent))]

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
            self._mid_sentence = item.request.text.rstrip()[-1:] in CLAUSE_BREAKS
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
        self._announced.pop(item.id, None)
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
    if reason == LIVE_ENDED:
        return NOT_RESUMED_ZH["live_end"]
    if text.startswith("stale"):
        return NOT_RESUMED_ZH["stale"]
    if "synthesis" in text or "audio" in text:
        return NOT_RESUMED_ZH["failed"]
    return reason
