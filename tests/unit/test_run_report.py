"""The run recorder: event-to-first-audio latency, counted once per event, in bounded memory."""

from __future__ import annotations

from app import events, run_report
from app.bus import MemoryBus
from app.run_report import RunRecorder


def comment(i: int, ts: float) -> events.LiveEvent:
    return events.LiveEvent(type="comment", msg_id=f"m{i}", room_id="r", ts=ts, text="多少钱")


def test_latency_is_counted_once_per_event_and_memory_stays_bounded(monkeypatch):
    monkeypatch.setattr(run_report, "REMEMBERED", 100)
    now = [1000.0]
    with MemoryBus("rec") as bus:
        rec = RunRecorder(bus, clock=lambda: now[0])
        for i in range(10_000):  # a long, busy room: likes, entries, comments nobody answers
            rec.handle(comment(i, 1000.0))
        assert len(rec._event_ts) <= 100
        rec.handle(comment(10_000, 1000.0))
        for n in (1, 2):  # two utterances answer the same comment: the first audio counts
            rec.handle(events.SpeechRequest(id=f"reply-{n}", text="89元", kind="reply", priority=0,
                                            source_event="m10000"))
        now[0] = 1000.8
        for n in (1, 2):
            rec.handle(events.PlaybackStarted(id=f"reply-{n}", kind="reply", text="89元", priority=0,
                                              duration_s=1.0))
        report = rec.latency_report()["event_to_first_audio"]
        assert report["count"] == 1 and report["p50"] == 800.0
        assert len(rec._request) <= 1  # requests are forgotten once they sound
