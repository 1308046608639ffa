"""Fills the spoken record from the bus, so it lists exactly what played and why.

- ``player.state``: PlaybackStarted opens a row, PlaybackInterrupted closes it as interrupted,
  PlaybackFinished closes it normally. The player needs no knowledge of the store.
- ``speech.requests`` and ``speech.ready``: the request of each utterance says why it was said
  (product, the viewer and comment it answers, the text before the compliance filter). The
  request usually arrives long before its playback; when it comes late (on Redis it travels on
  a stream, read apart from the pub/sub channels) the row already written is completed. Its
  compliance filter hits (``SpeechRequest.hits``) fill the row's ``filter_hits``.
- ``system``: every ``QuestionStatus`` is kept as the run's question record; ``LiveEnded`` ends
  the session.

One recorder is one session (场次): it is opened when the recorder is made and ended when it is
closed (or when the room's live ends).

A write that fails (full disk, a file locked by another program) never stops playback: it is
logged, counted in ``failures`` and reported as an ``ErrorReport`` on ``system`` (at most one
per ``REPORT_EVERY_S``), so the operator knows the record has a gap.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from app import events
from app.bus.base import Bus
from app.logs import get_logger
from app.recent import Recent
from app.store import safe
from app.store.sessions import SessionLog
from app.store.spoken_log import SpokenLog

log = get_logger("store")

#: Requests remembered until they play (the look-ahead keeps a few minutes of script ahead).
REMEMBERED = 20_000
REPORT_EVERY_S = 30.0


@dataclass(frozen=True)
class _Context:
    product: str
    viewer: str
    comment: str
    original: str
    source_event: str
    filter_hits: tuple | None = None  # None: none found (hits noted otherwise stay)


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
        self._lock = threading.Lock()
        self._context: Recent[str, _Context] = Recent(REMEMBERED)  # utterance id -> why it was said
        self._bare: Recent[str, bool] = Recent(REMEMBERED)  # ids played before their request was seen
        self.sessions = SessionLog(spoken_log.path)
        self.session_id = self.sessions.open_session(clock(), demo=demo)
        self._subs = [bus.inbox("spoken-log", {events.Channel.PLAYER_STATE: self._on_player,
                                               events.Channel.SPEECH_REQUESTS: self._on_request,
                                               events.Channel.SPEECH_READY: self._on_request,
                                               events.Channel.SYSTEM: self._on_system})]

    # ---- bus handlers (one inbox: never two at once) ---------------------------------------------

    def _on_request(self, event) -> None:
        req = event.request if isinstance(event, (events.SpeechReady, events.SpeechFailed)) else event
        if not isinstance(req, events.SpeechRequest):
            return
        ctx = _Context(product=self._name_of(req.product), viewer=req.viewer, comment=req.comment,
                       original=req.original if req.original != req.text else "",
                       source_event=req.source_event or "", filter_hits=req.hits or None)
        if not any((ctx.product, ctx.viewer, ctx.comment, ctx.original, ctx.source_event, ctx.filter_hits)):
            return
        with self._lock:
            self._context[req.id] = ctx
            late = self._bare.pop(req.id, None) is not None
        if late:
            self._guard(self._log.fill_context, req.id, **ctx.__dict__)

    def _on_player(self, event) -> None:
        if isinstance(event, events.PlaybackStarted):
            with self._lock:
                ctx = self._context.get(event.id)
                if ctx is None:
                    self._bare[event.id] = True
            self._guard(self._log.record_played, utterance_id=event.id, text=safe.text(event.text), kind=event.kind,
                        priority=event.priority, route=event.route, resumed=event.resumed,
                        started_at=self._clock(), session_id=self.session_id,
                        **(ctx.__dict__ if ctx else {}))
        elif isinstance(event, events.PlaybackInterrupted):
            self._guard(self._log.mark_interrupted, event.id, self._clock())
        elif isinstance(event, events.PlaybackFinished):
            with self._lock:
                self._context.pop(event.id, None)
            self._guard(self._log.mark_finished, event.id, self._clock())
        elif isinstance(event, events.ProductOnAir) and event.slug and event.name:
            self._names[event.slug] = event.name

    def _on_system(self, event) -> None:
        if isinstance(event, events.QuestionStatus):
            self._guard(self.sessions.record_question, self.session_id, event)
        elif isinstance(event, events.LiveEnded):
            self._guard(self.sessions.end_session, self.session_id, event.ts or self._clock(), "live_end")

    # ---- helpers --------------------------------------------------------------------------------

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
