"""The director's decisions on a hand-driven clock: where a cut falls, what plays next, the
airtime it measures and the budgets it keeps."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app import events
from app.director import Airtime, AirtimeBudget, Director, DirectorSettings, SpeechRate, air_class
from app.director.policy import (
    R_ANSWER,
    R_INTERACTION,
    R_LOW,
    R_SCRIPT,
    R_SCRIPT_DUE,
    R_WAITING,
    should_interrupt,
)


@dataclass
class Item:
    """What the director sees of a queue item."""

    id: str
    kind: str
    priority: int
    queued_at: float = 0.0
    seq: int = 0
    force: bool = False
    interrupted: bool = False
    group: str | None = None
    request: events.SpeechRequest = field(init=False)

    def __post_init__(self):
        self.request = events.SpeechRequest(id=self.id, text=self.id, kind=self.kind, priority=self.priority,
                                            group=self.group)


def director(**settings) -> Director:
    return Director(DirectorSettings(**settings), Airtime(0.0), aging_interval_s=30.0)


# ---- where the cut falls ----------------------------------------------------------------------


@pytest.mark.parametrize(("current", "new", "fraction", "expected"), [
    (10, 6, 0.5, False),  # gap 4
    (10, 5, 0.5, True),  # gap 5
    (10, 3, 0.86, False),  # late: gap 7
    (10, 2, 0.86, True),  # late: gap 8
    (10, 5, 0.85, True),  # exactly 85 % is not "more than"
    (5, 10, 0.0, False),  # less urgent never interrupts
])
def test_interrupt_thresholds(current, new, fraction, expected):
    """Design §5's gap rule, with the default thresholds ([priority] interrupt_gap 5, late 8 past 85 %)."""
    assert should_interrupt(current, new, fraction) is expected


def test_the_director_and_tts_call_the_same_lines_urgent():
    """One urgency rule (app.utterance.is_urgent): what cuts at once is what TTS needs at once."""
    from app.tts.jobs import urgent

    d = director()
    for priority in range(-12, 22):
        req = events.SpeechRequest(id="x", text="x", kind="reply", priority=priority)
        assert urgent(req) == d.is_urgent(Item("x", "reply", priority)), priority


def test_bad_aging_is_rejected():
    with pytest.raises(ValueError, match="aging_interval_s"):
        Director(aging_interval_s=0)


@pytest.mark.parametrize(("current", "new", "fraction", "cut"), [
    (Item("script", "script", 10), Item("big-gift", "gift", -5), 0.5, "hard"),  # urgent: at once
    (Item("script", "script", 10), Item("operator", "say_now", -10), 0.95, "hard"),
    (Item("script", "script", 10), Item("answer", "reply", 0), 0.5, "soft"),  # buyers: at the sentence end
    (Item("script", "script", 10), Item("thanks", "gift", 3), 0.5, "soft"),
    (Item("script", "script", 10), Item("welcome", "welcome", 6), 0.5, None),  # gap 4: waits
    (Item("script", "script", 10), Item("answer", "reply", 0), 0.9, "soft"),  # late: gap 10 ≥ 8
    (Item("script", "script", 10), Item("thanks", "gift", 3), 0.9, None),  # late: gap 7 < 8
    (Item("answer", "reply", 0), Item("big-gift", "gift", -5), 0.5, "hard"),
    # a VIP's answer (-2) is too close for the gap rule, but a rocket's thanks does not wait out
    # the whole answer (6.6 s in the demo room): it comes in at the answer's next sentence end
    (Item("vip-answer", "reply", -2), Item("big-gift", "gift", -5), 0.5, "soft"),
    (Item("answer", "reply", 0), Item("big-gift", "gift", -5), 0.9, "soft"),  # late: gap 5 < 8
    (Item("big-gift", "gift", -5), Item("other-big-gift", "gift", -5), 0.5, None),  # urgent over urgent: waits
    (Item("filler", "filler", 20), Item("script", "script", 10), 0.5, "hard"),  # a filler goes at once
])
def test_where_the_cut_falls(current, new, fraction, cut):
    assert director().cut(current, new, fraction) == cut


def test_play_now_always_cuts_at_once():
    assert director().cut(Item("a", "reply", -2), Item("op", "say_now", 5, force=True), 0.99) == "hard"


# ---- what plays next --------------------------------------------------------------------------


def test_buyers_first_then_thanks_then_script():
    d = director()
    items = [Item("s", "script", 10, seq=0), Item("g", "gift", 3, seq=1), Item("w", "welcome", 5, seq=2),
             Item("q", "reply", 0, seq=3)]
    order = sorted(items, key=lambda i: d.key(i, 10.0))
    assert [i.id for i in order] == ["q", "g", "w", "s"]


def test_script_that_has_been_quiet_too_long_goes_before_answers():
    d = director(script_max_gap_s=40)
    answer, script = Item("q", "reply", 0), Item("s", "script", 10)
    d.airtime.add("script", 0.0, 5.0)
    d.airtime.add("answer", 5.0, 30.0)
    assert d.pick([answer, script], now=30.0).id == "q"  # 25 s without script: fine
    d.airtime.add("answer", 30.0, 38.0)
    assert d.rank(script, 38.0) == R_SCRIPT_DUE  # 33 s: the next line would pass 40 s
    assert d.pick([answer, script], now=38.0).id == "s"


def test_below_its_floor_the_script_goes_before_reminders_and_thanks_that_had_their_share():
    d = director(script_share_floor=0.5, thanks_share_max=0.15)
    d.airtime.add("script", 0.0, 20.0)
    d.airtime.add("thanks", 20.0, 60.0)
    d.airtime.add("script", 60.0, 61.0)  # script 21 s of 61 s spoken; thanks 40 s, far over their 15 %
    script, thanks, answer = Item("s", "script", 10), Item("t", "gift", 3), Item("q", "reply", 0)
    reminder = Item("r", "timed", 5)
    assert d.script_below_floor(61.0)
    assert d.pick([script, thanks], 61.0).id == "s"
    assert d.pick([script, reminder], 61.0).id == "s"
    assert d.pick([script, thanks, answer], 61.0).id == "q", "buyers first, floor or not"


def test_below_its_floor_the_script_does_not_starve_thanks_within_their_share():
    d = director(script_share_floor=0.5, thanks_share_max=0.15)
    d.airtime.add("answer", 0.0, 30.0)  # the answers took the air, not the thanks
    d.airtime.add("script", 30.0, 50.0)
    d.airtime.add("answer", 50.0, 60.0)
    d.airtime.add("thanks", 60.0, 62.0)
    assert d.script_below_floor(62.0)
    assert d.pick([Item("s", "script", 10), Item("t", "gift", 3)], 62.0).id == "t"


def test_the_floor_is_not_judged_on_the_first_minute_of_speech():
    d = director(script_share_floor=0.5)
    d.airtime.add("thanks", 0.0, 30.0)  # a welcome burst at 开播
    d.airtime.add("script", 30.0, 31.0)
    assert not d.script_below_floor(31.0)
    assert d.rank(Item("r", "timed", 5), 31.0) == R_INTERACTION


def test_thanks_wait_for_the_end_of_a_half_read_segment_but_not_forever():
    d = director(break_wait_s=8)
    thanks = Item("t", "gift", 3, queued_at=100.0)
    script = Item("s2", "script", 10, group="seg-1")
    d.airtime.begin("script", 95.0)  # the segment is being read
    assert d.rank(thanks, 101.0, open_group="seg-1") == R_WAITING
    assert d.pick([thanks, script], 101.0, open_group="seg-1").id == "s2"
    assert d.pick([thanks, script], 101.0, open_group=None).id == "t"  # a segment end: its turn
    assert d.rank(thanks, 108.5, open_group="seg-1") == R_INTERACTION  # waited 8.5 s: it goes
    answer = Item("q", "reply", 0, queued_at=100.0)
    assert d.rank(answer, 101.0, open_group="seg-1") == R_ANSWER  # buyers never wait for a break


def test_thanks_that_waited_long_enough_still_never_split_a_sentence():
    d = director(break_wait_s=8)
    welcome = Item("w", "welcome", 5, queued_at=100.0)
    next_clause = Item("s3", "script", 10, group="seg-1")
    d.airtime.begin("script", 95.0)
    # "现在下单，72小时内发货，" was heard; "用顺丰快递。" is next: the welcome waits for it
    assert d.pick([welcome, next_clause], 120.0, open_group="seg-1", mid_sentence=True).id == "s3"
    # at the sentence's end it goes in, waited out break_wait_s
    assert d.pick([welcome, next_clause], 120.0, open_group="seg-1", mid_sentence=False).id == "w"
    answer = Item("q", "reply", 0, queued_at=119.0)
    assert d.pick([answer, next_clause], 120.0, open_group="seg-1", mid_sentence=True).id == "q"  # buyers first


def test_low_items_play_after_the_script_and_parked_items_first_in_their_rank():
    d = director()
    assert d.rank(Item("bg", "timed", 20), 0.0) == R_LOW
    assert d.rank(Item("s", "script", 10), 0.0) == R_SCRIPT
    fresh, parked = Item("a", "reply", -2, seq=0), Item("b", "reply", 0, seq=1, interrupted=True)
    assert d.pick([fresh, parked], 0.0).id == "b"


def test_waiting_ages_within_a_rank():
    d = director()
    old = Item("old", "timed", 5, queued_at=0.0, seq=0)
    new = Item("new", "timed", 3, queued_at=100.0, seq=1)
    assert d.pick([new, old], 100.0).id == "old"  # 5 - 100/30 < 3


# ---- airtime ---------------------------------------------------------------------------------


def test_airtime_shares_since_and_minutes():
    a = Airtime(1000.0)
    a.add("script", 1000.0, 1030.0)
    a.add("thanks", 1030.0, 1040.0)
    a.begin("answer", 1050.0)
    assert a.sounding == "answer"
    assert a.spoken(None, 1070.0, 60.0) == pytest.approx(30 + 10 + 20 - 10)  # window from 1010
    assert a.share("script", 1040.0, 600.0) == pytest.approx(0.75)
    assert a.since("script", 1070.0) == pytest.approx(40.0)
    assert a.since("answer", 1070.0) == 0.0
    a.end(1075.0)
    minutes = a.per_minute()
    assert minutes[0] == {"script": 30.0, "answer": 10.0, "thanks": 10.0, "other": 0.0}
    assert minutes[1]["answer"] == 15.0
    assert a.totals_now(1080.0)["answer"] == 25.0


def test_share_says_nothing_before_enough_was_spoken():
    a = Airtime(0.0)
    a.add("thanks", 0.0, 5.0)
    assert a.share("script", 6.0, 300.0) is None


def test_kinds_map_to_the_four_classes():
    assert [air_class(k) for k in ("script", "reply", "llm", "gift", "welcome", "fansclub", "timed", "filler")] == [
        "script", "answer", "answer", "thanks", "thanks", "thanks", "other", "other"]


# ---- budgets ---------------------------------------------------------------------------------


def test_budget_holds_a_class_to_its_share_of_any_minute():
    b = AirtimeBudget(0.15)
    assert b.capacity == pytest.approx(9.0)
    assert b.allows(4.0, 0.0)
    b.spend(4.0, 0.0)
    b.spend(4.0, 10.0)
    assert not b.allows(4.0, 20.0)  # 8 s spent in this minute: 1 s left
    assert b.wait_for(4.0, 20.0) == pytest.approx(40.0)  # until the first spend leaves the window
    assert b.allows(4.0, 60.0)
    assert b.level(10_000.0) == pytest.approx(9.0)  # a quiet hour is not saved up


def test_no_minute_ever_holds_more_than_the_share():
    b = AirtimeBudget(0.3)  # 18 s a minute
    spends, t = [], 0.0
    while t < 300.0:  # a line of 5 s offered every 2 s, for five minutes
        if b.allows(5.0, t):
            b.spend(5.0, t)
            spends.append(t)
        t += 2.0
    for start in range(0, 241, 2):  # every window of 60 s, the first minute included
        inside = [x for x in spends if start <= x < start + 60]
        assert 5.0 * len(inside) <= 18.0, (start, inside)


def test_a_forced_spend_goes_over_and_delays_the_next_line():
    b = AirtimeBudget(0.15)
    b.spend(15.0, 0.0)  # a large gift's thanks must be said anyway
    assert b.level(0.0) == pytest.approx(-6.0)
    assert not b.allows(3.0, 30.0)
    assert b.allows(3.0, 60.0)


def test_a_line_longer_than_the_budget_goes_when_nothing_else_was_spent():
    b = AirtimeBudget(0.05)  # 3 s a minute
    assert b.allows(5.0, 0.0)
    b.spend(5.0, 0.0)
    assert not b.allows(5.0, 30.0)
    b.spend(-5.0, 31.0)  # it was never heard: given back
    assert b.allows(5.0, 31.0)


def test_speech_rate_learns_the_voice():
    rate = SpeechRate(chars_per_s=4.5)
    before = rate.seconds("感谢小明送的小心心")
    for _ in range(30):
        rate.observe("一二三四五六七八九十", 5.0)  # 2 characters a second
    assert rate.seconds("一二三四五六七八九十") == pytest.approx(5.3, abs=0.2)
    assert before < rate.seconds("感谢小明送的小心心")
