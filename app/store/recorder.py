"""Fills the spoken log from the player's own events, so the log lists exactly what played.

Subscribes to ``player.state``: PlaybackStarted opens a row, PlaybackInterrupted closes it as
interrupted, PlaybackFinished closes it normally. The player needs no knowledge of the store.
"""

from __future__ import annotations

import time

from app import events
from app.bus.base import Bus, Subscription
from app.logs import get_logger
from app.store.spoken_log import SpokenLog

log = get_logger("store")


class SpokenLogRecorder:
    def __init__(self, bus: Bus, spoken_log: SpokenLog, *, clock=time.time):
        self._log = spoken_log
        self._clock = clock
        self._sub: Subscription = bus.subscribe(events.Channel.PLAYER_STATE, self._on_event)
        self._bus = bus

    def _on_event(self, event) -> None:
        try:
            if isinstance(event, events.PlaybackStarted):
                self._log.record_played(utterance_id=event.id, text=event.text, kind=event.kind,
                                        priority=event.priority, route=event.route,
                                        resumed=event.resumed, started_at=self._clock())
            elif isinstance(event, events.PlaybackInterrupted):
                self._log.mark_interrupted(event.id, self._clock())
            elif isinstance(event, events.PlaybackFinished):
                self._log.mark_finished(event.id, self._clock())
        except Exception:  # a full disk must not stop playback; it is logged loudly
            log.exception("spoken log: cannot record %r", event)

    def close(self) -> None:
        self._bus.unsubscribe(self._sub)
