"""The run recorder: event-to-first-audio latency, counted once per event, in bounded memory."""

from __future__ import annotations

from app import events
from app.bus import MemoryBus
from app.run_report import RunRecorder


def comment(i: int, ts: float) -> events.LiveEvent:
    return events.LiveEvent(type="comment", msg_id=f"m{i}", room_id="r", ts=ts, text="多少钱")


def answer(n: int, source: str) -> events.SpeechRequest:
    return events.SpeechRequest(id=f"reply-{n}", text="89元", kind="reply", priority=0, source_event=source)


def sounds(n: int) -> events.PlaybackStarted:
    return events.PlaybackStarted(id=f"reply-{n}", kind="reply", text="89元", priority=0, duration_s=1.0)


def test_latency_is_counted_once_per_event_and_memory_stays_bounded():
    now = [1000.0]
    with MemoryBus("rec") as bus:
        rec = RunRecorder(bus, clock=lambda: now[0], remember=100)
        for i in range(10_000):  # a long, busy room: likes, entries, comments nobody answers
            rec.handle(comment(i, 1000.0))
        rec.handle(comment(10_000, 1000.0))
        rec.handle(answer(0, "m0"))  # an answer to a comment 10,000 events ago: long forgotten
        for n in (1, 2):  # two utterances answer the same comment: the first audio counts
            rec.handle(answer(n, "m10000"))
        now[0] = 1000.8
        for n in (0, 1, 2):
            rec.handle(sounds(n))
        report = rec.latency_report()["event_to_first_audio"]
        assert report["count"] == 1 and report["p50"] == 800.0
        rec.handle(sounds(1))  # the same utterance sounding again (resumed, repeated) adds nothing
        assert rec.latency_report()["event_to_first_audio"]["count"] == 1


def test_requests_beyond_the_memory_are_forgotten_oldest_first():
    now = [1000.0]
    with MemoryBus("rec") as bus:
        rec = RunRecorder(bus, clock=lambda: now[0], remember=3)
        for i in range(5):
            rec.handle(comment(i, 1000.0))
        for i in range(5):
            rec.handle(answer(i, f"m{i}"))
        now[0] = 1001.0
        for i in range(5):
            rec.handle(sounds(i))
        # only the newest 3 requests (and events) were remembered when their audio came
        assert rec.latency_report()["event_to_first_audio"]["count"] == 3
