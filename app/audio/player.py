"""The audio stage: one thread that writes the queue's utterances to a sink in fixed chunks.

Between chunks it takes in what arrived (requests, ready audio, operator commands), lets the
state machine decide, and does what it says. It never blocks inside ``sink.write``: it asks
the sink how long until there is room and waits on its inbox for that long, so an urgent item
is acted on as soon as it is ready — the cut costs a flush of the device buffer, not a chunk.

Bus: listens on ``speech.requests`` (group ``audio``), ``speech.ready`` (SpeechReady,
SpeechFailed, UtteranceDropped) and ``control``; publishes everything it does on
``player.state``.

Each utterance has one record (``app.audio.utterance.Utterance``), owned by this thread: the
queue and the state machine keep its state, this loop its timings (heard when its first sample
is written). Every event about an utterance carries the record's view (``utterance=``), and
every utterance it knew of that will not play — cancelled, stale, failed synthesis, bad audio —
is published once as an UtteranceDropped. The report's played list is the records heard.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

from app import events
from app.audio import machine_messages as msg
from app.audio import state_machine as sm
from app.audio.pools import ClipPool
from app.audio.queue import SpeechQueue
from app.audio.report import PlayLog
from app.audio.sinks import BYTES_PER_SAMPLE, Sink
from app.audio.utterance import Utterance
from app.bus.base import Bus
from app.director import Airtime, Director, DirectorSettings, air_class
from app.logs import get_logger
from app.media.wav import WavError, read_wav
from app.recent import Recent
from app.utterance import Tombstones

log = get_logger("audio")

#: Before the first sound, a pause this long is the first line being synthesised, not dead air.
STARTUP_GRACE_S = 1.0
_REMEMBER_IDS = 5000  # finished/cancelled ids kept to ignore late duplicates


@dataclass
class _Playback:
    item: Utterance
    pcm: bytes
    pos: int  # next sample of the item to write
    gap: int  # silent samples still to write before the item's next sample
    first_pos: int  # where this playback started (item samples)
    stop_at: int | None = None  # a soft cut: stop once the item reaches this sample
    # Published with the first sample written, not before: an item stopped during its lead-in
    # gap was never heard, so it must not appear as played (the spoken log listens for this).
    started: events.PlaybackStarted | None = None


class AudioPlayer:
    def __init__(self, bus: Bus, sink: Sink, *, sample_rate: int = 32000, chunk_bytes: int = 4096,
                 gap_ms: float = 300.0, thresholds: sm.Thresholds = sm.DEFAULT_THRESHOLDS,
                 aging_step: float = 1.0, aging_seconds_per_step: float = 10.0,
                 resume_within_s: float = 60.0, bridge_lines: bool = True,
                 progress_interval_s: float = 0.2, snapshot_interval_s: float = 0.25,
                 health_interval_s: float = 1.0, silence_alarm_s: float = 3.0, pool_size: int = 20, bus_group: str = "audio",
                 director: DirectorSettings | None = None, airtime_interval_s: float = 2.0,
                 clause_gap_ms: float = 150.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time):
        if chunk_bytes < BYTES_PER_SAMPLE or chunk_bytes % BYTES_PER_SAMPLE:
            raise ValueError(f"chunk_bytes must be a positive even number, got {chunk_bytes}")
        if sink.sample_rate != sample_rate:
            raise ValueError(f"sink runs at {sink.sample_rate} Hz but the player at {sample_rate} Hz")
        device_buffer = getattr(sink, "device_buffer", 0)
        if chunk_bytes // BYTES_PER_SAMPLE < device_buffer:
            # the mixer Channel holds one queued chunk; smaller chunks than a device period
            # would underrun it every period
            raise ValueError(f"chunk_bytes {chunk_bytes} is smaller than the {sink.name} device buffer "
                             f"({device_buffer} samples = {device_buffer * BYTES_PER_SAMPLE} bytes)")
        if gap_ms < 0:
            raise ValueError(f"gap_ms must be >= 0, got {gap_ms}")
        self.bus = bus
        self.sink = sink
        self.sample_rate = sample_rate
        self.chunk_samples = chunk_bytes // BYTES_PER_SAMPLE
        self.gap_s = gap_ms / 1000.0
        self.clause_gap_ms = clause_gap_ms
        self.clause_gap_s = min(clause_gap_ms, gap_ms) / 1000.0
        self.progress_interval_s = progress_interval_s
        self.snapshot_interval_s = snapshot_interval_s
        self.health_interval_s = health_interval_s
        self.silence_alarm_s = silence_alarm_s
        self.bus_group = bus_group
        self.clock = clock
        self.wall_clock = wall_clock
        self.queue = SpeechQueue(resume_within_s=resume_within_s, clock=clock, wall_clock=wall_clock)
        self.fillers = ClipPool("filler", pool_size)
        self.bridge_clips = ClipPool("bridge", pool_size)
        self.airtime_interval_s = airtime_interval_s
        self.airtime = Airtime(clock())
        self.director = Director(director, self.airtime, aging_step=aging_step,
                                 aging_interval_s=aging_seconds_per_step)
        self.machine = sm.PlayerStateMachine(
            self.queue, thresholds, bridges=bridge_lines, director=self.director,
            filler_source=lambda: self.fillers.take(self.clock()),
            bridge_source=lambda: self.bridge_clips.take(self.clock()))
        self.log = PlayLog(clock())
        self._inbox: deque = deque()
        self._cv = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._subs: list = []
        self._pb: _Playback | None = None
        self._held_start: events.PlaybackStarted | None = None
        self._done = Tombstones(_REMEMBER_IDS)  # finished, dropped or cancelled
        self._readied: Recent[str, None] = Recent(_REMEMBER_IDS)  # audio arrived (maybe before its request)
        self._last_end_sample: int | None = None
        self._idle_since: float | None = None
        self._first_sound: float | None = None
        self._dead_air = 0.0
        self._fillers_played = 0
        self._last_progress = 0.0
        self._last_tick = 0.0
        self._last_snapshot = 0.0
        self._last_health = 0.0
        self._last_airtime = 0.0
        self._snapshot_dirty = True
        self._started_at: float | None = None
        self.error: BaseException | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the audio player is already started")
        self.sink.open()
        now = self.clock()
        self._started_at = now
        self.log = PlayLog(now)
        self.airtime.t0 = now
        self._idle_since = now
        C = events.Channel
        self._subs = [self.bus.inbox("player", {C.SPEECH_REQUESTS: self._on_request, C.SPEECH_READY: self._on_ready,
                                                C.CONTROL: self._on_control}, group=self.bus_group)]
        self._thread = threading.Thread(target=self._run, name="audio-player", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        for sub in self._subs:
            self.bus.unsubscribe(sub)
        self._subs = []
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("audio player thread did not stop within %.1fs", timeout)
        self._close_idle(self.clock())
        self.sink.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- direct verbs (thread-safe; the bus commands end up here too) -----------------------

    def enqueue(self, request: events.SpeechRequest) -> None:
        self._post(("request", request))

    def submit(self, ready: events.SpeechReady) -> None:
        """Hand over synthesised audio (decoded on the caller's thread)."""
        self._on_ready(ready)

    def play_now(self, item_id: str) -> None:
        self._post(("play_now", item_id))

    def pause(self) -> None:
        self._post(("control", events.Pause()))

    def resume(self) -> None:
        self._post(("control", events.Resume()))

    def skip(self) -> None:
        self._post(("control", events.Skip()))

    def clear(self) -> None:
        self._post(("control", events.ClearQueue()))

    def cancel(self, ids: tuple[str, ...], reason: str = "cancelled") -> None:
        self._post(("control", events.CancelSpeech(ids=tuple(ids), reason=reason)))

    def end_live(self) -> None:
        """Our room's live ended: stop within a chunk, drop what waits, take nothing more."""
        self._post(("end_live",))

    # ---- report ----------------------------------------------------------------------------

    def _silent_for(self, now: float) -> float:
        """How long the room has been silent beyond the intended gap: every silence the
        operator did not ask for, start-up included (0 while sounding, paused or after the live
        ended)."""
        if self._idle_since is None or self.machine.paused or self.machine.ended:
            return 0.0
        return max(0.0, now - self._idle_since - self._intended_pause())

    def _intended_pause(self) -> float:
        return self.gap_s if self._first_sound is not None else max(self.gap_s, STARTUP_GRACE_S)

    def _dead_air_s(self, now: float) -> float:
        return round(self._dead_air + self._silent_for(now), 3)

    def report(self) -> dict:
        """The player's part of the headless report (design §8)."""
        now = self.clock()
        startup = (self._first_sound if self._first_sound is not None else now) - (self._started_at or now)
        m = self.machine
        return {
            "played": self.log.played(),
            "dropped": self.log.dropped_list(),
            "dead_air_s": self._dead_air_s(now),
            "startup_silence_s": round(startup, 3),
            "interrupts": {"count": m.interrupts, "resumed": m.resumes,
                           "dropped_after_interrupt": m.dropped_after_interrupt,
                           "filler_cuts": m.filler_cuts,
                           "script": {"broken": sum(m.script_breaks.values()), "soft": m.script_breaks["soft"],
                                      "hard": m.script_breaks["hard"], "resumed": m.script_resumed,
                                      "waiting": m.broken_segments, "not_resumed": list(m.script_not_resumed)}},
            "fillers_played": self._fillers_played,
            "airtime": {"total_s": self.airtime.totals_now(now), "per_minute": self.airtime.per_minute(now)},
        }

    def set_thresholds(self, thresholds: sm.Thresholds) -> None:
        """Hot reload of the interrupt thresholds ([priority]); the next decision uses them."""
        self.machine.thresholds = thresholds

    def snapshot(self) -> events.QueueSnapshot:
        return self.queue.snapshot(self.machine.order_key, playing=self.machine.current)

    def set_director(self, settings: DirectorSettings) -> None:
        """Hot reload of the director's knobs ([director]); the next decision uses them."""
        self.director.settings = settings

    def set_pacing(self, *, gap_ms: float, aging_seconds_per_step: float, bridge_lines: bool) -> None:
        """Hot reload of [audio] gap_ms and bridge_lines and [priority] aging_seconds_per_step:
        the next pause, queue order and resume use them."""
        if gap_ms < 0 or aging_seconds_per_step <= 0:
            raise ValueError(f"gap_ms must be >= 0 and aging_seconds_per_step > 0, got {gap_ms}, "
                             f"{aging_seconds_per_step}")
        self.gap_s = gap_ms / 1000.0
        self.clause_gap_s = min(self.clause_gap_ms, gap_ms) / 1000.0
        self.director.aging_interval_s = aging_seconds_per_step
        self.machine.bridges = bridge_lines

    # ---- bus handlers (the player's inbox, off the player thread) ----------------------------

    def _on_request(self, ev) -> None:
        if isinstance(ev, events.SpeechRequest):
            self._post(("request", ev))

    def _on_ready(self, ev) -> None:
        if isinstance(ev, events.SpeechReady):
            try:  # decode here, off the player thread, so playback never waits on a disk read
                pcm = read_wav(ev.audio_path, self.sample_rate)
            except WavError as exc:
                self._post(("bad", ev.request, f"bad audio: {exc}"))
                return
            self._post(("ready", ev, pcm))
        elif isinstance(ev, events.SpeechFailed):
            self._post(("bad", ev.request, f"synthesis failed: {ev.reason}"))
        elif isinstance(ev, events.UtteranceDropped):
            self._post(("gone", ev))

    def _on_control(self, ev) -> None:
        if isinstance(ev, (events.Pause, events.Resume, events.Skip, events.ClearQueue,
                           events.CancelSpeech)):
            self._post(("control", ev))

    def _post(self, message: tuple) -> None:
        with self._cv:
            self._inbox.append(message)
            self._cv.notify()

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

    def _write_step(self, pb: _Playback) -> None:
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

    def _soft_stop_reached(self, pb: _Playback) -> None:
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

    def _publish_airtime(self, now: float) -> None:
        heard = now + self._ahead_s()
        minutes = self.airtime.per_minute(heard)
        self.bus.publish(events.Channel.PLAYER_STATE, events.AirtimeReport(
            total=self.airtime.totals_now(heard),
            last_minute={c: round(self.airtime.spoken(c, heard, 60.0), 2) for c in self.airtime.totals},
            since_script_s=round(self.airtime.since("script", heard), 2),
            minute=max(0, len(minutes) - 1), this_minute=minutes[-1] if minutes else {}, ts=time.time()))

    def _publish_health(self, now: float) -> None:
        """Dead air as the player measures it, for the dashboard (the GUI may be in another
        process and cannot see the audio): degraded while the room is silent right now."""
        silent = self._silent_for(now)
        status, detail = "ok", "播放中" if self._pb is not None else "待机"
        if self.machine.ended:
            detail = "已下播"
        elif self.machine.paused:
            detail = "已暂停"
        elif silent >= self.silence_alarm_s:
            status, detail = "degraded", f"冷场 {silent:.0f} 秒：没有可播的语音"
        self.bus.publish(events.Channel.SYSTEM, events.Health(
            component="audio", status=status, detail=detail, ts=time.time(), metrics={
                "dead_air_s": self._dead_air_s(now), "silent_now_s": round(silent, 3),
                "queued": float(len(self.queue)), "interrupts": float(self.machine.interrupts)}))

    def _drain(self) -> None:
        while True:
            with self._cv:
                if not self._inbox:
                    return
                message = self._inbox.popleft()
            self._snapshot_dirty = True
            self._handle(message)

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == "request":
            req = message[1]
            # The request and its audio travel on different channels: the audio may have come
            # (and even played) first, and must not leave a ghost "synthesising" entry behind.
            if self.machine.ended:
                return  # the live is over: nothing more is said
            if req.kind not in events.FILLING_KINDS and req.id not in self._done and req.id not in self._readied:
                self.queue.enqueue(req)
        elif kind == "ready":
            ready, pcm = message[1], message[2]
            req = ready.request
            if req.id in self._done or (self.machine.current and self.machine.current.id == req.id):
                return  # cancelled, dropped or already played: a late result is never applied
            if self.machine.ended:
                return
            if req.kind in events.FILLING_KINDS:
                pool = self.fillers if req.kind == "filler" else self.bridge_clips
                now = self.clock()
                pool.add(Utterance(request=req, queued_at=now, seq=0, ready=ready, audio=pcm, state="ready",
                                   ready_at=now))
                return
            self.queue.mark_ready(ready, pcm)
            self._readied.add(req.id)
            self._feed(msg.ItemReady(req.id))
        elif kind == "bad":
            req, reason = message[1], message[2]
            if req.id in self.queue:
                self._feed(msg.Cancel((req.id,), reason))  # the machine drops and reports it
            elif req.id not in self._done:  # known only now: its record says why it will not play
                item = Utterance(request=req, queued_at=self.clock(), seq=-1)
                item.drop(reason)
                self._record_drop(item)
                self._publish(events.UtteranceDropped(id=req.id, reason=reason), item)
        elif kind == "gone":
            ev = message[1]
            if ev.id in self.queue:
                self._feed(msg.Cancel((ev.id,), ev.reason))
        elif kind == "play_now":
            if self.queue.play_now(message[1]):
                self._feed(msg.ItemReady(message[1]))
        elif kind == "end_live":
            self._close_idle(self.clock())
            self._feed(msg.EndLive())
        elif kind == "control":
            self._control(message[1])

    def _control(self, cmd) -> None:
        if isinstance(cmd, events.Pause):
            self._close_idle(self.clock())
            self._feed(msg.PauseCmd())
        elif isinstance(cmd, events.Resume):
            was_paused = self.machine.paused
            self._feed(msg.ResumeCmd())
            if was_paused and self._pb is None and self.machine.current is None:
                self._idle_since = self.clock()
        elif isinstance(cmd, events.Skip):
            self._feed(msg.SkipCurrent())
        elif isinstance(cmd, events.ClearQueue):
            ids = tuple(i.id for i in self.queue.ordered(self.machine.order_key))
            if ids:
                self._feed(msg.Cancel(ids, "cleared by operator"))
        elif isinstance(cmd, events.CancelSpeech):
            ids = set(cmd.ids)
            self.fillers.remove(ids)
            self.bridge_clips.remove(ids)
            self._feed(msg.Cancel(tuple(cmd.ids), cmd.reason or "cancelled"))
            self._done.bury(cmd.ids)

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
                self._held_start = action.event  # see _Playback.started
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
        self._pb = _Playback(item=item, pcm=pcm, pos=first, gap=gap, first_pos=first,
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

    # ---- bookkeeping -----------------------------------------------------------------------

    def _ahead_s(self) -> float:
        return self.sink.ahead_s()

    def _close_idle(self, now: float) -> None:
        if self._idle_since is not None:
            self._dead_air += max(0.0, now - self._idle_since - self._intended_pause())
        self._idle_since = None

    def _record_drop(self, item: Utterance) -> None:
        self.log.dropped(item)
        self._done.bury(item.id)

    def _publish(self, event, item: Utterance | None = None) -> None:
        """Publish on ``player.state``; an event about ``item`` carries the record's view as it
        is now (readers take what they need from it instead of joining channels by id)."""
        self._snapshot_dirty = True
        if item is not None:
            event = replace(event, utterance=item.view(self.wall_clock() - self.clock()))
        self.bus.publish(events.Channel.PLAYER_STATE, event)
