"""Gifts, welcomes, follows and likes: what the room hears, when, and how urgently."""

from __future__ import annotations

import re
from dataclasses import replace

from app.director import SpeechRate
from app.events import Priority
from app.reply import ReplyPolicy, ReplySettings
from tests.unit.reply.helpers import drops, enter, follow, gift, like, speech, user

T0 = 1_700_000_000.0


def policy(**settings) -> ReplyPolicy:
    return ReplyPolicy(settings=ReplySettings(**settings), clock=lambda: T0)


# ---- gifts ----------------------------------------------------------------------------------


def test_gift_combo_of_single_increments_is_thanked_once_for_the_sum():
    p = policy(gift_window_s=1.5, gift_pool_window_s=0, large_gift_diamonds=100)
    wang = user("u5", "小王")
    out = []
    for i in range(3):
        out += p.handle(gift(wang, 1, total=i + 1), now=T0 + i * 0.5)
    assert speech(out) == [], "nothing is said while the combo is still running"
    assert speech(p.tick(now=T0 + 1.0 + 1.4)) == []  # 1.4 s after the last increment
    said = speech(p.tick(now=T0 + 1.0 + 1.5))
    assert [s.text for s in said] == ["感谢小王送的3个小心心"]
    assert said[0].kind == "gift" and said[0].priority == Priority.GIFT_NORMAL
    assert said[0].priority > Priority.COMMENT_IMPORTANT, "a buyer's question outranks a small gift"
    assert speech(p.tick(now=T0 + 10)) == [], "thanked once only"


def test_gift_count_is_the_increment_carried_by_each_message():
    p = policy()
    out = p.handle(gift(user(), 2, total=2), now=T0) + p.handle(gift(user(), 3, total=5), now=T0 + 1)
    out += p.tick(now=T0 + 10)
    assert [s.text for s in speech(out)] == ["感谢小明送的5个小心心"]


def test_small_gifts_inside_the_pool_window_become_one_line():
    p = policy(gift_window_s=1.0, gift_pool_window_s=3.0)
    a, b, c = user("a", "阿A"), user("b", "阿B"), user("c", "阿C")
    p.handle(gift(a, 1), now=T0)
    p.handle(gift(b, 1), now=T0 + 0.5)
    p.handle(gift(a, 1, gift_id="9", name="玫瑰"), now=T0 + 1)
    p.handle(gift(c, 1), now=T0 + 2.5)
    assert speech(p.tick(now=T0 + 3.9)) == []  # the first combo ended at 1.0: the pool waits until 4.0
    (line,) = speech(p.tick(now=T0 + 4.0))
    assert line.text == "感谢阿A、阿B、阿C等3位家人送的礼物"
    assert line.viewer == "阿A、阿B、阿C"


def test_a_large_gift_is_thanked_when_its_combo_ends_with_large_priority():
    p = policy(gift_window_s=1.5, large_gift_window_s=1.0, large_gift_diamonds=100)
    boss = user("u9", "大哥")
    assert speech(p.handle(gift(boss, 5, name="棒棒糖", diamonds=10), now=T0)) == []
    last = gift(boss, 5, name="棒棒糖", diamonds=10, total=10)
    assert speech(p.handle(last, now=T0 + 0.2)) == [], "the combo may still grow"
    said = speech(p.tick(now=T0 + 1.2))  # quiet for 1 s: a large combo is over
    assert [s.text for s in said] == ["感谢大哥送的10个棒棒糖"]
    assert said[0].priority == Priority.GIFT_LARGE
    assert said[0].source_event == last.msg_id  # the message that ended it


def test_combo_running_forever_is_thanked_by_max_wait():
    p = policy(gift_window_s=1.5, gift_max_wait_s=4.0, gift_pool_window_s=0)
    u = user()
    said = []
    for i in range(12):  # an increment every 0.5 s: never quiet for 1.5 s
        said += speech(p.handle(gift(u, 1), now=T0 + i * 0.5))
    assert len(said) == 1 and "9个" in said[0].text  # thanked at 4.0 s, covering 9 increments


def test_gift_deadline_and_source_event():
    p = policy(stale_gift_s=60.0, gift_pool_window_s=0)
    g = gift(user(), 1)
    p.handle(g, now=T0)
    (s,) = speech(p.tick(now=T0 + 2))
    assert s.source_event == g.msg_id
    assert s.deadline == T0 + 2 + 60.0 and s.created_at == T0 + 2


def test_a_gift_to_a_guest_names_the_receiver_or_is_not_thanked():
    from app.events import GiftInfo, LiveEvent
    to_guest = LiveEvent(type="gift", msg_id="g1", room_id="r", ts=0, user=user("u", "小张"),
                         gift=GiftInfo(id="1", name="玫瑰", count=1, total=1, diamonds=1, to_user="嘉宾B"))
    p = policy(gift_pool_window_s=0)
    p.handle(to_guest, now=T0)
    assert [s.text for s in speech(p.tick(now=T0 + 2))] == ["感谢小张送给嘉宾B的1个玫瑰"]
    p = policy(guest_gift_thanks="off")
    assert [d.reason for d in drops(p.handle(to_guest, now=T0))] == ["gift_to_guest"]


def test_malformed_gift_is_dropped_with_reason():
    p = policy()
    out = p.handle(gift(user(), 0), now=T0)
    assert [d.reason for d in drops(out)] == ["malformed_gift"]


# ---- welcomes -------------------------------------------------------------------------------


def test_burst_of_entries_gives_one_batched_welcome_of_the_newest_names():
    p = policy(welcome_batch_window_s=3.0, welcome_max_names=3, welcome_min_interval_s=15.0)
    names = ["甲", "乙", "丙", "丁", "戊"]
    out = []
    for i, n in enumerate(names):
        out += p.handle(enter(user(f"u{i}", n)), now=T0 + i * 0.1)
    assert speech(out) == []
    assert sorted(d.reason for d in drops(out)) == ["welcome_batch_full"] * 2
    said = speech(p.tick(now=T0 + 3.0))
    assert [s.text for s in said] == ["欢迎丙、丁、戊来到直播间"]
    assert said[0].kind == "welcome" and said[0].priority == Priority.NORMAL


def test_welcomes_are_at_least_min_interval_apart():
    p = policy(welcome_batch_window_s=1.0, welcome_min_interval_s=15.0)
    p.handle(enter(user("a", "甲")), now=T0)
    assert len(speech(p.tick(now=T0 + 1))) == 1
    p.handle(enter(user("b", "乙")), now=T0 + 2)
    assert speech(p.tick(now=T0 + 10)) == [], "too soon after the previous welcome"
    said = speech(p.tick(now=T0 + 16))
    assert [s.text for s in said] == ["欢迎乙来到直播间"]


def test_same_viewer_is_not_welcomed_twice():
    p = policy(welcome_batch_window_s=1.0, welcome_min_interval_s=0.0, welcome_repeat_after_s=600.0)
    p.handle(enter(user("a", "甲")), now=T0)
    p.tick(now=T0 + 1)
    out = p.handle(enter(user("a", "甲")), now=T0 + 30)
    assert [d.reason for d in drops(out)] == ["welcome_repeat"]
    assert speech(p.tick(now=T0 + 60)) == []


def test_a_viewer_thanked_by_name_is_not_welcomed_again_when_coming_back():
    p = policy(gift_window_s=1.0, gift_pool_window_s=0, welcome_batch_window_s=1.0, welcome_min_interval_s=0.0,
               welcome_repeat_after_s=600.0)
    a = user("a", "甲")
    p.handle(gift(a, 1), now=T0)
    assert [s.text for s in speech(p.tick(now=T0 + 5))] == ["感谢甲送的1个小心心"]
    out = p.handle(enter(a), now=T0 + 60)  # left and came back a minute later
    assert [d.reason for d in drops(out)] == ["welcome_repeat"]
    assert speech(p.tick(now=T0 + 90)) == []


def test_a_welcome_with_no_name_to_say_is_left_to_the_script():
    def mask(name: str) -> str:  # as the compliance filter does with a default "用户8823571"
        return "这位朋友" if any(ch.isdigit() for ch in name) else name

    p = ReplyPolicy(settings=ReplySettings(welcome_batch_window_s=1.0, welcome_min_interval_s=0.0),
                    mask_nickname=mask, clock=lambda: T0)
    out = p.handle(enter(user("a", "用户8823571")), now=T0) + p.tick(now=T0 + 2)
    assert speech(out) == [] and [d.reason for d in drops(out)] == ["welcome_no_name"]
    p.handle(enter(user("b", "用户5550001")), now=T0 + 10)
    p.handle(enter(user("c", "小红")), now=T0 + 10.5)
    out = p.tick(now=T0 + 12)
    (line,) = speech(out)
    assert "小红" in line.text and "这位朋友" not in line.text  # 欢迎小红: the nameless one is left out
    assert [d.reason for d in drops(out)] == ["welcome_no_name"]


def test_a_viewer_thanked_while_their_welcome_gathers_is_not_welcomed_after_the_thanks():
    """小太阳 came in, sent a rose, heard 谢谢小太阳的玫瑰 — and 欢迎小太阳 after it was one greeting too many."""
    p = policy(gift_window_s=1.0, gift_pool_window_s=0, welcome_batch_window_s=3.0, welcome_min_interval_s=45.0,
               welcome_repeat_after_s=600.0)
    sun, cat = user("s", "小太阳"), user("c", "猫")
    p.handle(enter(cat), now=T0)
    assert "猫" in speech(p.tick(now=T0 + 4))[0].text  # the first welcome: the next waits 45 s
    p.handle(enter(sun), now=T0 + 10)
    p.handle(gift(sun, 1), now=T0 + 12)
    out = p.tick(now=T0 + 15)
    assert [s.text for s in speech(out)] == ["感谢小太阳送的1个小心心"]
    assert [d.reason for d in drops(out)] == ["welcome_named_on_air"]
    assert speech(p.tick(now=T0 + 60)) == []  # no 欢迎小太阳 when the welcome interval is up


def test_welcome_disabled_records_why():
    p = policy(welcome=False)
    out = p.handle(enter(user()), now=T0) + p.tick(now=T0 + 100)
    assert speech(out) == [] and [d.reason for d in drops(out)] == ["welcome_disabled"]


# ---- follows --------------------------------------------------------------------------------


def test_follows_are_batched_into_one_thanks():
    p = policy(follow_window_s=2.0, follow_min_interval_s=8.0)
    p.handle(follow(user("a", "甲")), now=T0)
    p.handle(follow(user("b", "乙")), now=T0 + 0.5)
    said = speech(p.tick(now=T0 + 2.0))
    assert [s.text for s in said] == ["感谢甲、乙的关注"] and said[0].kind == "follow"
    p.handle(follow(user("c", "丙")), now=T0 + 3)
    assert speech(p.tick(now=T0 + 6)) == []  # follow cooldown
    assert [s.text for s in speech(p.tick(now=T0 + 10))] == ["感谢丙的关注"]


# ---- likes ----------------------------------------------------------------------------------


def test_like_milestones_are_thanked_once_each():
    p = policy(like_milestones=(1000, 5000, 10000))
    u = user()
    totals = [400, 990, 1010, 1500, 1020, 4000, 12000, 12500]
    said, out = [], []
    prev = 0
    for t in totals:
        step = p.handle(like(u, max(t - prev, 1), t), now=T0)
        said += [s.text for s in speech(step)]
        out += step
        prev = t
    assert said == ["感谢大家的点赞，点赞已经突破1000啦", "感谢大家的点赞，点赞已经突破10000啦"]
    assert all(d.reason == "like_no_milestone" for d in drops(out))
    assert len(drops(out)) == len(totals) - 2


def test_like_milestones_passed_before_the_session_are_not_thanked_late():
    p = policy(like_milestones=(1000, 5000))
    assert speech(p.handle(like(user(), 20, 3000), now=T0)) == []
    assert len(speech(p.handle(like(user(), 2500, 5500), now=T0))) == 1


def test_like_milestone_every_continues_past_the_list():
    p = policy(like_milestones=(1000,), like_milestone_every=5000, thanks_share_max=1.0)
    u = user()
    texts = []
    for t in (10, 1200, 5900, 6100, 11050):
        texts += [s.text for s in speech(p.handle(like(u, 10, t), now=T0))]
    assert [re.search(r"突破(\d+)", t).group(1) for t in texts] == ["1000", "6000", "11000"]


def test_milestones_reloaded_live():
    p = policy(like_milestones=(1000,))
    p.handle(like(user(), 10, 10), now=T0)
    p.update_settings(replace(p.settings, like_milestones=(50, 1000)))
    said = speech(p.handle(like(user(), 50, 60), now=T0))
    assert [s.text for s in said] == ["感谢大家的点赞，点赞已经突破50啦"]


# ---- things that are never spoken -----------------------------------------------------------


def test_stats_and_live_end_are_recorded_not_spoken():
    from app.events import LiveEvent, RoomStats
    p = policy()
    out = p.handle(LiveEvent(type="stats", msg_id="s1", room_id="r", ts=0, stats=RoomStats(online=3, total=9)), now=T0)
    out += p.handle(LiveEvent(type="live_end", msg_id="e1", room_id="r", ts=0), now=T0)
    assert speech(out) == []
    assert {d.ref: d.reason for d in drops(out)} == {"s1": "no_speech_for_stats", "e1": "no_speech_for_live_end"}
    assert p.counters()["seen"] == {"stats": 1, "live_end": 1}


def test_thanks_keep_to_their_airtime_budget_and_gather_names_while_they_wait():
    p = policy(gift_window_s=1.0, gift_pool_window_s=1.0, thanks_share_max=0.1)  # 6 s of thanks a minute
    said = []
    for i in range(60):  # a small gift a second for a minute, each from someone new
        said += speech(p.handle(gift(user(f"v{i}", f"观众{i}"), 1), now=T0 + i))
        said += speech(p.tick(now=T0 + i + 0.5))
    estimated = sum(SpeechRate().seconds(s.text) for s in said)  # as the policy estimates a line
    assert estimated <= 6.0 + 4.0  # the minute's share (a line that fits when nothing else was said)
    assert 1 <= len(said) <= 2 and all("位家人" in s.text for s in said)
    assert p.counters()["dropped"] == {}, "nothing is dropped: the givers are named together"


def test_large_gifts_are_never_held_by_the_budget():
    p = policy(thanks_share_max=0.05, large_gift_diamonds=100, large_gift_window_s=0.5)
    said = []
    for i in range(3):
        p.handle(gift(user(f"b{i}", f"大哥{i}"), 1, diamonds=500), now=T0 + i)
        said += speech(p.tick(now=T0 + i + 0.5))
    assert len(said) == 3 and all(s.priority == Priority.GIFT_LARGE for s in said)


def test_welcomes_that_waited_too_long_for_the_budget_are_dropped_with_why():
    p = policy(welcome_batch_window_s=1.0, welcome_min_interval_s=0, stale_welcome_s=15.0, thanks_share_max=0.02)
    p.handle(enter(user("a", "甲")), now=T0)
    assert len(speech(p.tick(now=T0 + 1))) == 1  # the full bucket pays for one
    p.handle(enter(user("b", "乙")), now=T0 + 2)
    out = p.tick(now=T0 + 10)
    assert speech(out) == []
    out = p.tick(now=T0 + 20)
    assert [d.reason for d in drops(out)] == ["welcome_waited_for_thanks_budget"]


def test_every_spoken_kind_carries_its_stale_deadline():
    p = policy(welcome_batch_window_s=1.0, follow_window_s=1.0, like_milestones=(10,), stale_welcome_s=15.0,
               stale_follow_s=30.0, stale_like_s=20.0, stale_gift_s=60.0, gift_pool_window_s=0, thanks_share_max=1.0)
    p.handle(enter(user("a")), now=T0)
    p.handle(follow(user("b")), now=T0)
    p.handle(gift(user("c"), 1), now=T0)
    out = p.handle(like(user("d"), 5, 12), now=T0) + p.tick(now=T0 + 2)
    deadlines = {s.kind: s.deadline - s.created_at for s in speech(out)}
    assert deadlines == {"welcome": 15.0, "follow": 30.0, "like": 20.0, "gift": 60.0}


def test_a_thanks_line_dropped_before_it_was_heard_gives_its_air_back():
    from app.events import UtteranceDropped
    p = policy(welcome_batch_window_s=1.0, welcome_min_interval_s=0, thanks_share_max=0.02, stale_welcome_s=60.0)
    p.handle(enter(user("a", "甲")), now=T0)
    (first,) = speech(p.tick(now=T0 + 1))
    p.handle(enter(user("b", "乙")), now=T0 + 2)
    assert speech(p.tick(now=T0 + 3)) == [], "the budget went to the first welcome"
    p.on_player_event(UtteranceDropped(id=first.id, reason="stale: deadline passed"))  # never heard
    assert [s.text for s in speech(p.tick(now=T0 + 4))] == ["欢迎乙来到直播间"]


def test_a_welcome_waiting_out_its_interval_is_not_dropped_as_stale():
    p = policy(welcome_batch_window_s=1.0, welcome_min_interval_s=15.0, stale_welcome_s=15.0)
    p.handle(enter(user("a", "甲")), now=T0)
    assert len(speech(p.tick(now=T0 + 1))) == 1
    p.handle(enter(user("b", "乙")), now=T0 + 2)  # must wait until T0 + 16 for the interval
    out = p.tick(now=T0 + 16)
    assert [s.text for s in speech(out)] == ["欢迎乙来到直播间"] and drops(out) == []
