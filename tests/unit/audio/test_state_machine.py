"""Every decision of the player, without threads, sinks or clocks of its own."""

from __future__ import annotations

import pytest

from app import events
from app.audio import machine_messages as msg
from app.audio import state_machine as sm
from app.audio.machine_transitions import cut_sentence
from app.audio.queue import SpeechQueue
from app.audio.utterance import Utterance
from app.director import Airtime, Director, DirectorSettings


class Clocks:
    def __init__(self):
        self.mono = 100.0
        self.wall = 1_700_000_000.0

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds


def ready(item_id, priority=10, *, kind="script", duration=3.0, starts=(0.0,), deadline=None):
    req = events.SpeechRequest(id=item_id, text=item_id, kind=kind, priority=priority,
                               deadline=deadline)
    return events.SpeechReady(request=req, audio_path=f"/x/{item_id}.wav", sample_rate=8000,
                              duration_s=duration, sentence_starts=starts)


@pytest.fixture
def clocks():
    return Clocks()


@pytest.fixture
def machine(clocks):
    q = SpeechQueue(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall, resume_within_s=30)
    return sm.PlayerStateMachine(q)


def arrive(machine, r):
    machine.queue.mark_ready(r)
    return machine.handle(msg.ItemReady(r.request.id))


def of(actions, kind):
    return [a for a in actions if isinstance(a, kind)]


def emitted(actions, kind):
    return [a.event for a in actions if isinstance(a, msg.Emit) and isinstance(a.event, kind)]


def play_to(machine, fraction):
    machine.handle(msg.Progress(fraction * machine.current.duration_s))


# ---- thresholds (the rule itself is the director's: tests/unit/director) -----------------------


def everything_urgent(clocks, thresholds=sm.DEFAULT_THRESHOLDS):
    """A machine whose director cuts at once whenever design §5's rule says to cut, so the rule
    itself is what the test sees (where the cut falls is tested on its own below)."""
    q = SpeechQueue(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    director = Director(DirectorSettings(urgent_priority=100), Airtime(clocks.mono))
    return sm.PlayerStateMachine(q, thresholds, director=director)


@pytest.mark.parametrize(("gap", "fraction", "cut"), [
    (4, 0.5, False), (5, 0.5, True), (7, 0.86, False), (8, 0.86, True)])
def test_machine_interrupts_exactly_at_the_thresholds(clocks, gap, fraction, cut):
    machine = everything_urgent(clocks)
    arrive(machine, ready("script", 10))
    play_to(machine, fraction)
    actions = arrive(machine, ready("urgent", 10 - gap))
    assert bool(of(actions, msg.StopCurrent)) is cut
    assert machine.state == (msg.INTERRUPTED if cut else msg.PLAYING)


def test_configured_thresholds_are_used(clocks):
    machine = everything_urgent(clocks, sm.Thresholds(interrupt_gap=3, late_interrupt_gap=4, late_fraction=0.5))
    arrive(machine, ready("script", 10))
    assert of(arrive(machine, ready("a", 7)), msg.StopCurrent)


# ---- interrupt and resume -------------------------------------------------------------------


def test_interrupted_item_resumes_after_the_urgent_one_from_the_cut_sentence(machine):
    actions = arrive(machine, ready("script", 10, duration=3.0, starts=(0.0, 1.0, 2.0)))
    assert of(actions, msg.Play)[0].item.id == "script"
    play_to(machine, 0.5)  # 1.5 s: inside sentence 1
    stop = of(arrive(machine, ready("gift", -5)), msg.StopCurrent)[0]
    assert stop.by_id == "gift"

    actions = machine.handle(msg.Stopped(1.5))
    (cut,) = emitted(actions, events.PlaybackInterrupted)
    assert (cut.id, cut.sentence_index, cut.by_id, cut.position_s) == ("script", 1, "gift", 1.5)
    (play,) = of(actions, msg.Play)
    assert play.item.id == "gift" and play.after_gap is False  # urgent starts at once
    assert machine.state == msg.INTERRUPTED

    actions = machine.handle(msg.Finished())
    (resumed,) = emitted(actions, events.PlaybackResumed)
    assert (resumed.id, resumed.sentence_index, resumed.position_s) == ("script", 1, 1.0)
    (play,) = of(actions, msg.Play)
    assert (play.item.id, play.start_s, play.resumed) == ("script", 1.0, True)
    states = [e.state for e in emitted(actions, events.PlayerStateChanged)]
    assert states == [msg.POST_INTERRUPT, msg.PLAYING]


def test_all_interrupting_items_play_before_the_resume(machine):
    arrive(machine, ready("script", 10, starts=(0.0, 1.5)))
    play_to(machine, 0.2)
    arrive(machine, ready("gift", -5))
    machine.handle(msg.Stopped(0.6))
    # while the gift plays a question (0) arrives: not enough to cut the gift, but a buyer's
    # question goes before the parked script
    assert not of(arrive(machine, ready("question", 0, kind="reply")), msg.StopCurrent)
    assert of(machine.handle(msg.Finished()), msg.Play)[0].item.id == "question"
    assert machine.state == msg.INTERRUPTED
    play = of(machine.handle(msg.Finished()), msg.Play)[0]
    assert (play.item.id, play.start_s) == ("script", 0.0)


def test_bridge_line_plays_before_the_resumed_item(clocks):
    q = SpeechQueue(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    bridge = q.enqueue(ready("bridge-1", 20, kind="bridge").request)
    q.remove("bridge-1")
    bridge.ready = ready("bridge-1", 20, kind="bridge", duration=0.5)
    machine = sm.PlayerStateMachine(q, bridge_source=lambda: bridge)
    arrive(machine, ready("script", 10, starts=(0.0, 1.0, 2.0)))
    play_to(machine, 0.8)
    arrive(machine, ready("gift", -5))
    machine.handle(msg.Stopped(2.4))
    clocks.advance(11)  # a real digression: worth a bridge
    actions = machine.handle(msg.Finished())  # gift done
    assert of(actions, msg.Play)[0].item.id == "bridge-1"
    assert machine.state == msg.POST_INTERRUPT
    actions = machine.handle(msg.Finished())  # bridge done
    play = of(actions, msg.Play)[0]
    assert (play.item.id, play.start_s, play.resumed) == ("script", 2.0, True)


def test_interrupted_item_that_went_stale_is_dropped_not_resumed(machine, clocks):
    arrive(machine, ready("script", 10, deadline=clocks.wall + 5))
    play_to(machine, 0.3)
    arrive(machine, ready("gift", -5))
    machine.handle(msg.Stopped(0.9))
    clocks.advance(10)
    actions = machine.handle(msg.Finished())
    (dropped,) = emitted(actions, events.UtteranceDropped)
    assert dropped.id == "script" and "stale" in dropped.reason
    assert not of(actions, msg.Play) and machine.state == msg.IDLE
    assert machine.dropped_after_interrupt == 1


def test_parked_answer_goes_stale_after_resume_within(machine, clocks):
    arrive(machine, ready("answer", 0, kind="reply"))
    arrive(machine, ready("gift", -5))
    machine.handle(msg.Stopped(0.5))
    clocks.advance(31)  # resume_within_s=30
    (dropped,) = emitted(machine.handle(msg.Finished()), events.UtteranceDropped)
    assert dropped.reason.startswith("stale: interrupted more than 30s ago")


def test_parked_script_waits_as_long_as_it_takes(machine, clocks):
    arrive(machine, ready("script", 10))
    arrive(machine, ready("gift", -5))
    machine.handle(msg.Stopped(0.5))
    clocks.advance(300)  # far past resume_within_s: the script is the backbone, it resumes
    actions = machine.handle(msg.Finished())
    assert not emitted(actions, events.UtteranceDropped)
    assert of(actions, msg.Play)[0].item.id == "script" and of(actions, msg.Play)[0].resumed
    assert machine.script_resumed == 1


def test_an_answer_that_does_not_cut_plays_next_before_thanks_and_script(machine, clocks):
    arrive(machine, ready("long-thanks", 5, kind="welcome", duration=5))
    arrive(machine, ready("script", 10))
    arrive(machine, ready("gift-thanks", 3, kind="gift"))
    clocks.advance(1)
    assert not of(arrive(machine, ready("answer", 0, kind="reply")), msg.StopCurrent)  # gap 5 but one sentence
    order = [of(machine.handle(msg.Finished()), msg.Play)[0].item.id for _ in range(3)]
    assert order == ["answer", "gift-thanks", "script"]


def test_play_now_interrupts_whatever_the_gap(machine):
    arrive(machine, ready("vip", -2))
    play_to(machine, 0.95)
    machine.queue.mark_ready(ready("operator", 0))
    machine.queue.play_now("operator")
    assert of(machine.handle(msg.ItemReady("operator")), msg.StopCurrent)


# ---- idle, fillers, operator commands -------------------------------------------------------


def test_filler_plays_when_dry_and_is_not_resumed_when_cut(clocks):
    q = SpeechQueue(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    filler = q.enqueue(ready("filler-1", 20, kind="filler").request)
    q.remove("filler-1")
    filler.ready = ready("filler-1", 20, kind="filler")
    machine = sm.PlayerStateMachine(q, filler_source=lambda: filler)
    assert of(machine.handle(msg.Dry()), msg.Play)[0].item.id == "filler-1"
    play_to(machine, 0.5)
    assert of(arrive(machine, ready("script", 10)), msg.StopCurrent)  # 20 - 10 >= 5
    actions = machine.handle(msg.Stopped(1.5))
    assert of(actions, msg.Play)[0].item.id == "script"
    assert not machine.queue.items()  # nothing parked
    assert machine.filler_cuts == 1 and machine.interrupts == 0


def test_no_filler_while_something_is_ready_or_paused(machine):
    machine.handle(msg.PauseCmd())
    assert machine.handle(msg.Dry()) == []
    machine.queue.mark_ready(ready("script"))
    assert machine.handle(msg.ItemReady("script")) == []  # paused: nothing starts
    play = of(machine.handle(msg.ResumeCmd()), msg.Play)[0]
    assert play.item.id == "script"


def test_pause_keeps_the_position_and_resume_continues_there(machine):
    arrive(machine, ready("script", 10))
    play_to(machine, 0.4)
    assert of(machine.handle(msg.PauseCmd()), msg.StopCurrent)[0].reason == "pause"
    assert machine.handle(msg.Stopped(1.1)) == []
    play = of(machine.handle(msg.ResumeCmd()), msg.Play)[0]
    assert (play.item.id, play.start_s, play.continuation) == ("script", 1.1, True)


def test_skip_drops_the_current_item_and_plays_the_next(machine):
    arrive(machine, ready("a", 10))
    arrive(machine, ready("b", 10))
    assert of(machine.handle(msg.SkipCurrent()), msg.StopCurrent)[0].reason == "skip"
    actions = machine.handle(msg.Stopped(0.3))
    assert [d.item.id for d in of(actions, msg.Drop)] == ["a"]
    assert "skipped" in of(actions, msg.Drop)[0].reason
    assert of(actions, msg.Play)[0].item.id == "b"


def grouped(item_id, group, index, *, kind="script", priority=10):
    req = events.SpeechRequest(id=item_id, text=item_id, kind=kind, priority=priority, group=group,
                               sentence_index=index)
    return events.SpeechReady(request=req, audio_path=f"/x/{item_id}.wav", sample_rate=8000,
                              duration_s=2.0, sentence_starts=(0.0,))


def test_skipping_a_script_line_skips_the_rest_of_its_segment_with_the_operator_as_the_reason(machine):
    for r in (grouped("p1.0", "p1", 0), grouped("p1.1", "p1", 1), grouped("p1.2", "p1", 2),
              grouped("p2.0", "p2", 0)):
        arrive(machine, r)
    assert machine.current.id == "p1.0"
    machine.handle(msg.SkipCurrent())
    actions = machine.handle(msg.Stopped(0.5))
    dropped = emitted(actions, events.UtteranceDropped)
    assert [(d.id, d.reason) for d in dropped] == [(i, "skipped by operator") for i in ("p1.0", "p1.1", "p1.2")]
    assert of(actions, msg.Play)[0].item.id == "p2.0"  # the next segment, not the skipped one's next sentence


def test_skipping_an_answer_sentence_skips_the_rest_of_that_answer_only(machine):
    arrive(machine, grouped("a-1", "a", 0, kind="llm", priority=0))
    arrive(machine, grouped("a-2", "a", 1, kind="llm", priority=0))
    arrive(machine, ready("thanks", 5, kind="gift"))
    machine.handle(msg.SkipCurrent())
    actions = machine.handle(msg.Stopped(0.5))
    assert [d.id for d in emitted(actions, events.UtteranceDropped)] == ["a-1", "a-2"]
    assert of(actions, msg.Play)[0].item.id == "thanks"


def test_a_skipped_filler_is_reported_so_its_record_ends_there(machine):
    clip = ready("f#1", kind="filler")
    machine.filler_source = lambda: Utterance(request=clip.request, queued_at=0.0, seq=-1, ready=clip,
                                              state="ready")
    assert of(machine.handle(msg.Dry()), msg.Play)[0].item.id == "f#1"
    machine.handle(msg.SkipCurrent())
    actions = machine.handle(msg.Stopped(0.2))
    assert [(d.id, d.reason) for d in emitted(actions, events.UtteranceDropped)] == [("f#1", "skipped by operator")]


def test_cancel_drops_queued_and_current_ids(machine):
    arrive(machine, ready("a", 10))
    arrive(machine, ready("b", 10))
    arrive(machine, ready("c", 10))
    actions = machine.handle(msg.Cancel(("a", "b"), "config reloaded"))
    assert [d.item.id for d in of(actions, msg.Drop)] == ["b"]
    assert of(actions, msg.StopCurrent)
    actions = machine.handle(msg.Stopped(0.1))
    assert [d.item.id for d in of(actions, msg.Drop)] == ["a"]
    assert of(actions, msg.Play)[0].item.id == "c"


def test_finishing_with_an_empty_queue_goes_idle(machine):
    arrive(machine, ready("a"))
    actions = machine.handle(msg.Finished())
    assert of(actions, msg.Idle) and machine.state == msg.IDLE and machine.current is None
    assert emitted(actions, events.PlaybackFinished)[0].id == "a"


def test_unknown_input_is_a_clear_error(machine):
    with pytest.raises(TypeError, match="does not handle str"):
        machine.handle("play")


def test_cut_sentence_picks_the_sentence_under_the_position():
    assert cut_sentence((0.0, 1.0, 2.0), 1.0) == (1, 1.0)
    assert cut_sentence((0.0, 1.0, 2.0), 0.99) == (0, 0.0)
    assert cut_sentence((0.0, 1.0, 2.0), 5.0) == (2, 2.0)
    assert cut_sentence((), 1.0) == (0, 0.0)


# ---- the director's cuts: soft at the sentence end, hard at once ----------------------------


def script_ready(item_id, group, index, *, duration=3.0, starts=(0.0,)):
    req = events.SpeechRequest(id=item_id, text=item_id, kind="script", priority=10, group=group,
                               sentence_index=index)
    return events.SpeechReady(request=req, audio_path=f"/x/{item_id}.wav", sample_rate=8000,
                              duration_s=duration, sentence_starts=starts)


def with_bridges(clocks):
    q = SpeechQueue(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    counter = iter(range(1000))

    def bridge():
        item = q.enqueue(ready(f"bridge-{next(counter)}", 20, kind="bridge", duration=0.5).request)
        q.remove(item.id)
        item.ready = ready(item.id, 20, kind="bridge", duration=0.5)
        return item

    return sm.PlayerStateMachine(q, bridge_source=bridge)


def test_a_question_waits_for_the_end_of_the_sentence_then_the_item_continues_at_the_next(machine):
    arrive(machine, ready("thanks", 5, kind="welcome", duration=3.0, starts=(0.0, 1.2, 2.0)))
    play_to(machine, 0.2)  # 0.6 s: inside sentence 0
    (stop,) = of(arrive(machine, ready("answer", 0, kind="reply")), msg.StopCurrent)
    assert (stop.reason, stop.at_s, stop.by_id) == ("interrupt", 1.2, "answer")  # a soft cut
    assert machine.current.id == "thanks"  # still playing until the sentence ends
    actions = machine.handle(msg.Stopped(1.2))
    (cut,) = emitted(actions, events.PlaybackInterrupted)
    assert (cut.sentence_index, cut.position_s) == (1, 1.2)
    assert of(actions, msg.Play)[0].item.id == "answer"
    play = of(machine.handle(msg.Finished()), msg.Play)[0]
    assert (play.item.id, play.start_s, play.resumed) == ("thanks", 1.2, True)  # no bridge for thanks


def test_something_urgent_turns_a_pending_soft_cut_into_a_cut_at_once(machine):
    arrive(machine, ready("thanks", 5, kind="welcome", duration=3.0, starts=(0.0, 1.2, 2.0)))
    assert of(arrive(machine, ready("answer", 0, kind="reply")), msg.StopCurrent)[0].at_s == 1.2
    (stop,) = of(arrive(machine, ready("big-gift", -5, kind="gift")), msg.StopCurrent)
    assert stop.at_s is None and stop.by_id == "big-gift"
    actions = machine.handle(msg.Stopped(0.4))
    assert of(actions, msg.Play)[0].item.id == "big-gift"
    assert of(machine.handle(msg.Finished()), msg.Play)[0].item.id == "answer"  # then the buyer


def test_a_segment_broken_between_sentences_continues_after_a_bridge(clocks):
    machine = with_bridges(clocks)
    for i in range(3):
        machine.queue.mark_ready(script_ready(f"s{i}", "seg", i))
    machine.handle(msg.ItemReady("s0"))
    assert machine.current.id == "s0"
    arrive(machine, ready("answer", 0, kind="reply"))  # one sentence: no stop needed
    assert of(machine.handle(msg.Finished()), msg.Play)[0].item.id == "answer"
    clocks.advance(11)  # the answer took a while
    actions = machine.handle(msg.Finished())
    assert of(actions, msg.Play)[0].item.request.kind == "bridge"
    assert machine.state == msg.POST_INTERRUPT
    play = of(machine.handle(msg.Finished()), msg.Play)[0]
    assert play.item.id == "s1" and not play.resumed  # the next sentence, from its start
    assert machine.script_breaks == {"soft": 1, "hard": 0} and machine.script_resumed == 1
    assert of(machine.handle(msg.Finished()), msg.Play)[0].item.id == "s2"  # no bridge inside the reading
    assert machine.script_resumed == 1


def test_a_welcome_that_waited_its_turn_comes_at_a_sentence_end_not_between_two_clauses(clocks):
    machine = with_bridges(clocks)
    for i, text in enumerate(("现在下单，", "用顺丰快递。", "点一下购物车。")):
        req = events.SpeechRequest(id=f"s{i}", text=text, kind="script", priority=10, group="seg", sentence_index=i)
        machine.queue.mark_ready(events.SpeechReady(request=req, audio_path=f"/x/s{i}.wav", sample_rate=8000,
                                                    duration_s=3.0, sentence_starts=(0.0,)))
    machine.handle(msg.ItemReady("s0"))
    arrive(machine, ready("welcome", 5, kind="welcome", duration=1.0))
    clocks.advance(9)  # longer than break_wait_s: it need not wait for the segment's end
    assert of(machine.handle(msg.Finished()), msg.Play)[0].item.id == "s1"  # "现在下单，" goes on
    assert of(machine.handle(msg.Finished()), msg.Play)[0].item.id == "welcome"  # after "用顺丰快递。"


def test_a_hard_cut_script_rereads_the_cut_sentence_after_a_bridge(clocks):
    machine = with_bridges(clocks)
    arrive(machine, script_ready("s0", "seg", 0, starts=(0.0, 1.0, 2.0)))
    play_to(machine, 0.5)
    arrive(machine, ready("big-gift", -5, kind="gift"))
    machine.handle(msg.Stopped(1.5))
    clocks.advance(11)
    assert of(machine.handle(msg.Finished()), msg.Play)[0].item.request.kind == "bridge"
    actions = machine.handle(msg.Finished())
    play = of(actions, msg.Play)[0]
    assert (play.item.id, play.start_s, play.resumed) == ("s0", 1.0, True)
    assert machine.script_breaks["hard"] == 1 and machine.script_resumed == 1


def test_a_broken_segment_dropped_by_a_product_switch_is_reported_not_resumed(clocks):
    machine = with_bridges(clocks)
    for i in range(2):
        machine.queue.mark_ready(script_ready(f"s{i}", "seg", i))
    machine.handle(msg.ItemReady("s0"))
    arrive(machine, ready("answer", 0, kind="reply"))
    machine.handle(msg.Finished())  # the answer plays: the segment is broken off
    machine.handle(msg.Cancel(("s1",), "switch to snack"))
    assert machine.script_not_resumed == [{"id": "s1", "reason": "switch to snack", "why": "换了商品"}]
    assert machine.broken_segments == 0


def test_the_player_says_which_utterance_it_waits_for_once(machine):
    machine.queue.enqueue(events.SpeechRequest(id="answer", text="a", kind="reply", priority=0))
    actions = machine.handle(msg.Dry())
    assert [e.id for e in emitted(actions, events.SpeechNeeded)] == ["answer"]
    assert not emitted(machine.handle(msg.Dry()), events.SpeechNeeded)  # told once


def needs(actions) -> list[tuple[str, bool]]:
    return [(e.id, e.silent) for e in emitted(actions, events.SpeechNeeded)]


def test_at_start_up_the_player_says_the_room_is_silent_waiting_for_the_first_line(machine):
    """Nothing has played yet and the first line has no audio: every second is dead air, so the
    TTS stage is told to use its short silent deadline."""
    machine.queue.enqueue(events.SpeechRequest(id="first", text="本直播间部分内容由AI生成", kind="system",
                                               priority=0))
    assert needs(machine.handle(msg.Dry())) == [("first", True)]
    assert needs(machine.handle(msg.Dry())) == []  # told once


def test_a_line_needed_while_another_plays_is_needed_again_as_silent_when_the_room_goes_quiet(machine):
    machine.queue.enqueue(events.SpeechRequest(id="next", text="b", kind="script", priority=10))
    # "now" plays; "next" is wanted after it and has no audio: needed, but the room is not silent
    assert needs(arrive(machine, ready("now", 5))) == [("next", False)]
    # "now" ends and "next" is still not ready: the room goes silent waiting for it
    actions = machine.handle(msg.Finished())
    assert machine.state == msg.IDLE and needs(actions) == [("next", True)]
    assert needs(machine.handle(msg.Dry())) == []  # told once more, not every turn


def test_a_filler_covering_the_wait_does_not_make_it_silent_but_the_silence_after_it_does(clocks):
    q = SpeechQueue(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    clip = ready("f", 20, kind="filler")
    filler = Utterance(request=clip.request, queued_at=clocks.mono, seq=0, ready=clip, state="ready")
    fillers = [filler]
    machine = sm.PlayerStateMachine(q, filler_source=lambda: fillers.pop() if fillers else None)
    q.enqueue(events.SpeechRequest(id="line", text="a", kind="script", priority=10))
    actions = machine.handle(msg.Dry())
    assert [p.item.id for p in of(actions, msg.Play)] == ["f"] and needs(actions) == [("line", False)]
    assert needs(machine.handle(msg.Finished())) == [("line", True)]


def test_live_end_silences_at_once_and_takes_nothing_more(machine):
    arrive(machine, ready("script", 10))
    machine.queue.mark_ready(ready("waiting", 10))
    actions = machine.handle(msg.EndLive())
    assert [d.item.id for d in of(actions, msg.Drop)] == ["waiting"]
    (stop,) = of(actions, msg.StopCurrent)
    assert stop.reason == "live_end" and stop.at_s is None
    actions = machine.handle(msg.Stopped(0.5))
    assert [d.item.id for d in of(actions, msg.Drop)] == ["script"] and not of(actions, msg.Play)
    assert arrive(machine, ready("late", -5)) == [] and machine.handle(msg.Dry()) == []


def test_the_next_clause_of_a_sentence_follows_with_a_comma_pause_not_a_full_gap(machine):
    first = events.SpeechRequest(id="c0", text="热烈欢迎进入直播间的朋友们，", kind="script", priority=10,
                                 group="g", sentence_index=0)
    second = events.SpeechRequest(id="c1", text="今天给大家带来一款面霜。", kind="script", priority=10,
                                  group="g", sentence_index=1)
    third = events.SpeechRequest(id="c2", text="推得很开。", kind="script", priority=10, group="g", sentence_index=2)
    for req in (first, second, third):
        machine.queue.mark_ready(events.SpeechReady(request=req, audio_path="/x.wav", sample_rate=8000,
                                                    duration_s=1.0))
    assert of(machine.handle(msg.ItemReady("c0")), msg.Play)[0].clause is False
    assert of(machine.handle(msg.Finished()), msg.Play)[0].clause is True  # after a comma
    assert of(machine.handle(msg.Finished()), msg.Play)[0].clause is False  # after a full stop


def test_no_bridge_after_a_quick_answer_nor_twice_in_a_short_while(clocks):
    machine = with_bridges(clocks)
    for i in range(4):
        machine.queue.mark_ready(script_ready(f"s{i}", "seg", i))
    machine.handle(msg.ItemReady("s0"))
    arrive(machine, ready("a1", 0, kind="reply"))
    machine.handle(msg.Finished())  # the answer plays
    clocks.advance(3)  # a short answer
    play = of(machine.handle(msg.Finished()), msg.Play)[0]
    assert play.item.id == "s1", "back to the script without a bridge"
    arrive(machine, ready("a2", 0, kind="reply"))
    machine.handle(msg.Finished())
    clocks.advance(11)
    assert of(machine.handle(msg.Finished()), msg.Play)[0].item.request.kind == "bridge"
    machine.handle(msg.Finished())  # the bridge, then s2
    arrive(machine, ready("a3", 0, kind="reply"))
    machine.handle(msg.Finished())
    clocks.advance(11)
    assert of(machine.handle(msg.Finished()), msg.Play)[0].item.id == "s3", "a bridge a moment ago: not again"
    assert machine.script_resumed == 3
