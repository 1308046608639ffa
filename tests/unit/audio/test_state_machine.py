"""Every decision of the player, without threads, sinks or clocks of its own."""

from __future__ import annotations

import pytest

from app import events
from app.audio import state_machine as sm
from app.audio.queue import SpeechQueue


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
    return machine.handle(sm.ItemReady(r.request.id))


def of(actions, kind):
    return [a for a in actions if isinstance(a, kind)]


def emitted(actions, kind):
    return [a.event for a in actions if isinstance(a, sm.Emit) and isinstance(a.event, kind)]


def play_to(machine, fraction):
    machine.handle(sm.Progress(fraction * machine.current.duration_s))


# ---- thresholds -----------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "new", "fraction", "expected"), [
    (10, 6, 0.5, False),  # gap 4
    (10, 5, 0.5, True),  # gap 5
    (10, 3, 0.86, False),  # late: gap 7
    (10, 2, 0.86, True),  # late: gap 8
    (10, 5, 0.85, True),  # exactly 85 % is not "more than"
    (5, 10, 0.0, False),  # less urgent never interrupts
])
def test_interrupt_thresholds(current, new, fraction, expected):
    assert sm.should_interrupt(current, new, fraction) is expected


@pytest.mark.parametrize(("gap", "fraction", "cut"), [
    (4, 0.5, False), (5, 0.5, True), (7, 0.86, False), (8, 0.86, True)])
def test_machine_interrupts_exactly_at_the_thresholds(machine, gap, fraction, cut):
    arrive(machine, ready("script", 10))
    play_to(machine, fraction)
    actions = arrive(machine, ready("urgent", 10 - gap))
    assert bool(of(actions, sm.StopCurrent)) is cut
    assert machine.state == (sm.INTERRUPTED if cut else sm.PLAYING)


def test_configured_thresholds_are_used(clocks):
    q = SpeechQueue(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    machine = sm.PlayerStateMachine(q, sm.Thresholds(gap=3, late_gap=4, late_fraction=0.5))
    arrive(machine, ready("script", 10))
    assert of(arrive(machine, ready("a", 7)), sm.StopCurrent)


# ---- interrupt and resume -------------------------------------------------------------------


def test_interrupted_item_resumes_after_the_urgent_one_from_the_cut_sentence(machine):
    actions = arrive(machine, ready("script", 10, duration=3.0, starts=(0.0, 1.0, 2.0)))
    assert of(actions, sm.Play)[0].item.id == "script"
    play_to(machine, 0.5)  # 1.5 s: inside sentence 1
    stop = of(arrive(machine, ready("gift", -5)), sm.StopCurrent)[0]
    assert stop.by_id == "gift"

    actions = machine.handle(sm.Stopped(1.5))
    (cut,) = emitted(actions, events.PlaybackInterrupted)
    assert (cut.id, cut.sentence_index, cut.by_id, cut.position_s) == ("script", 1, "gift", 1.5)
    (play,) = of(actions, sm.Play)
    assert play.item.id == "gift" and play.after_gap is False  # urgent starts at once
    assert machine.state == sm.INTERRUPTED

    actions = machine.handle(sm.Finished())
    (resumed,) = emitted(actions, events.PlaybackResumed)
    assert (resumed.id, resumed.sentence_index, resumed.position_s) == ("script", 1, 1.0)
    (play,) = of(actions, sm.Play)
    assert (play.item.id, play.start_s, play.resumed) == ("script", 1.0, True)
    states = [e.state for e in emitted(actions, events.PlayerStateChanged)]
    assert states == [sm.POST_INTERRUPT, sm.PLAYING]


def test_all_interrupting_items_play_before_the_resume(machine):
    arrive(machine, ready("script", 10, starts=(0.0, 1.5)))
    play_to(machine, 0.2)
    arrive(machine, ready("gift", -5))
    machine.handle(sm.Stopped(0.6))
    # while the gift plays a question (0) arrives: not enough to cut the gift, but it is more
    # urgent than the parked script, so it goes before the resume
    assert not of(arrive(machine, ready("question", 0)), sm.StopCurrent)
    assert of(machine.handle(sm.Finished()), sm.Play)[0].item.id == "question"
    assert machine.state == sm.INTERRUPTED
    play = of(machine.handle(sm.Finished()), sm.Play)[0]
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
    machine.handle(sm.Stopped(2.4))
    actions = machine.handle(sm.Finished())  # gift done
    assert of(actions, sm.Play)[0].item.id == "bridge-1"
    assert machine.state == sm.POST_INTERRUPT
    actions = machine.handle(sm.Finished())  # bridge done
    play = of(actions, sm.Play)[0]
    assert (play.item.id, play.start_s, play.resumed) == ("script", 2.0, True)


def test_interrupted_item_that_went_stale_is_dropped_not_resumed(machine, clocks):
    arrive(machine, ready("script", 10, deadline=clocks.wall + 5))
    play_to(machine, 0.3)
    arrive(machine, ready("gift", -5))
    machine.handle(sm.Stopped(0.9))
    clocks.advance(10)
    actions = machine.handle(sm.Finished())
    (dropped,) = emitted(actions, events.UtteranceDropped)
    assert dropped.id == "script" and "stale" in dropped.reason
    assert not of(actions, sm.Play) and machine.state == sm.IDLE
    assert machine.dropped_after_interrupt == 1


def test_parked_item_goes_stale_after_resume_within(machine, clocks):
    arrive(machine, ready("script", 10))
    arrive(machine, ready("gift", -5))
    machine.handle(sm.Stopped(0.5))
    clocks.advance(31)  # resume_within_s=30
    (dropped,) = emitted(machine.handle(sm.Finished()), events.UtteranceDropped)
    assert dropped.reason.startswith("stale: interrupted more than 30s ago")


def test_more_urgent_item_that_does_not_interrupt_goes_to_the_front(machine, clocks):
    arrive(machine, ready("welcome", 5, duration=500))
    arrive(machine, ready("older", 6))  # less urgent than what plays: waits in the queue
    clocks.advance(100)  # and ages: effective 6 - 10 = -4
    assert not of(arrive(machine, ready("comment", 4)), sm.StopCurrent)  # gap 1: no cut
    order = [of(machine.handle(sm.Finished()), sm.Play)[0].item.id for _ in range(2)]
    assert order == ["comment", "older"]


def test_play_now_interrupts_whatever_the_gap(machine):
    arrive(machine, ready("vip", -2))
    play_to(machine, 0.95)
    machine.queue.mark_ready(ready("operator", 0))
    machine.queue.play_now("operator")
    assert of(machine.handle(sm.ItemReady("operator")), sm.StopCurrent)


# ---- idle, fillers, operator commands -------------------------------------------------------


def test_filler_plays_when_dry_and_is_not_resumed_when_cut(clocks):
    q = SpeechQueue(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    filler = q.enqueue(ready("filler-1", 20, kind="filler").request)
    q.remove("filler-1")
    filler.ready = ready("filler-1", 20, kind="filler")
    machine = sm.PlayerStateMachine(q, filler_source=lambda: filler)
    assert of(machine.handle(sm.Dry()), sm.Play)[0].item.id == "filler-1"
    play_to(machine, 0.5)
    assert of(arrive(machine, ready("script", 10)), sm.StopCurrent)  # 20 - 10 >= 5
    actions = machine.handle(sm.Stopped(1.5))
    assert of(actions, sm.Play)[0].item.id == "script"
    assert not machine.queue.ordered()  # nothing parked
    assert machine.filler_cuts == 1 and machine.interrupts == 0


def test_no_filler_while_something_is_ready_or_paused(machine):
    machine.handle(sm.PauseCmd())
    assert machine.handle(sm.Dry()) == []
    machine.queue.mark_ready(ready("script"))
    assert machine.handle(sm.ItemReady("script")) == []  # paused: nothing starts
    play = of(machine.handle(sm.ResumeCmd()), sm.Play)[0]
    assert play.item.id == "script"


def test_pause_keeps_the_position_and_resume_continues_there(machine):
    arrive(machine, ready("script", 10))
    play_to(machine, 0.4)
    assert of(machine.handle(sm.PauseCmd()), sm.StopCurrent)[0].reason == "pause"
    assert machine.handle(sm.Stopped(1.1)) == []
    play = of(machine.handle(sm.ResumeCmd()), sm.Play)[0]
    assert (play.item.id, play.start_s, play.continuation) == ("script", 1.1, True)


def test_skip_drops_the_current_item_and_plays_the_next(machine):
    arrive(machine, ready("a", 10))
    arrive(machine, ready("b", 10))
    assert of(machine.handle(sm.SkipCurrent()), sm.StopCurrent)[0].reason == "skip"
    actions = machine.handle(sm.Stopped(0.3))
    assert [d.item.id for d in of(actions, sm.Drop)] == ["a"]
    assert "skipped" in of(actions, sm.Drop)[0].reason
    assert of(actions, sm.Play)[0].item.id == "b"


def test_cancel_drops_queued_and_current_ids(machine):
    arrive(machine, ready("a", 10))
    arrive(machine, ready("b", 10))
    arrive(machine, ready("c", 10))
    actions = machine.handle(sm.Cancel(("a", "b"), "config reloaded"))
    assert [d.item.id for d in of(actions, sm.Drop)] == ["b"]
    assert of(actions, sm.StopCurrent)
    actions = machine.handle(sm.Stopped(0.1))
    assert [d.item.id for d in of(actions, sm.Drop)] == ["a"]
    assert of(actions, sm.Play)[0].item.id == "c"


def test_finishing_with_an_empty_queue_goes_idle(machine):
    arrive(machine, ready("a"))
    actions = machine.handle(sm.Finished())
    assert of(actions, sm.Idle) and machine.state == sm.IDLE and machine.current is None
    assert emitted(actions, events.PlaybackFinished)[0].id == "a"


def test_unknown_input_is_a_clear_error(machine):
    with pytest.raises(TypeError, match="does not handle str"):
        machine.handle("play")


def test_cut_sentence_picks_the_sentence_under_the_position():
    assert sm.cut_sentence((0.0, 1.0, 2.0), 1.0) == (1, 1.0)
    assert sm.cut_sentence((0.0, 1.0, 2.0), 0.99) == (0, 0.0)
    assert sm.cut_sentence((0.0, 1.0, 2.0), 5.0) == (2, 2.0)
    assert sm.cut_sentence((), 1.0) == (0, 0.0)
