"""The runtime's observation side: health per component and the headless report of design §8,
put together from the stages' own reports and the bus events the ``RunRecorder``
(``app/run_report.py``) gathered.

A mixin of ``Runtime`` (``app/runtime.py``), which owns the stages and the recorder.
"""

from __future__ import annotations

import time

from app import events


class RuntimeReport:
    """Mixin: see the module docstring."""

    def health(self) -> dict[str, events.Health]:
        out = dict(self.recorder.health)
        out["bus"] = self.bus.health()
        if "llm" not in out and (off := self._llm_off_reason()):
            out["llm"] = events.Health(component="llm", status="off", detail=off, ts=time.time())
        return out

    def report(self) -> dict:
        """The headless report of design §8 (times in seconds since the run started)."""
        player = self.player.report() if self.player else {"played": [], "dropped": [], "dead_air_s": 0.0}
        tts = self.tts.report() if self.tts else {}
        feed = self.listener.stats() if self.listener else {}
        return {
            "played": player.get("played", []),
            "dropped": list(player.get("dropped", [])),  # the player's: failed synthesis included
            "dead_air_s": player.get("dead_air_s", 0.0),
            "startup_silence_s": player.get("startup_silence_s"),
            "interrupts": player.get("interrupts", {}),
            "latency_ms": self.recorder.latency_report(),
            "tts": tts,
            "feed": {k: feed.get(k, 0) for k in ("frames", "decoded", "bad_frames", "reconnects")} | {
                "detail": feed},
            "reply": {"dropped_by_reason": dict(self.recorder.reply_dropped),
                      **(self.reply.counters() if self.reply else {})},
            "director": self._director_report(player),
            "questions": self.recorder.question_report(),
            "live_end": {"at_s": round(self.recorder.live_ended_at - self._started_at, 3)}
            if self.recorder.live_ended_at is not None and self._started_at is not None else None,
            "notes": list(self.notes),
            "audio_out": self.player.sink.report() if self.player and hasattr(self.player.sink, "report") else {},
        }

    @staticmethod
    def _director_report(player: dict) -> dict:
        """Spoken time by class (script, answer, thanks, other), overall and per minute, and the
        script segments broken off by interactions: resumed, or not and why."""
        airtime = player.get("airtime", {"total_s": {}, "per_minute": []})
        total = sum(airtime["total_s"].values())
        shares = {cls: round(v / total, 3) if total else None for cls, v in airtime["total_s"].items()}
        return {"spoken_s": airtime["total_s"], "share": shares, "per_minute": airtime["per_minute"],
                "script_breaks": player.get("interrupts", {}).get("script", {})}
