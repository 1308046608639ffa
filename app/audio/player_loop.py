"""The player thread: writes the playing utterance to the sink chunk by chunk, never blocking in
``sink.write`` (it waits on the inbox for as long as the sink has no room), and executes what the
state machine returns (start an item after its pause, stop it now or at a sentence end, publish).

A mixin of ``AudioPlayer`` (``app/audio/player.py``), which owns the state and takes in what
arrives; apart so that the stage (its verbs, its inbox) and the loop that makes the sound each
read as one thing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from app import events
from app.audio import machine_messages as msg
from app.audio.sinks import BYTES_PER_SAMPLE
from app.audio.utterance import Utterance
from app.director import air_class
from app.logs import get_logger

log = get_logger("audio")


@dataclass
class Playback:
    """The utterance being written to the sink: how far, and what is left of the pause before it."""

    item: Utterance
    pcm: bytes
    pos: int  # next sample of the item to write
    gap: int  # silent samples still to write before the item's next sample
    first_pos: int  # where this playback started (item samples)
    stop_at: int | None = None  # a soft cut: stop once the item reaches this sample
    # Published with the first sample written, not before: an item stopped during its lead-in
    # gap was never heard, so it must not appear as played (the spoken log listens for this).
    started: events.PlaybackStarted | None = None


class PlayerLoop:
    """Mixin: see the module docstring."""

    # ---- the player thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping:
                self._drain()
                self._periodic()
                pb = self._pb
                if pb is None or self.machine.paused:
                    self._idle_step()
                    continue
                self._write_step(pb)
        except BaseException as exc:  # the stage must report, not vanish silently
            self.error = exc
            log.exception("audio player stopped on an error")
            self.bus.publish(events.Channel.SYSTEM, events.ErrorReport(
                component="audio", message=f"player stopped: {exc!r}", ts=time.time()))

    def _write_step(self, pb: Playback) -> None:
        if pb.gap > 0:
            n = min(pb.gap, self.chunk_samples)
            piece, tag = bytes(n * BYTES_PER_SAMPLE), None
        else:
            start = pb.pos * BYTES_PER_SAMPLE
            end = start + self.chunk_samples * BYTES_PER_SAMPLE
            if pb.stop_at is not None:  # a soft cut: write up to the end of the sentence, no further
                end = min(end, pb.stop_at * BYTES_PER_SAMPLE)
            piece, tag = pb.pcm[start:end], pb.item.id
            if not piece:
                self._soft_stop_reached(pb)
                return
        wait = self.sink.room_in(len(piece))
        if wait > 0:
            self._wait(min(wait, 0.05))
            return
        if tag is not None and pb.pos == pb.first_pos and self._first_sound is None:
            self._first_sound = self.clock()
        heard_at = self.clock() + self._ahead_s()
        self.sink.write(piece, tag)
        if tag is not None and pb.started is not None:
            if pb.item.heard(heard_at, resumed=pb.started.resumed):
                self.log.heard(pb.item)  # the report lists what was heard, as the spoken log does
            self._publish(pb.started, pb.item)
            pb.started = None
        if tag is None:
            pb.gap -= len(piece) // BYTES_PER_SAMPLE
            return
        pb.pos += len(piece) // BYTES_PER_SAMPLE
        position = pb.pos / self.sample_rate
        self._feed(msg.Progress(position))
        now = self.clock()
        if now - self._last_progress >= self.progress_interval_s or pb.pos * BYTES_PER_SAMPLE >= len(pb.pcm):
            self._last_progress = now
            self._publish(events.PlaybackProgress(id=pb.item.id, position_s=round(position, 3),
                                                  duration_s=round(pb.item.duration_s, 3)))
        if pb.pos * BYTES_PER_SAMPLE >= len(pb.pcm):
            self._pb = None
            self._feed(msg.Finished())
        elif pb.stop_at is not None and pb.pos >= pb.stop_at:
            self._soft_stop_reached(pb)

    def _soft_stop_reached(self, pb: Playback) -> None:
        """The sentence a soft cut waited for has been written: the item stops here, nothing
        to flush (what is in the device buffer is the rest of that sentence)."""
        self._pb = None
        self._last_end_sample = self.sink.next_sample()
        self._feed(msg.Stopped(pb.pos / self.sample_rate))

    def _idle_step(self) -> None:
        timeout = 0.05
        m = self.machine
        if not m.paused and m.current is None and self._idle_since is not None:
            due = self._idle_since + self.gap_s
            now = self.clock()
            if now >= due:
                self._feed(msg.Dry())
                if self._pb is not None:
                    return
            else:
                timeout = min(timeout, due - now)
        self._wait(timeout)

    def _wait(self, timeout: float) -> None:
        with self._cv:
            if not self._inbox and not self._stopping:
                self._cv.wait(max(0.0, timeout))

    def _periodic(self) -> None:
        now = self.clock()
        if now - self._last_tick >= 0.25:
            self._last_tick = now
            self._feed(msg.Tick())
        if self._snapshot_dirty and now - self._last_snapshot >= self.snapshot_interval_s:
            self._snapshot_dirty = False
            self._last_snapshot = now
            self.bus.publish(events.Channel.PLAYER_STATE, self.snapshot())
        if now - self._last_health >= self.health_interval_s:
            self._last_health = now
            self._publish_health(now)
        if now - self._last_airtime >= self.airtime_interval_s:
            self._last_airtime = now
            self._publish_airtime(now)

    # ---- executing the state machine's actions ---------------------------------------------

    def _feed(self, event) -> None:
        actions = self.machine.handle(event)
        for action in actions:
            self._execute(action)
        for action in actions:  # published: what is done with lets its audio go
            if isinstance(action, (msg.Ended, msg.Drop)) and action.item.state in ("finished", "dropped"):
                action.item.release()

    def _execute(self, action) -> None:
        now = self.clock()
        if isinstance(action, msg.Emit):
            if isinstance(action.event, events.PlaybackStarted):
                self._held_start = action.event  # see Playback.started
            else:
                self._publish(action.event, action.item)
        elif isinstance(action, msg.Play):
            self._start(action, now)
        elif isinstance(action, msg.StopCurrent):
            if action.at_s is not None and self._pb is not None:
                self._pb.stop_at = int(round(action.at_s * self.sample_rate))
                if self._pb.pos >= self._pb.stop_at and self._pb.gap <= 0:
                    self._soft_stop_reached(self._pb)
            else:
                self._stop_current()
        elif isinstance(action, msg.Ended):
            self._last_end_sample = self.sink.next_sample()
            action.item.stopped_sounding(now + self._ahead_s())
            self.airtime.end(now + self._ahead_s())
            self._done.bury(action.item.id)
        elif isinstance(action, msg.Drop):
            self._record_drop(action.item)
        elif isinstance(action, msg.Idle):
            if not self.machine.paused:
                self._idle_since = now + self._ahead_s()

    def _start(self, action: msg.Play, now: float) -> None:
        item = action.item
        pcm = item.extra.get("pcm")
        if pcm is None:
            samples = getattr(item.audio, "samples", None)
            pcm = samples.astype("<i2").tobytes() if samples is not None else b""
            item.extra["pcm"] = pcm
        first = min(int(round(action.start_s * self.sample_rate)), len(pcm) // BYTES_PER_SAMPLE)
        gap = 0
        if action.after_gap and not action.continuation and self._last_end_sample is not None:
            pause = self.clause_gap_s if action.clause else self.gap_s
            gap = max(0, self._last_end_sample + int(pause * self.sample_rate) - self.sink.next_sample())
        held, self._held_start = self._held_start, None
        self._pb = Playback(item=item, pcm=pcm, pos=first, gap=gap, first_pos=first,
                             started=held if held is not None and held.id == item.id else None)
        heard_at = now + self._ahead_s() + gap / self.sample_rate
        self.airtime.begin(air_class(item.request.kind), heard_at)
        if not action.continuation:
            self._close_idle(now)
            if item.request.kind == "filler":
                self._fillers_played += 1
        self._last_progress = 0.0

    def _stop_current(self) -> None:
        pb, self._pb = self._pb, None
        discarded = self.sink.flush()
        position = 0.0
        if pb is not None:
            written = pb.pos - pb.first_pos
            played = pb.pos - min(discarded, written)
            position = played / self.sample_rate
        self._last_end_sample = self.sink.next_sample()
        self.airtime.end(self.clock())  # a pause ends the stretch too; what was flushed was not heard
        self._feed(msg.Stopped(position))

    def _ahead_s(self) -> float:
        return self.sink.ahead_s()
