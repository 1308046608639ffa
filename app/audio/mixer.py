"""The sink the live room plays through: the player's voice, background music under it, sent to
the stream device, the operator's monitor and/or a WAV recording — all the same mix.

It keeps the ``Sink`` interface the player knows (``PacedSink``'s timeline: what the player
wrote is heard when the timeline reaches it, silence where it wrote nothing), and renders that
timeline itself, a few milliseconds at a time, on its own thread:

- the stream device's queue is the clock: the mix is kept ``lead_ms`` ahead of what the device
  has played; with no device (WAV, null) or while the device is lost, the monotonic clock
  paces it, so the live, the recording and the timings go on;
- voice = the samples the player wrote with a tag; the music ducks under them by ``duck_db``
  (attack ``duck_attack_ms``, release ``duck_release_ms``, held through the short pauses between
  utterances) and comes back up in the gaps; the player writes ahead of the render, so the
  duck starts before the first word;
- music fills every silence, dead air included.

Live settings (``apply``): music on/off, folder, order, level, duck depth and times, the
devices and the monitor volume. Reports: ``Health`` for the output, the monitor and the music
on ``system``; ``MusicStatus`` on ``player.state`` (``app.audio.mixer_status``); ``SkipTrack``
on ``control`` skips a track.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app import events
from app.audio.devices import DeviceOutput
from app.audio.gains import Ducker, Glide
from app.audio.mixer_status import MixerStatus
from app.audio.music import MusicPlayer
from app.audio.output_settings import MusicSettings, OutputSettings
from app.audio.sinks import BYTES_PER_SAMPLE, PacedSink
from app.logs import get_logger
from app.media.wav import WavRecorder

log = get_logger("audio")

LEVEL_RAMP_S = 0.5  # volume changes and music on/off glide over this
MAX_BLOCK_S = 0.1  # a long silence is rendered in pieces
DEVICE_UPKEEP_S = 0.2  # how often a lost output is looked for again and status changes are published


class MixingSink(PacedSink, MixerStatus):
    """``device``: play on the stream device; ``wav_path``: record the mix there (either, both
    or neither; the monitor comes from ``settings``)."""

    device_buffer = 0  # the player's chunks do not go to the device as they are

    def __init__(self, sample_rate: int, settings: OutputSettings, *, device: bool = False,
                 wav_path: str | Path | None = None, bus=None, pacer: bool = True,
                 output_factory: Callable[..., DeviceOutput] = DeviceOutput, music_seed: int | None = None,
                 music_ahead_s: float = 4.0,
                 buffer_ms: float = 150.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        super().__init__(sample_rate, buffer_ms=buffer_ms, clock=clock, sleep=sleep)
        self.name = "device" if device else ("wav" if wav_path else "null")
        self.settings = settings
        self.bus = bus
        self.wav_path = Path(wav_path) if wav_path else None
        self._pacer_on = pacer
        self._make_output = output_factory
        self.lead = int(sample_rate * settings.lead_ms / 1000) if device else 0
        self.main = self._output("输出", settings.device, fallback=True) if device else None
        self.monitor: DeviceOutput | None = None
        self.monitor_note = ""  # why a requested monitor is not open
        tracks = settings.music
        self.music = MusicPlayer(sample_rate, folder=tracks.folder, shuffle=tracks.shuffle,
                                 ahead_s=music_ahead_s, seed=music_seed, on_change=self._mark_dirty)
        self.wav: WavRecorder | None = None
        self._rendered = 0
        self._anchor = (0.0, 0)  # (clock, timeline position) the clock-paced cursor counts from
        self.ducker = Ducker(sample_rate)  # the music under the voice
        self.level = Glide(sample_rate, LEVEL_RAMP_S)  # music volume and on/off
        self._monitor_gain = settings.monitor_volume
        self._monitor_dropped = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._dirty = True
        self._last_publish = 0.0
        self._sub = None
        self.render_errors = 0

    def _output(self, role: str, target: str, *, fallback: bool) -> DeviceOutput:
        return self._make_output(role, target, self.sample_rate, fallback=fallback,
                                 on_change=lambda status, detail: self._mark_dirty())

    def _mark_dirty(self) -> None:
        self._dirty = True

    # ---- lifecycle -------------------------------------------------------------------------

    def open(self) -> None:
        from app.audio.sinks import SinkError

        if self.main is not None and not self.main.open():
            raise SinkError(f"声卡打不开：{self.main.detail}")
        if self.wav_path is not None:
            try:
                self.wav_path.parent.mkdir(parents=True, exist_ok=True)
                self.wav = WavRecorder(self.wav_path, self.sample_rate, info=self.settings.wav_info)
            except OSError as exc:
                self._close_outputs()
                raise SinkError(f"wav sink: cannot write {self.wav_path}: {exc.strerror or exc}") from None
        self._apply_monitor(self.settings)
        self._apply_music(self.settings.music, initial=True)
        super().open()
        self._anchor = (self.clock(), 0)
        if self._pacer_on:
            self._stop.clear()
            loops = [(self._pace, "audio-mixer")]
            if self.bus is None:
                loops.append((self._maintain, "audio-devices"))
            for target, name in loops:
                t = threading.Thread(target=target, name=name, daemon=True)
                t.start()
                self._threads.append(t)
        if self.bus is not None:
            # device upkeep as the tick of the sink's inbox (no thread of its own), on the same
            # turns as the operator's music commands
            self._sub = self.bus.inbox("audio-output", {events.Channel.CONTROL: self._on_control},
                                       tick=self._maintain_once if self._pacer_on else None,
                                       every=DEVICE_UPKEEP_S if self._pacer_on else None)

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(2.0)
        self._threads.clear()
        if self._sub is not None and self.bus is not None:
            self.bus.unsubscribe(self._sub)
            self._sub = None
        super().close()  # renders what was written: a device plays its buffer out
        self.music.set_active(False)
        self.music.stop()
        self._close_outputs()
        self._publish(force=True)  # "stopped", not a fault: the dashboard must not show red

    def _close_outputs(self) -> None:
        for out in (self.main, self.monitor):
            if out is not None:
                out.close()
        if self.wav is not None:
            try:
                self.wav.close()
            except OSError:
                log.exception("closing the recording %s failed", self.wav_path)
            self.wav = None

    # ---- live settings ---------------------------------------------------------------------

    def apply(self, settings: OutputSettings) -> None:
        """New settings while playing: the next render uses them (gains glide, no click)."""
        with self._lock:
            old, self.settings = self.settings, settings
        if self.main is not None and settings.device != old.device:
            self.main.set_target(settings.device)
        self._apply_monitor(settings)
        self._apply_music(settings.music)
        self._mark_dirty()

    def _apply_monitor(self, settings: OutputSettings) -> None:
        self._monitor_gain = settings.monitor_volume
        same = self.main is not None and settings.monitor_device == settings.device
        if settings.monitor and same:
            # the same device twice would play every word twice on air
            if self.monitor is not None:
                self.monitor.close()
                self.monitor = None
            self.monitor_note = "监听设备和直播输出是同一个设备，没有开启监听（否则直播里每句话会放两遍）"
            log.warning("monitor not opened: %s", self.monitor_note)
            self._mark_dirty()
            return
        self.monitor_note = ""
        if settings.monitor and self.monitor is None:
            monitor = self._output("监听", settings.monitor_device, fallback=False)
            monitor.open()  # a monitor that cannot open is retried; never an error for the room
            self.monitor = monitor
        elif not settings.monitor and self.monitor is not None:
            monitor, self.monitor = self.monitor, None
            monitor.close()
        elif self.monitor is not None:
            self.monitor.set_target(settings.monitor_device)

    def _apply_music(self, music: MusicSettings, *, initial: bool = False) -> None:
        self.music.configure(music.folder, music.shuffle)
        self.music.set_active(music.enabled)
        if music.enabled:
            self.music.start()
        if initial:
            self.level.value = 0.0  # fade in from silence at the start

    # ---- the timeline ----------------------------------------------------------------------

    def _device(self) -> int:
        """Where the next rendered sample goes: ``lead`` ahead of what the stream device has
        played while it plays; else counted from the clock."""
        main = self.main
        if main is not None and main.pacing:
            pos = self._rendered + max(0, self.lead - main.queued())
            self._anchor = (self.clock(), pos)
            return pos
        t, pos = self._anchor
        return max(self._rendered, pos + int((self.clock() - t) * self.sample_rate))

    def ahead_s(self) -> float:
        """Seconds until the last written sample is heard: not rendered yet + in the device."""
        with self._lock:
            if self._t0 is None:
                return 0.0
            main = self.main
            if main is not None and main.pacing:
                return (max(0, self._end - self._rendered) + main.queued()) / self.sample_rate
            return max(0, self._end - self._device()) / self.sample_rate

    def pump(self) -> None:
        """Render up to the cursor now (the pacer thread does this every few ms)."""
        with self._lock:
            if self._t0 is not None:
                self._settle()

    def _commit(self, pcm: bytes) -> None:
        self._render(np.frombuffer(pcm, dtype="<i2"))

    def _commit_silence(self, samples: int) -> None:
        while samples > 0:
            n = min(samples, int(MAX_BLOCK_S * self.sample_rate))
            self._render(None, n)
            samples -= n

    def _render(self, voice: np.ndarray | None, n: int | None = None) -> None:
        n = len(voice) if voice is not None else n
        if not n:
            return
        music = self.settings.music
        target = music.gain
        if target == 0.0 and self.level.value == 0.0:
            pcm = voice.astype("<i2").tobytes() if voice is not None else bytes(n * BYTES_PER_SAMPLE)
        else:
            mix = voice.astype(np.float32) / 32768.0 if voice is not None else np.zeros(n, np.float32)
            level = self.level.gains(target, n)
            duck = self.ducker.gains(self._rendered, n, self._segments, music.duck_db, music.duck_attack_ms,
                                     music.duck_release_ms)
            mix += self.music.read(n) * level * duck
            pcm = (np.clip(mix, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes()
        self._rendered += n
        self._send(pcm)

    def write(self, pcm: bytes, tag: str | None = None) -> None:
        with self._lock:
            if tag is not None and self._music_up():
                # Speech after a pause, with the music up: start the duck first, so the first
                # word is not said over full music (``duck_attack_ms`` more latency, after silence only;
                # the buffer was empty, so there is room for both).
                music = self.settings.music
                attack = int(music.duck_attack_ms / 1000 * self.sample_rate)
                self._append(bytes(attack * BYTES_PER_SAMPLE), None)
                self._append(pcm, tag)
                return
        super().write(pcm, tag)

    def _music_up(self) -> bool:
        depth = self.settings.music.duck_db
        if self._t0 is None or self.level.value == 0.0 or depth <= 0:
            return False
        self._settle()
        nothing_ahead = self._end <= self._rendered
        return nothing_ahead and self.ducker.db > -depth / 2

    def flush(self) -> int:
        with self._lock:
            dropped = super().flush()
            self.ducker.segments_cut(len(self._segments))
            return dropped

    def _send(self, pcm: bytes) -> None:
        if self.main is not None:
            self.main.write(pcm)
        monitor = self.monitor
        if monitor is not None and monitor.pacing:
            # its own clock drifts from the stream device's: never let it fall far behind
            if monitor.queued() > 3 * max(self.lead, self.sample_rate // 10):
                self._monitor_dropped += len(pcm) // BYTES_PER_SAMPLE
            else:
                gain = self._monitor_gain
                data = pcm if gain == 1.0 else (np.frombuffer(pcm, "<i2") * gain).astype("<i2").tobytes()
                monitor.write(data)
        if self.wav is not None:
            try:
                self.wav.write(pcm)
            except OSError as exc:  # a full disk ends the recording, never the room
                log.error("recording %s stopped: %s", self.wav_path, exc)
                self.wav = None

    # ---- threads ---------------------------------------------------------------------------

    def _pace(self) -> None:
        period = max(0.002, min(0.01, self.lead / self.sample_rate / 4 or 0.01))
        while not self._stop.wait(period):
            try:
                self.pump()
            except Exception:  # the room must not go silent over one bad block
                self.render_errors += 1
                log.exception("audio mixer: rendering failed")

    def _maintain(self) -> None:
        while not self._stop.wait(DEVICE_UPKEEP_S):
            self._maintain_once()

    def _maintain_once(self) -> None:
        """Reopen a lost device, fall back or come back, and report what changed."""
        if self._stop.is_set():
            return
        try:
            for out in (self.main, self.monitor):
                if out is not None:
                    out.maintain()
            self._publish()
        except Exception:
            log.exception("audio device upkeep failed")

    # ---- bus -------------------------------------------------------------------------------

    def _on_control(self, ev) -> None:
        if isinstance(ev, events.SkipTrack):
            self.music.skip()
