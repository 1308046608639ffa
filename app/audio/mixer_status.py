"""What the mixing sink reports: ``Health`` for the stream output, the monitor and the background
music on ``system``, ``MusicStatus`` on ``player.state`` (when something changed and every 5 s,
from the device upkeep), and its part of the run report (tracks, bad files, device changes,
the recording's files).

A mixin of ``MixingSink`` (``app/audio/mixer.py``), which owns the state and renders the mix.
"""

from __future__ import annotations

import time

from app import events


class MixerStatus:
    """Mixin: see the module docstring."""

    def publish_status(self, *, force: bool = True) -> None:
        """Publish the output, monitor and music status now (the device upkeep does this
        when something changed and every 5 s; ``force=False`` is the upkeep's rule)."""
        self._publish(force)

    def _publish(self, force: bool = False) -> None:
        now = self.clock()
        if self.bus is None or not (force or self._dirty or now - self._last_publish >= 5.0):
            return
        self._dirty = False
        self._last_publish = now
        ts = time.time()
        if self.monitor_note:
            self.bus.publish(events.Channel.SYSTEM, events.Health(
                component="audio:监听", status="degraded", detail=self.monitor_note, ts=ts))
        for component, out in (("audio:输出", self.main), ("audio:监听", self.monitor)):
            if out is not None:
                self.bus.publish(events.Channel.SYSTEM, events.Health(
                    component=component, status=out.status, detail=out.detail, ts=ts,
                    metrics={"lost": float(out.lost_count), "queued_ms": out.queued() * 1000.0 / self.sample_rate}))
        st = self.music.status()
        health = {"off": "off", "playing": "ok", "loading": "ok"}.get(st["state"], "degraded")
        if st["warning"] and health == "ok":
            health = "degraded"
        detail = st["detail"] + (f"；{st['warning']}" if st["warning"] else "")
        self.bus.publish(events.Channel.SYSTEM, events.Health(
            component="audio:音乐", status=health, detail=detail or "背景音乐未开启", ts=ts))
        self.bus.publish(events.Channel.PLAYER_STATE, events.MusicStatus(
            state=st["state"], title=st["title"], index=st["index"], count=st["count"], detail=detail, ts=ts))

    # ---- report ----------------------------------------------------------------------------

    def report(self) -> dict:
        m = self.music.report
        out = {"music": {"tracks_started": list(m.tracks_started), "bad_files": dict(m.bad_files),
                         "starved_s": round(m.starved_samples / self.sample_rate, 3), "skips": m.skips},
               "render_errors": self.render_errors}
        for key, dev in (("output", self.main), ("monitor", self.monitor)):
            if dev is not None:
                out[key] = {"target": dev.target, "status": dev.status, "lost": dev.lost_count,
                            "changes": list(dev.changes)}
        if self.monitor is not None:
            out["monitor"]["dropped_s"] = round(self._monitor_dropped / self.sample_rate, 3)
        if self.wav_path is not None:
            out["recording"] = [str(p) for p in (self.wav.files if self.wav else [self.wav_path])]
        return out
