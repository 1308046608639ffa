"""What a run observed on the bus, for the headless report and the dashboard counters:
event-to-first-audio latency, health per component, reply drops, every viewer question (its
state is published as ``QuestionStatus`` for the dashboard) and the end of the live.

It watches only bus events, so it works the same whether the stages run in this process or
on other machines sharing one Redis. What it needs of an utterance (its kind, the live event it
answers, its group) comes with the player's events (``utterance=``, the record's view): it does
not read the requests.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from app import events
from app.bus import Bus
from app.questions import QuestionLedger
from app.recent import Recent

#: Recent live events remembered to match first audio to its cause: a reply is spoken within
#: minutes of its event, and a stream runs for hours at up to 2,000 events/s.
REMEMBERED = 20_000


def percentiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0, "p50": None, "p95": None, "max": None}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)

    return {"count": len(ordered), "p50": pick(0.50), "p95": pick(0.95), "max": round(ordered[-1], 1)}


class RunRecorder:
    def __init__(self, bus: Bus, *, clock: Callable[[], float] = time.time, remember: int = REMEMBERED):
        self.bus = bus
        self.clock = clock
        self._lock = threading.Lock()
        self._event_ts: Recent[str, float] = Recent(remember)  # live msg_id -> when it was received
        self.latency_ms: dict[str, list[float]] = {}  # kind -> samples
        self.health: dict[str, events.Health] = {}
        self.reply_dropped: Counter[str] = Counter()
        self.questions = QuestionLedger()
        self.live_ended_at: float | None = None
        self._subs = []

    def start(self) -> None:
        self._subs.append(self.bus.inbox("run-report", (
            *events.LIVE_CHANNELS, events.Channel.PLAYER_STATE, events.Channel.SYSTEM), self.handle))

    def stop(self) -> None:
        for sub in self._subs:
            self.bus.unsubscribe(sub)
        self._subs = []

    def handle(self, ev) -> None:
        now = self.clock()
        changed: list[events.QuestionStatus] = []
        with self._lock:
            if isinstance(ev, events.LiveEvent):
                self._event_ts[ev.msg_id] = ev.ts or now
            elif isinstance(ev, events.PlaybackStarted) and not ev.resumed:
                self._first_audio(ev.utterance, now)
                changed = self.questions.started(ev, now)
            elif isinstance(ev, events.UtteranceDropped):  # the player's, for failed synthesis too
                changed = self.questions.answer_gone(ev.id, ev.reason, ev.utterance)
            elif isinstance(ev, events.Health):
                self.health[ev.component] = ev
            elif isinstance(ev, events.QuestionSeen):
                changed = [self.questions.seen(ev)]
            elif isinstance(ev, events.Dropped) and ev.stage == "reply":
                self.reply_dropped[ev.reason.split(":")[0]] += 1
            elif isinstance(ev, events.Dropped) and ev.stage == "llm":
                changed = self.questions.job_dropped(ev.ref, ev.reason)
            elif isinstance(ev, events.LiveEnded) and self.live_ended_at is None:
                self.live_ended_at = ev.ts or now
        for status in changed:  # for the dashboard (outside the lock: publishing may block)
            self.bus.publish(events.Channel.SYSTEM, status)

    def _first_audio(self, utterance: events.UtteranceView | None, now: float) -> None:
        if utterance is None or not utterance.source_event:
            return
        received = self._event_ts.pop(utterance.source_event, None)  # gone once answered: counted once
        if received is None:
            return
        self.latency_ms.setdefault(utterance.kind, []).append((now - received) * 1000.0)

    def question_report(self) -> dict:
        with self._lock:
            rows = [{"msg_id": q.msg_id, "viewer": q.viewer, "text": q.text, "state": q.state,
                     "latency_s": q.latency_s, "answer": q.answer, "reason": q.reason}
                    for q in self.questions.statuses()]
            latency = percentiles([v * 1000.0 for v in self.questions.latencies])
            return {**self.questions.summary(), "answer_latency_ms": latency, "list": rows}

    def latency_report(self) -> dict:
        with self._lock:
            every = [v for samples in self.latency_ms.values() for v in samples]
            return {"event_to_first_audio": {**percentiles(every),
                                             "by_kind": {k: percentiles(v) for k, v in self.latency_ms.items()}}}
