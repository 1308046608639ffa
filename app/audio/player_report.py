"""What the player tells the operator: dead air as it measures it (every silence beyond the
intended pause, start-up included), its part of the headless report, and the ``Health`` and
``AirtimeReport`` it publishes on a timer for the dashboard (the GUI may be in another process
and cannot hear the audio). The played and dropped lists are ``app.audio.report.PlayLog``'s.

A mixin of ``AudioPlayer`` (``app/audio/player.py``), which owns the state.
"""

from __future__ import annotations

import time

from app import events

#: Before the first sound, a pause this long is the first line being synthesised, not dead air.
STARTUP_GRACE_S = 1.0


class PlayerReport:
    """Mixin: see the module docstring."""

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

    def _close_idle(self, now: float) -> None:
        if self._idle_since is not None:
            self._dead_air += max(0.0, now - self._idle_since - self._intended_pause())
        self._idle_since = None
