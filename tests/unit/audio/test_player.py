"""The running player: what the WAV sink recorded is checked sample for sample against the
clips, so order, gaps, cuts and resume points are what a listener would hear."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from app import events
from app.audio.outputs import make_sink
from tests.unit.audio.helpers import RATE, clip_samples
from tests.waiting import HandClock, wait_until

GAP = int(0.060 * RATE)  # the rig's gap_ms=60


def segments_of(rig):
    return [(s.id, s.start, s.end) for s in rig.sink.segments]


def test_items_play_in_priority_order_one_at_a_time_with_the_configured_gap(rig, clips):
    r = rig()
    a = clips("a", [(300, 0.15)], priority=10)
    b = clips("b", [(500, 0.15)], priority=10)
    c = clips("c", [(700, 0.15)], priority=5)
    r.pause()
    for item in (a, b, c):
        r.publish_ready(item)
    r.wait_for(lambda: len(r.player.queue) == 3)
    r.control(events.Resume())
    r.wait_for(lambda: r.finished("a", "b", "c"))
    r.stop()

    segs = segments_of(r)
    assert [s[0] for s in segs] == ["c", "a", "b"]
    audio = r.recording()
    for (_, start, end), clip in zip(segs, (c, a, b), strict=True):
        assert np.array_equal(audio[start:end], clip_samples(clip))  # whole clip, untouched
    for (_, _, end), (_, start, _) in zip(segs, segs[1:], strict=False):
        assert start - end == GAP
        assert not audio[end:start].any()  # the gap is silence
    # never two at once: every start comes after the previous finish
    order = [(type(e).__name__, e.id) for e in r.seen
             if isinstance(e, (events.PlaybackStarted, events.PlaybackFinished))]
    assert order == [("PlaybackStarted", "c"), ("PlaybackFinished", "c"), ("PlaybackStarted", "a"),
                     ("PlaybackFinished", "a"), ("PlaybackStarted", "b"), ("PlaybackFinished", "b")]
    report = r.player.report()
    assert [p["id"] for p in report["played"]] == ["c", "a", "b"]
    assert report["played"][0]["source_msg_id"] == "msg-c"


def test_urgent_item_cuts_in_and_the_script_resumes_at_the_cut_sentence(rig, clips):
    r = rig()
    script = clips("script", [(300, 0.3), (500, 0.3), (700, 0.3)], priority=10)
    gift = clips("gift", [(1000, 0.2)], priority=-5)
    r.publish_ready(script)
    r.wait_for(lambda: any(e.position_s >= 0.4 for e in r.events(events.PlaybackProgress)))
    r.publish_ready(gift)
    r.wait_for(lambda: r.finished("script", "gift"))
    r.stop()

    (cut,) = r.events(events.PlaybackInterrupted)
    assert (cut.id, cut.sentence_index, cut.by_id) == ("script", 1, "gift")
    (resumed,) = r.events(events.PlaybackResumed)
    assert (resumed.sentence_index, resumed.position_s) == (1, 0.3)
    segs = segments_of(r)
    assert [s[0] for s in segs] == ["script", "gift", "script"]
    audio, full = r.recording(), clip_samples(script)
    (_, s0, e0), (_, s1, e1), (_, s2, e2) = segs
    played = e0 - s0
    assert abs(played / RATE - cut.position_s) < 0.002
    assert 0.3 * RATE < played < 0.6 * RATE  # cut inside sentence 1
    assert np.array_equal(audio[s0:e0], full[:played])
    assert 0 <= s1 - e0 <= 0.02 * RATE  # the urgent item starts right at the cut, no gap
    assert np.array_equal(audio[s1:e1], clip_samples(gift))
    assert s2 - e1 == GAP
    assert np.array_equal(audio[s2:e2], full[int(0.3 * RATE):])  # from sentence 1's start
    entry = {p["id"]: p for p in r.player.report()["played"]}["script"]
    assert entry["interrupted"] and entry["resumed"]
    assert r.player.report()["interrupts"]["count"] == 1


def test_a_filler_plays_instead_of_silence_when_the_queue_runs_dry(rig, clips):
    r = rig()
    r.publish_ready(clips("filler-1", [(900, 0.1)], kind="filler", priority=20))
    r.wait_for(lambda: len(r.player.fillers) == 1)
    r.publish_ready(clips("s", [(300, 0.15)]))
    r.wait_for(lambda: any(e.id.startswith("filler-1#") for e in r.events(events.PlaybackFinished)))
    r.stop()
    segs = segments_of(r)
    s_index = [s[0] for s in segs].index("s")
    after = segs[s_index + 1]
    assert after[0].startswith("filler-1#")
    assert (after[1] - segs[s_index][2]) / RATE <= 0.060 + 0.100  # the gap, not an idle wait
    assert r.player.snapshot().items == ()  # the filler never entered the queue
    assert r.player.report()["dead_air_s"] < 0.15


def test_dead_air_is_measured_when_nothing_can_fill_it(rig, clips):
    clock = HandClock()  # the player's clock; the device plays in real time
    r = rig(clock=clock)
    r.publish_ready(clips("s", [(300, 0.1)]))
    r.wait_for(lambda: r.finished("s"))
    clock.advance(0.4)
    dead = r.player.report()["dead_air_s"]
    # 0.4 s idle minus the 60 ms gap that was intended, minus the end of the clip still in the
    # device buffer (at most its 80 ms) when the player went idle
    assert 0.4 - 0.060 - 0.080 - 1e-6 <= dead <= 0.4 - 0.060 + 1e-6
    clock.advance(1.0)
    assert r.player.report()["dead_air_s"] == pytest.approx(dead + 1.0)  # silence goes on counting
    r.stop()


def test_the_player_reports_dead_air_and_a_silent_room_on_the_system_channel(rig, clips):
    r = rig(health_interval_s=0.05, silence_alarm_s=0.3)
    health = []
    r.bus.subscribe(events.Channel.SYSTEM, lambda e: health.append(e) if isinstance(e, events.Health) else None)
    r.publish_ready(clips("s", [(300, 0.1)]))
    r.wait_for(lambda: r.finished("s"))
    r.wait_for(lambda: health and health[-1].status == "degraded")
    silent = health[-1]
    assert silent.component == "audio" and "冷场" in silent.detail
    assert silent.metrics["dead_air_s"] >= 0.3 - 0.060
    r.publish_ready(clips("t", [(500, 0.3)]))
    r.wait_for(lambda: health[-1].status == "ok")  # sound again: the alarm clears
    r.wait_for(lambda: r.finished("t"))
    r.stop()
    # the figure the dashboard shows is the player's own
    assert health[-1].metrics["dead_air_s"] <= r.player.report()["dead_air_s"] + 1e-9


def test_pause_holds_the_position_and_resume_continues_without_repeating(rig, clips):
    r = rig()
    item = clips("long", [(400, 0.6)])
    r.publish_ready(item)
    r.wait_for(lambda: any(e.position_s >= 0.2 for e in r.events(events.PlaybackProgress)))
    r.control(events.Pause())
    r.wait_for(lambda: r.player.machine.paused)
    paused_at = r.sink.segments[-1].end
    r.wait_for(lambda: r.sink.next_sample() - paused_at >= 0.25 * RATE)  # a quarter second of silence on air
    r.control(events.Resume())
    r.wait_for(lambda: r.finished("long"))
    r.stop()
    segs = segments_of(r)
    assert [s[0] for s in segs] == ["long", "long"]
    audio = r.recording()
    heard = np.concatenate([audio[s:e] for _, s, e in segs])
    assert np.array_equal(heard, clip_samples(item))  # every sample once, in order
    assert (segs[1][1] - segs[0][2]) / RATE >= 0.2  # the pause was silence
    assert r.player.report()["dead_air_s"] == 0.0  # a pause is not dead air


def test_skip_and_clear_from_the_control_channel(rig, clips):
    r = rig()
    r.pause()
    for name, prio in (("first", 10), ("second", 10), ("third", 10)):
        r.publish_ready(clips(name, [(300, 0.4)], priority=prio))
    r.wait_for(lambda: len(r.player.queue) == 3)
    r.control(events.Resume())
    r.wait_for(lambda: r.events(events.PlaybackStarted))
    r.control(events.Skip())
    r.wait_for(lambda: any(e.id == "second" for e in r.events(events.PlaybackStarted)))
    r.control(events.ClearQueue())
    r.wait_for(lambda: r.finished("second") and {e.id for e in r.events(events.UtteranceDropped)} == {"first", "third"})
    r.stop()  # "third" was dropped from the queue: nothing is left that could still play
    assert [s[0] for s in segments_of(r)] == ["first", "second"]
    dropped = {d["id"]: d["reason"] for d in r.player.report()["dropped"]}
    assert dropped == {"first": "skipped by operator", "third": "cleared by operator"}
    assert {e.id for e in r.events(events.UtteranceDropped)} == {"first", "third"}


def test_stale_items_are_dropped_with_the_reason_not_played(rig, clips):
    r = rig()
    r.publish_ready(clips("long", [(300, 0.5)], priority=10))
    r.wait_for(lambda: r.events(events.PlaybackStarted))
    r.publish_ready(clips("late", [(600, 0.1)], priority=9, deadline=time.time() + 0.1))
    r.wait_for(lambda: r.finished("long") and r.events(events.UtteranceDropped))
    r.stop()
    assert "late" not in [s[0] for s in segments_of(r)]
    (dropped,) = r.events(events.UtteranceDropped)
    assert dropped.id == "late" and dropped.reason.startswith("stale: deadline passed")


def test_failed_synthesis_and_broken_audio_are_dropped_with_the_reason(rig, clips, tmp_path):
    r = rig()
    req = events.SpeechRequest(id="x", text="x", kind="reply", priority=0)
    r.bus.publish(events.Channel.SPEECH_REQUESTS, req)
    r.bus.publish(events.Channel.SPEECH_READY, events.SpeechFailed(request=req, reason="all routes down"))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"<html>502 Bad Gateway</html>")
    req2 = events.SpeechRequest(id="y", text="y", kind="reply", priority=0)
    r.bus.publish(events.Channel.SPEECH_READY, events.SpeechReady(
        request=req2, audio_path=str(bad), sample_rate=RATE, duration_s=1.0))
    r.wait_for(lambda: len(r.player.report()["dropped"]) == 2)
    r.stop()
    dropped = {d["id"]: d["reason"] for d in r.player.report()["dropped"]}
    assert dropped["x"] == "synthesis failed: all routes down"
    assert dropped["y"].startswith("bad audio:") and "bad.wav: not a WAV" in dropped["y"]
    assert len(r.player.queue) == 0


def test_cancel_speech_drops_the_ids_and_ignores_their_late_audio(rig, clips):
    r = rig()
    playing = clips("playing", [(300, 0.6)])
    r.publish_ready(playing)
    r.wait_for(lambda: r.events(events.PlaybackStarted))
    later = clips("later", [(500, 0.1)])
    r.bus.publish(events.Channel.SPEECH_REQUESTS, later.request)
    r.wait_for(lambda: "later" in r.player.queue)
    r.control(events.CancelSpeech(ids=("playing", "later"), reason="config reloaded"))
    r.wait_for(lambda: len(r.player.report()["dropped"]) == 2)
    r.bus.publish(events.Channel.SPEECH_READY, later)  # the late result is never applied …
    r.publish_ready(clips("marker", [(700, 0.05)]))  # … as the next one, handled after it, shows
    r.wait_for(lambda: r.finished("marker"))
    r.stop()
    assert [s[0] for s in segments_of(r)] == ["playing", "marker"]
    assert segs_len(r, "playing") < 0.5 * RATE
    assert {d["reason"] for d in r.player.report()["dropped"]} == {"cancelled", "config reloaded"}


def segs_len(r, item_id):
    return sum(e - s for i, s, e in segments_of(r) if i == item_id)


def test_audio_at_another_rate_is_resampled_not_played_at_the_wrong_speed(rig, clips):
    r = rig()
    item = clips("hi-rate", [(440, 0.25)], rate=16000)
    r.publish_ready(item)
    r.wait_for(lambda: r.finished("hi-rate"))
    r.stop()
    assert abs(segs_len(r, "hi-rate") - 0.25 * RATE) <= 2


def test_stop_is_prompt_and_leaves_no_threads(rig, clips):
    before = {t.ident for t in threading.enumerate()}
    r = rig()
    r.publish_ready(clips("long", [(300, 2.0)]))
    r.wait_for(lambda: r.events(events.PlaybackStarted))
    t0 = time.monotonic()
    r.stop()
    assert time.monotonic() - t0 < 1.5  # not the rest of the 2 s clip
    leaked = lambda: [t.name for t in threading.enumerate() if t.ident not in before]  # noqa: E731
    wait_until(lambda: leaked() == [], timeout=2, what="the player's and the bus's threads to end")


def test_progress_is_published_at_least_four_times_a_second(rig, clips):
    r = rig()
    r.publish_ready(clips("s", [(300, 0.6)]))
    r.wait_for(lambda: r.finished("s"))
    r.stop()
    progress = r.events(events.PlaybackProgress)
    assert len(progress) >= 0.6 * 4
    positions = [p.position_s for p in progress]
    assert positions == sorted(positions) and positions[-1] == 0.6
    assert r.events(events.QueueSnapshot)


def test_the_device_sink_plays_through_the_dummy_driver(rig, clips):
    sink = make_sink("device", RATE)  # the default device, as the app opens it
    r = rig(sink=sink, chunk_bytes=2048)
    r.publish_ready(clips("a", [(300, 0.2)]))
    r.publish_ready(clips("b", [(500, 0.1)]))
    r.wait_for(lambda: r.finished("a", "b"))
    r.stop()
    assert [s[0] for s in segments_of(r)] == ["a", "b"]
    assert segs_len(r, "a") == int(0.2 * RATE)


def test_a_question_cuts_in_at_the_end_of_the_sentence_and_the_line_goes_on_at_the_next(rig, clips):
    r = rig()
    thanks = clips("thanks", [(300, 0.3), (500, 0.3), (700, 0.3)], priority=5, kind="welcome")
    answer = clips("answer", [(1000, 0.2)], priority=0, kind="reply")
    r.publish_ready(thanks)
    r.wait_for(lambda: any(e.position_s >= 0.05 for e in r.events(events.PlaybackProgress)))
    r.publish_ready(answer)
    r.wait_for(lambda: r.finished("thanks", "answer"))
    r.stop()

    (cut,) = r.events(events.PlaybackInterrupted)
    assert cut.id == "thanks" and cut.sentence_index in (1, 2)
    segs = segments_of(r)
    assert [s[0] for s in segs] == ["thanks", "answer", "thanks"]
    audio, full = r.recording(), clip_samples(thanks)
    (_, s0, e0), (_, s1, e1), (_, s2, e2) = segs
    boundary = int(round(cut.position_s * RATE))
    assert e0 - s0 == boundary and boundary in (int(0.3 * RATE), int(0.6 * RATE))  # a whole sentence, no word cut
    assert np.array_equal(audio[s0:e0], full[:boundary])
    assert np.array_equal(audio[s1:e1], clip_samples(answer))
    assert np.array_equal(audio[s2:e2], full[boundary:])  # the rest, from the next sentence


def test_silence_at_start_up_is_dead_air_beyond_the_time_to_make_the_first_line(rig, clips):
    clock = HandClock()  # the player's clock; the device plays in real time
    r = rig(clock=clock)
    clock.advance(2.5)  # nothing to say for 2.5 s after the start (a hung voice, say)
    r.publish_ready(clips("first", [(300, 0.1)]))
    r.wait_for(lambda: r.finished("first"))
    report = r.player.report()
    r.stop()
    assert report["startup_silence_s"] == 2.5
    assert report["dead_air_s"] == 1.5  # all of it but the first second of synthesis


def test_at_start_up_the_player_tells_the_tts_stage_the_room_is_silent_waiting_for_the_first_line(rig, clips):
    """The first line's request arrives with no audio: the running player asks for it as needed
    while silent (the TTS stage then waits only [tts] silent_deadline_s for GPT-SoVITS)."""
    r = rig()
    first = clips("first", [(300, 0.1)])
    r.bus.publish(events.Channel.SPEECH_REQUESTS, first.request)
    r.wait_for(lambda: r.events(events.SpeechNeeded))
    r.bus.publish(events.Channel.SPEECH_READY, first)
    r.wait_for(lambda: r.finished("first"))
    r.stop()
    assert [(e.id, e.silent) for e in r.events(events.SpeechNeeded)] == [("first", True)]


def test_the_players_events_carry_the_record_of_the_utterance(rig, clips):
    """Readers learn what became of an utterance from the view on the player's events: who it
    answers, its audio, its state and timings — without the request's channel."""
    r = rig()
    script = clips("script", [(300, 0.3), (500, 0.3), (700, 0.3)], priority=10)
    gift = clips("gift", [(1000, 0.2)], priority=-5)
    r.publish_ready(script)
    r.wait_for(lambda: any(e.position_s >= 0.4 for e in r.events(events.PlaybackProgress)))
    r.publish_ready(gift)
    r.wait_for(lambda: r.finished("script", "gift"))
    failed = events.SpeechRequest(id="x", text="谢谢小王", kind="gift", priority=3, viewer="小王",
                                  source_event="msg-x")
    r.bus.publish(events.Channel.SPEECH_READY, events.SpeechFailed(request=failed, reason="all routes down"))
    r.wait_for(lambda: r.events(events.UtteranceDropped))
    r.stop()

    first, again = [e.utterance for e in r.events(events.PlaybackStarted) if e.id == "script"]
    assert (first.state, first.source_event, first.sentence_starts, first.cuts) == ("playing", "msg-script",
                                                                                     (0.0, 0.3, 0.6), 0)
    assert first.started_at is not None and abs(first.started_at - time.time()) < 30  # epoch seconds
    (cut,) = r.events(events.PlaybackInterrupted)
    assert (cut.utterance.state, cut.utterance.cuts, cut.utterance.position_s) == ("parked", 1, cut.position_s)
    assert cut.utterance.ended_at >= first.started_at
    (resumed,) = r.events(events.PlaybackResumed)
    assert (resumed.utterance.state, resumed.utterance.position_s) == ("playing", 0.3)  # from the cut sentence
    assert (again.resumes, again.started_at, again.ended_at) == (1, first.started_at, None)
    done = {e.id: e.utterance for e in r.events(events.PlaybackFinished)}
    assert (done["script"].state, done["script"].cuts, done["script"].resumes) == ("finished", 1, 1)
    assert done["gift"].state == "finished" and done["gift"].ended_at >= done["gift"].started_at
    (dropped,) = r.events(events.UtteranceDropped)
    assert (dropped.utterance.state, dropped.utterance.reason, dropped.utterance.viewer,
            dropped.utterance.source_event) == ("dropped", "synthesis failed: all routes down", "小王", "msg-x")


def test_what_was_never_heard_is_not_listed_as_played(rig, clips):
    """An utterance stopped in the pause before its first sample was never heard: the report's
    played list, like the spoken log (PlaybackStarted), leaves it out."""
    r = rig(gap_ms=3000)
    r.publish_ready(clips("a", [(300, 0.1)]))
    r.wait_for(lambda: r.finished("a"))
    r.publish_ready(clips("b", [(500, 0.1)]))
    r.wait_for(lambda: r.player.machine.current is not None and r.player.machine.current.id == "b")
    r.control(events.Skip())  # within b's 3 s lead-in pause
    r.wait_for(lambda: r.events(events.UtteranceDropped))
    r.stop()
    assert [e.id for e in r.events(events.PlaybackStarted)] == ["a"]
    report = r.player.report()
    assert [p["id"] for p in report["played"]] == ["a"]
    assert report["dropped"] == [{"id": "b", "reason": "skipped by operator"}]


def test_cancelling_an_answer_by_its_job_id_drops_its_sentences_and_their_late_audio(rig, clips):
    """"Was it cancelled?" has one answer in every stage (app.utterance.Tombstones): naming the
    LLM job cancels the sentences ``<job>-<n>`` the player holds and any that come later."""
    r = rig()
    first, second = (clips(f"job7-{n}", [(400 + 100 * n, 0.1)], kind="llm", priority=0, group="job7",
                           sentence_index=n) for n in (0, 1))
    r.bus.publish(events.Channel.SPEECH_REQUESTS, first.request)
    r.wait_for(lambda: "job7-0" in r.player.queue)
    r.control(events.CancelSpeech(ids=("job7",), reason="answer withdrawn"))
    r.wait_for(lambda: "job7-0" not in r.player.queue)
    for late in (first, second):  # their audio (and the second's request) come after the cancel
        r.publish_ready(late)
    r.publish_ready(clips("marker", [(700, 0.05)]))
    r.wait_for(lambda: r.finished("marker"))
    r.stop()
    assert [s[0] for s in segments_of(r)] == ["marker"]
    assert r.player.report()["dropped"] == [{"id": "job7-0", "reason": "answer withdrawn"}]
