"""Fills the spoken record from the bus, so it lists exactly what played and why.

- ``player.state``: PlaybackStarted opens a row, PlaybackInterrupted closes it as interrupted,
  PlaybackFinished closes it normally, and UtteranceDropped closes it when the utterance was
  stopped while sounding and will not resume (the operator's 跳过 → skipped, a cancel, the live's
  end): a row is closed when its sound stopped, never later. Only one utterance sounds at a
  time, so a start also closes any row still open (its end was lost) at that start: no row ever
  runs past the next one's start. The player needs no knowledge of the store. Why it was
  said (product, the viewer and comment it answers, the text before the compliance filter, the
  live event it answers, the filter hits) comes with the start: the utterance's record
  (``PlaybackStarted.utterance``), so the row is whole when written — no second channel to
  wait for, no row to complete later.
- ``system``: every ``QuestionStatus`` is kept as the run's question record; ``LiveEnded`` ends
  the session.

One recorder is one session (场次): it is opened when the recorder is made and ended when it is
closed (or when the room's live ends).

A write that fails (full disk, a file locked by another program) never stops playback: it is
logged, counted in ``failures`` and reported as an ``ErrorReport`` on ``system`` (at most one
per ``REPORT_EVERY_S``), so the operator knows the record has a gap.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from app import events
from app.bus.base import Bus
from app.logs import get_logger
from app.store import safe
from app.store.labels import end_status_of_drop
from app.store.sessions import SessionLog
from app.store.spoken_log import SpokenLog

log = get_logger("store")

REPORT_EVERY_S = 30.0


class SpokenLogRecorder:
    def __init__(self, bus: Bus, spoken_log: SpokenLog, *, demo: bool = False,
                 product_name: Callable[[str], str | None] | None = None, clock=time.time,
                 monotonic=time.monotonic):
        self._log = spoken_log
        self._clock = clock
        self._monotonic = monotonic
        self.failures: Counter = Counter()  # write → times it failed
        self._reported_at: float | None = None
        self._bus = bus
        self._product_name = product_name
        self._names: dict[str, str] = {}  # product slug -> name, learnt from ProductOnAir
        self.sessions = SessionLog(spoken_log.path)
        self.session_id = self.sessions.open_session(clock(), demo=demo)
        self._subs = [bus.inbox("spoken-log", {events.Channel.PLAYER_STATE: self._on_player,
                                               events.Channel.SYSTEM: self._on_system})]

    # ---- bus handlers (one inbox: never two at once) ---------------------------------------------

    def _on_player(self, event) -> None:
        if isinstance(event, events.PlaybackStarted):
            now = self._clock()
            self._guard(self._close_lost, now)
            self._guard(self._log.record_played, utterance_id=event.id, text=safe.text(event.text), kind=event.kind,
                        priority=event.priority, route=event.route, resumed=event.resumed,
                        started_at=now, session_id=self.session_id, **self._why(event))
        elif isinstance(event, events.PlaybackInterrupted):
            self._guard(self._log.mark_interrupted, event.id, self._clock())
        elif isinstance(event, events.PlaybackFinished):
            self._guard(self._log.mark_finished, event.id, self._clock())
        elif isinstance(event, events.UtteranceDropped):
            # an utterance that never sounded, or was parked (its row closed as interrupted),
            # has no open row: nothing changes
            self._guard(self._log.mark_ended, event.id, self._clock(), end_status_of_drop(event.reason))
        elif isinstance(event, events.ProductOnAir) and event.slug and event.name:
            self._names[event.slug] = event.name

    def _on_system(self, event) -> None:
        if isinstance(event, events.QuestionStatus):
            self._guard(self.sessions.record_question, self.session_id, event)
        elif isinstance(event, events.LiveEnded):
            self._guard(self.sessions.end_session, self.session_id, event.ts or self._clock(), "live_end")

    # ---- helpers --------------------------------------------------------------------------------

    def _close_lost(self, at: float) -> None:
        """Rows still open when another utterance starts lost their end event: end them here."""
        lost = self._log.close_open_rows(self.session_id, at, "interrupted")
        if lost:
            log.warning("spoken record: %d row(s) had no end when the next utterance started; ended there", lost)

    def _why(self, event: events.PlaybackStarted) -> dict:
        """The row's why-it-was-said columns, from the utterance's record on the event (an event
        without one, from an older sender, leaves them empty)."""
        u = event.utterance
        if u is None:
            return {}
        return {"product": self._name_of(u.product), "viewer": safe.text(u.viewer), "comment": safe.text(u.comment),
                "original": safe.text(u.original) if u.original != u.text else "",
                "source_event": u.source_event or "", "filter_hits": u.hits or None}

    def _name_of(self, slug: str | None) -> str:
        if not slug:
            return ""
        if slug in self._names:
            return self._names[slug]
        if self._product_name is not None:
            try:
                return self._product_name(slug) or slug
            except Exception:  # a product being edited must not lose the row
                return slug
        return slug

    def _guard(self, fn, *args, **kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except Exception as exc:  # a full disk must not stop playback; it is logged loudly
            self._failed(getattr(fn, "__name__", str(fn)), exc)

    def _failed(self, what: str, exc: Exception) -> None:
        self.failures[what] += 1
        log.exception("spoken record: %s failed", what)
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
            log.exception("spoken record: cannot report the failure")

    def close(self) -> None:
        for sub in self._subs:
            self._bus.unsubscribe(sub)
        self._subs = []
        now = self._clock()
        self._guard(self._log.close_session_rows, self.session_id, now)
        self._guard(self.sessions.end_session, self.session_id, now, "stopped")
        self.sessions.close()
