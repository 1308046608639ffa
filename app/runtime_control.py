"""The runtime's operator side: the commands the GUI and the headless command give (published
on ``control``, so a GUI in another process works the same), what the runtime itself does on
``control`` (say now, 插播音频, reload the config) and the end of the live.

A mixin of ``Runtime`` (``app/runtime.py``), which owns the state and the stages it reaches.
"""

from __future__ import annotations

import threading
import time

from app import events
from app.logs import get_logger
from app.playfile import PlayFileError, prepare_play_file
from app.saynow import say_now_events

log = get_logger("runtime")
Channel = events.Channel


class RuntimeControl:
    """Mixin: see the module docstring."""

    def pause(self) -> None:
        self.bus.publish(Channel.CONTROL, events.Pause())

    def resume(self) -> None:
        self.bus.publish(Channel.CONTROL, events.Resume())

    def skip(self) -> None:
        self.bus.publish(Channel.CONTROL, events.Skip())

    def clear_queue(self) -> None:
        self.bus.publish(Channel.CONTROL, events.ClearQueue())

    def say_now(self, text: str, priority: int = events.Priority.EMERGENCY) -> None:
        self.bus.publish(Channel.CONTROL, events.SayNow(text=text, priority=int(priority)))

    def switch_product(self, slug: str) -> None:
        self.bus.publish(Channel.CONTROL, events.SwitchProduct(slug=slug))

    def pin_product(self, slug: str | None) -> None:
        self.bus.publish(Channel.CONTROL, events.PinProduct(slug=slug))

    # ---- the end of the live -------------------------------------------------------------------

    @property
    def live_ended(self) -> bool:
        return self.recorder.live_ended_at is not None or self._live_ended

    def _on_live_event(self, ev) -> None:
        if isinstance(ev, events.LiveEvent) and ev.type == "live_end":
            self.end_live(ev.room_id)

    def end_live(self, room_id: str = "") -> None:
        """Our room's live ended (dy-barrage-grab Type 9): the room goes silent at once and says
        nothing more; the dashboard and the report are told."""
        with self._lock:
            if self._live_ended or not self.running:
                return
            self._live_ended = True
            for stage in (self.player, self.scheduler, self.reply):
                if stage is not None:
                    stage.end_live()
        log.warning("our room's live ended: the room is silent")
        self.bus.publish(Channel.SYSTEM, events.LiveEnded(room_id=room_id, ts=time.time()))

    def _on_control(self, cmd) -> None:
        if isinstance(cmd, events.SayNow):
            self._say_now(cmd)
        elif isinstance(cmd, events.ReloadConfig):
            self.config.reload(force=True)
        elif isinstance(cmd, events.PlayFile):  # decoding may take a moment: not on the bus thread
            threading.Thread(target=self._play_file, args=(cmd, f"file-{next(self._ids)}"),
                             name="play-file", daemon=True).start()

    def _say_now(self, cmd: events.SayNow) -> None:
        for channel, event in say_now_events(cmd, utterance_id=f"say-{next(self._ids)}", now=time.time(),
                                             prepare=self.preparer):
            self.bus.publish(channel, event)

    def _play_file(self, cmd: events.PlayFile, utterance_id: str) -> None:
        """插播音频: the file goes to the player as a ready say_now item; a file that cannot be
        played is reported to the operator, and the room goes on."""
        tts, out_dir = self.tts, self._speech_dir
        if tts is None or out_dir is None:
            return
        try:
            ready = prepare_play_file(cmd, utterance_id=utterance_id, out_dir=out_dir,
                                      sample_rate=tts.settings.post.output_rate,
                                      target_dbfs=tts.settings.post.loudness_target_db,
                                      peak_dbfs=tts.settings.post.peak_dbfs)
        except PlayFileError as exc:
            log.warning("%s", exc)
            self.bus.publish(Channel.SYSTEM, events.ErrorReport(component="插播音频", message=str(exc),
                                                                 ts=time.time()))
            return
        except Exception as exc:  # bad data from outside never kills a thread silently
            log.exception("play file %s failed", cmd.path)
            self.bus.publish(Channel.SYSTEM, events.ErrorReport(
                component="插播音频", message=f"插播音频失败：{type(exc).__name__}: {exc}", ts=time.time()))
            return
        log.info("play file %s as %s (%.1f s)", cmd.path, utterance_id, ready.duration_s)
        self.bus.publish(Channel.SPEECH_READY, ready)

