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

Here: the stage (construction, lifecycle, verbs, live settings) and its inbox (what arrives and
how it is taken in). The thread that writes the sound and executes the state machine's actions
is ``app.audio.player_loop``; dead air, the report and the timed Health/AirtimeReport are
``app.audio.player_report``; the decisions are ``app.audio.state_machine``'s.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from app import events
from app.audio import machine_messages as msg
from app.audio import state_machine as sm
from app.audio.player_loop import Playback, PlayerLoop
from app.audio.player_report import PlayerReport
from app.audio.pools import ClipPool
from app.audio.queue import SpeechQueue
from app.audio.report import PlayLog
from app.audio.sinks import BYTES_PER_SAMPLE, Sink
from app.audio.utterance import Utterance
from app.bus.base import Bus
from app.director import Airtime, Director, DirectorSettings
from app.logs import get_logger
from app.media.wav import WavError, read_wav
from app.recent import Recent
from app.utterance import Tombstones

log = get_logger("audio")

_REMEMBER_IDS = 5000  # finished/cancelled ids kept to ignore late duplicates


class AudioPlayer(PlayerLoop, PlayerReport):
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
        self._pb: Playback | None = None
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
            ids = tuple(i.id for i in self.queue.items())  # (no order needed: Cancel takes a set)
            if ids:
                self._feed(msg.Cancel(ids, "cleared by operator"))
        elif isinstance(cmd, events.CancelSpeech):
            ids = set(cmd.ids)
            self.fillers.remove(ids)
            self.bridge_clips.remove(ids)
            self._feed(msg.Cancel(tuple(cmd.ids), cmd.reason or "cancelled"))
            self._done.bury(cmd.ids)

    # ---- bookkeeping -----------------------------------------------------------------------

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
