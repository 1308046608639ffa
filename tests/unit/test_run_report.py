"""The run recorder: event-to-first-audio latency, counted once per event, in bounded memory."""

from __future__ import annotations

from app import events
from app.bus import MemoryBus
from app.run_report import RunRecorder


def comment(i: int, ts: float) -> events.LiveEvent:
    return events.LiveEvent(type="comment", msg_id=f"m{i}", room_id="r", ts=ts, text="多少钱")


def sounds(n: int, source: str | None = None, *, kind: str = "reply", group: str | None = None,
           resumed: bool = False) -> events.PlaybackStarted:
    """The player's start of utterance ``reply-<n>``, with its record (the live event it answers)."""
    uid = f"reply-{n}"
    return events.PlaybackStarted(id=uid, kind=kind, text="89元", priority=0, duration_s=1.0, resumed=resumed,
                                  utterance=events.UtteranceView(id=uid, kind=kind, text="89元", source_event=source,
                                                                 group=group, state="playing"))


def test_latency_is_counted_once_per_event_and_memory_stays_bounded():
    now = [1000.0]
    with MemoryBus("rec") as bus:
        rec = RunRecorder(bus, clock=lambda: now[0], remember=100)
        for i in range(10_000):  # a long, busy room: likes, entries, comments nobody answers
            rec.handle(comment(i, 1000.0))
        rec.handle(comment(10_000, 1000.0))
        now[0] = 1000.8
        rec.handle(sounds(0, "m0"))  # an answer to a comment 10,000 events ago: long forgotten
        for n in (1, 2):  # two utterances answer the same comment: the first audio counts
            rec.handle(sounds(n, "m10000"))
        report = rec.latency_report()["event_to_first_audio"]
        assert report["count"] == 1 and report["p50"] == 800.0 and list(report["by_kind"]) == ["reply"]
        rec.handle(sounds(1, "m10000", resumed=True))  # the same utterance sounding again adds nothing
        assert rec.latency_report()["event_to_first_audio"]["count"] == 1


def test_events_beyond_the_memory_are_forgotten_oldest_first():
    now = [1000.0]
    with MemoryBus("rec") as bus:
        rec = RunRecorder(bus, clock=lambda: now[0], remember=3)
        for i in range(5):
            rec.handle(comment(i, 1000.0))
        now[0] = 1001.0
        for i in range(5):
            rec.handle(sounds(i, f"m{i}"))
        # only the newest 3 events were remembered when their audio came
        assert rec.latency_report()["event_to_first_audio"]["count"] == 3


def question(msg_id: str, job: str) -> events.QuestionSeen:
    return events.QuestionSeen(msg_id=msg_id, ts=1000.0, viewer="小美", text="能便宜点吗", answer="llm", answer_id=job)


def dropped(n: int, reason: str, group: str) -> events.UtteranceDropped:
    uid = f"reply-{n}"
    return events.UtteranceDropped(id=uid, reason=reason, utterance=events.UtteranceView(
        id=uid, kind="llm", group=group, state="dropped", reason=reason))


def test_an_llm_answer_is_matched_to_its_question_by_the_group_on_the_players_events():
    """No request is read: the record on the player's events names the answer's job."""
    now = [1000.0]
    with MemoryBus("rec") as bus:
        rec = RunRecorder(bus, clock=lambda: now[0])
        for q in (question("q1", "job-a"), question("q2", "job-b"), question("q3", "job-c")):
            rec.handle(q)
        now[0] = 1003.5
        rec.handle(sounds(1, kind="llm", group="job-a"))
        rec.handle(dropped(2, "synthesis failed: all routes down", "job-b"))  # its only sentence failed
        rec.handle(dropped(3, "stale: deadline passed 2.0s ago", "job-c"))  # one sentence lost …
        now[0] = 1005.0
        rec.handle(sounds(4, kind="llm", group="job-c"))  # … and the next one is heard: answered after all
        report = rec.question_report()
    by_id = {q["msg_id"]: q for q in report["list"]}
    assert (by_id["q1"]["state"], by_id["q1"]["latency_s"]) == ("answered", 3.5)
    assert (by_id["q2"]["state"], by_id["q2"]["reason"]) == ("unanswered", "语音合成失败")
    assert (by_id["q3"]["state"], by_id["q3"]["latency_s"]) == ("answered", 5.0)
    assert (report["answered"], report["unanswered_by_reason"]) == (2, {"语音合成失败": 1})
