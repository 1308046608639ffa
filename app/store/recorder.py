"""Fills the spoken log from the player's own events, so the log lists exactly what played.

Subscribes to ``player.state``: PlaybackStarted opens a row, PlaybackInterrupted closes it as
interrupted, PlaybackFinished closes it normally. The player needs no knowledge of the store.

A write that fails (full disk, a file locked by another program) never stops playback: it is
logged, counted in ``failures`` and reported as an ``ErrorReport`` on ``system`` (at most one
per ``REPORT_EVERY_S``), so the operator knows the record has a gap.
"""

from __future__ import annotations

import time
from collections import Counter

from app import events
from app.bus.base import Bus, Subscription
from app.logs import get_logger
from app.store import safe
from app.store.spoken_log import SpokenLog

log = get_logger("store")

REPORT_EVERY_S = 30.0


class SpokenLogRecorder:
    def __init__(self, bus: Bus, spoken_log: SpokenLog, *, clock=time.time, monotonic=time.monotonic):
        self._log = spoken_log
        self._clock = clock
        self._monotonic = monotonic
        self.failures: Counter = Counter()  # event type → writes that failed
        self._reported_at: float | None = None
        self._sub: Subscription = bus.subscribe(events.Channel.PLAYER_STATE, self._on_event)
        self._bus = bus

    def _on_event(self, event) -> None:
        try:
            if isinstance(event, events.PlaybackStarted):
                self._log.record_played(utterance_id=event.id, text=safe.text(event.text), kind=event.kind,
                                        priority=event.priority, route=event.route,
                                        resumed=event.resumed, started_at=self._clock())
            elif isinstance(event, events.PlaybackInterrupted):
                self._log.mark_interrupted(event.id, self._clock())
            elif isinstance(event, events.PlaybackFinished):
                self._log.mark_finished(event.id, self._clock())
        except Exception as exc:  # a full disk must not stop playback; it is logged loudly
            self._failed(event, exc)

    def _failed(self, event, exc: Exception) -> None:
        kind = type(event).__name__
        self.failures[kind] += 1
        log.exception("spoken log: cannot record %r", event)
        now = self._monotonic()
        if self._reported_at is not None and now - self._reported_at < REPORT_EVERY_S:
            return
        self._reported_at = now
        try:
            self._bus.publish(events.Channel.SYSTEM, events.ErrorReport(
                component="store", ts=time.time(),
                message=f"播出记录写入失败（{type(exc).__name__}: {exc}），播出记录缺少 "
                        f"{sum(self.failures.values())} 条；直播继续。请检查磁盘空间和日志。"))
        except Exception:
            log.exception("spoken log: cannot report the failure")

    def close(self) -> None:
        self._bus.unsubscribe(self._sub)
