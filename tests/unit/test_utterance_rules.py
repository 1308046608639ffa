"""The rules about one utterance that several stages share (app/utterance.py)."""

from __future__ import annotations

from app.utterance import Tombstones, group_of, is_urgent, sentence_id, stale_in, stale_reason


def test_stale_by_deadline_and_by_waiting_too_long_after_a_cut():
    assert stale_reason(100.0, 99.0) is None
    assert stale_reason(100.0, 101.25) == "stale: deadline passed 1.2s ago"
    assert stale_reason(None, 1e9) is None
    assert stale_reason(None, 0.0, parked_s=61.0, kind="reply") == "stale: interrupted more than 60s ago"
    assert stale_reason(None, 0.0, parked_s=61.0, kind="script") is None  # the script always resumes
    assert stale_reason(None, 0.0, parked_s=20.0, kind="reply", resume_within_s=30.0) is None


def test_stale_in_counts_down_to_the_same_verdict():
    assert stale_in(100.0, 90.0) == 10.0
    assert stale_in(100.0, 90.0, parked_s=55.0, kind="gift") == 5.0  # the resume window ends first
    assert stale_in(100.0, 130.0) == 0.0
    assert stale_in(None, 0.0, parked_s=5.0, kind="script") is None


def test_urgent_is_play_now_or_a_priority_at_or_below_the_large_gift():
    assert is_urgent(-5) and is_urgent(-10) and is_urgent(10, force=True)
    assert not is_urgent(-4) and not is_urgent(0)
    assert is_urgent(3, urgent_priority=5)


def test_sentence_ids_name_their_group():
    assert sentence_id("reply-llm-ab12", 3) == "reply-llm-ab12-3"
    assert group_of("reply-llm-ab12-3") == "reply-llm-ab12"
    assert group_of("script-s1-4.2") is None and group_of("plain") is None and group_of("-3") is None


def test_tombstones_bury_ids_and_whole_groups():
    dead = Tombstones(limit=3)
    dead.bury(["job-1"])  # a whole answer
    assert "job-1" in dead and "job-1-0" in dead and "job-1-7" in dead
    assert "job-2-0" not in dead
    dead.bury("job-2-1")  # one sentence: the answer it belongs to is named, its other sentences live
    assert "job-2-1" in dead and "job-2-0" not in dead and dead.names("job-2") and not dead.names("job-3")
    dead.discard("job-2")
    assert not dead.names("job-2")
    dead.bury(["a", "b", "c"])  # bounded: the oldest are forgotten
    assert "job-1" not in dead and len(dead) == 3
