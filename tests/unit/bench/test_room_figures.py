"""The room benchmark's figures on hand-made event logs (no runtime, no clock: times are given)."""

from __future__ import annotations

import pytest

from app import events
from app.content.library import ProductLibrary
from app.live.recording import iter_lines
from app.paths import bundled_data_dir
from tests.bench import room_figures as rf
from tests.bench.room import faq_hits
from tests.standins.dybarrage import Room, Viewer

CREAM, TEE = "face-cream", "tshirt"
HITS = faq_hits(ProductLibrary(bundled_data_dir() / "products"))
ANNA, BEN = Viewer(id=11, nickname="安娜"), Viewer(id=22, nickname="阿斌")


def live(t: float, msg_id: str, kind: str = "comment", text: str = "") -> tuple[float, events.LiveEvent]:
    return t, events.LiveEvent(type=kind, msg_id=msg_id, room_id="1", ts=t, text=text)


def req(t: float, uid: str, kind: str, product: str | None = CREAM, source: str | None = None):
    return t, events.SpeechRequest(id=uid, text="…", kind=kind, priority=0, product=product, source_event=source)


def start(t: float, uid: str, kind: str, resumed: bool = False):
    return t, events.PlaybackStarted(id=uid, kind=kind, text="…", priority=0, duration_s=9.0, resumed=resumed)


def finish(t: float, uid: str):
    return t, events.PlaybackFinished(id=uid)


def cut(t: float, uid: str):
    return t, events.PlaybackInterrupted(id=uid, position_s=1.0, sentence_index=0, by_id="x")


def resumed(t: float, uid: str):
    return t, events.PlaybackResumed(id=uid, sentence_index=0, position_s=1.0)


def feed_of(*frames: str) -> rf.Feed:
    return rf.parse_feed(iter_lines(frames))


# ---- spoken time -------------------------------------------------------------------------------


def test_spoken_time_counts_what_was_heard_partial_plays_included():
    log = [
        req(0, "s1", "script"), req(0, "g1", "gift"), req(0, "w1", "welcome"), req(0, "r1", "reply"),
        start(0.0, "s1", "script"), cut(4.0, "s1"),  # 4 s of script, then cut
        start(4.5, "g1", "gift"), finish(7.5, "g1"),  # 3 s of thanks (the gap before it is silence)
        start(7.5, "b1", "bridge"), finish(8.5, "b1"),  # 1 s other (no request seen: the player's kind)
        resumed(8.5, "s1"), start(8.5, "s1", "script", resumed=True), finish(14.5, "s1"),  # 6 s more script
        start(15.0, "r1", "reply"), finish(19.0, "r1"),  # 4 s answer
        start(19.0, "w1", "welcome"),  # still speaking when the run ends at 20 s: 1 s
    ]
    heard = rf.airtime(log, end_t=20.0)
    assert heard == pytest.approx({"script": 10.0, "thanks": 4.0, "answers": 4.0, "other": 1.0})
    figs = rf.figures(rf.RoomRun(airtime=heard), "demo")
    assert figs["demo_script_share_pct"] == pytest.approx(100 * 10 / 19)
    assert figs["demo_thanks_share_pct"] == pytest.approx(100 * 4 / 19)
    assert figs["demo_spoken_s"] == pytest.approx(19.0)


def test_a_start_closes_what_played_before_and_a_drop_ends_a_play():
    log = [start(0.0, "s1", "script"), start(3.0, "f1", "filler"),  # no end event for s1: one voice
           (5.0, events.UtteranceDropped(id="f1", reason="cancelled")), start(9.0, "t1", "timed")]
    assert rf.airtime(log, end_t=10.0) == pytest.approx({"script": 3.0, "thanks": 0.0, "answers": 0.0,
                                                         "other": 3.0})


def test_share_and_fansclub_thanks_count_as_thanks_and_timed_lines_as_other():
    assert [rf.speech_class(k) for k in ("share", "fansclub", "follow", "like", "timed", "say_now", "llm")] == [
        "thanks", "thanks", "thanks", "thanks", "other", "other", "answers"]


# ---- questions ---------------------------------------------------------------------------------


def question_log() -> tuple[list, rf.Feed]:
    room = Room()
    feed = feed_of(room.comment(101, ANNA, "这个多少钱"), room.comment(102, BEN, "尺码偏大吗"),
                   room.comment(103, ANNA, "包邮吗"), room.comment(104, BEN, "有优惠吗"),
                   room.comment(105, ANNA, "主播多高呀"), room.comment(106, BEN, "尺码偏小吗"),
                   room.comment(107, ANNA, "多少钱呀"), room.comment(108, BEN, "面料是纯棉吗"))
    log = [
        req(0.0, "s1", "script", CREAM), start(0.5, "s1", "script"),
        live(2.0, "101", text="这个多少钱"), req(2.1, "a101", "reply", source="101"), start(4.5, "a101", "reply"),
        live(3.0, "102", text="尺码偏大吗"),  # a T-shirt question while the face cream is on air: not counted
        live(5.0, "103", text="包邮吗"),
        (5.0, events.Dropped(stage="reply", ref="103", reason="rate_limited")),
        live(6.0, "104", text="有优惠吗"), req(6.0, "a104", "reply", source="104"),
        (40.0, events.UtteranceDropped(id="a104", reason="stale: waited 34 s")),
        live(7.0, "105", text="主播多高呀"),  # no FAQ rule: not a keyword question
        req(50.0, "s2", "script", TEE), start(50.0, "s2", "script"),
        live(52.0, "106", text="尺码偏小吗"), req(52.0, "a106", "reply", source="106"),
        start(60.0, "a106", "reply"), cut(61.0, "a106"),
        start(64.0, "a106", "reply", resumed=True),  # a resume is not its first audio
        live(70.0, "107", text="多少钱呀"), req(70.0, "a107", "reply", source="107"),  # queued at the end
        (72.0, events.Dropped(stage="reply", ref="108", reason="not_a_question")),
        live(72.0, "108", text="面料是纯棉吗"),
    ]
    return log, feed


def test_questions_follow_the_product_on_air_and_say_why_one_was_not_answered():
    log, feed = question_log()
    qs = {q.msg_id: q for q in rf.questions(log, feed, HITS, first_product=CREAM, end_t=80.0)}
    assert sorted(qs) == ["101", "103", "104", "106", "107", "108"]  # 102 (T-shirt, cream on air), 105: no FAQ
    assert qs["101"].product == CREAM and qs["106"].product == TEE
    assert (qs["101"].status, qs["101"].latency_s) == ("answered", pytest.approx(2.5))
    assert (qs["106"].status, qs["106"].latency_s) == ("answered", pytest.approx(8.0))
    assert (qs["103"].status, qs["103"].reason) == ("limited", "rate_limited")
    assert (qs["104"].status, qs["104"].reason) == ("unanswered", "answer dropped: stale: waited 34 s")
    assert (qs["107"].status, qs["107"].reason) == ("unanswered", "answer still waiting at the end of the run")
    assert (qs["108"].status, qs["108"].reason) == ("unanswered", "not_a_question")


def test_question_figures_count_limited_apart_from_unanswered():
    log, feed = question_log()
    run = rf.analyse(log, feed, hits_faq=HITS, first_product=CREAM, large_gift_diamonds=100, end_t=80.0)
    figs = rf.figures(run, "quiet")
    assert (figs["quiet_kw_questions"], figs["quiet_kw_answered"], figs["quiet_kw_limited"],
            figs["quiet_kw_unanswered"]) == (6, 2, 1, 3)
    assert figs["quiet_kw_latency_p95_s"] == pytest.approx(8.0)
    assert figs["quiet_kw_latency_p50_s"] in (pytest.approx(2.5), pytest.approx(8.0))
    assert rf.reasons(run)["limited"] == {"rate_limited": 1}
    assert rf.reasons(run)["unanswered"] == {"answer dropped: stale": 1, "answer still waiting at the end of the run": 1,
                                             "not_a_question": 1}


def test_a_buyer_joined_to_an_answer_waiting_to_be_played_is_answered_by_it():
    room = Room()
    feed = feed_of(room.comment(111, ANNA, "这个多少钱"), room.comment(112, BEN, "多少钱呀"),
                   room.comment(113, BEN, "有优惠吗"))
    log = [
        req(0.0, "s1", "script", CREAM), start(0.5, "s1", "script"),
        live(2.0, "111", text="这个多少钱"), req(2.1, "a111", "reply", source="111"),
        live(3.0, "112", text="多少钱呀"),
        (3.0, events.QuestionSeen(msg_id="112", ts=3.0, viewer="阿斌", text="多少钱呀", answer="rule",
                                  answer_id="a111")),
        live(3.5, "113", text="有优惠吗"),
        (3.5, events.Dropped(stage="reply", ref="113", reason="answer_queue")),
        start(4.5, "a111", "reply"),
    ]
    qs = {q.msg_id: q for q in rf.questions(log, feed, HITS, first_product=CREAM, end_t=10.0)}
    assert (qs["112"].status, qs["112"].latency_s) == ("answered", pytest.approx(1.5))
    assert (qs["113"].status, qs["113"].reason) == ("limited", "answer_queue")  # the [director] limit


def test_a_question_before_any_script_is_about_the_first_product():
    feed = feed_of(Room().comment(201, ANNA, "尺码偏大吗"))
    log = [live(1.0, "201", text="尺码偏大吗")]
    assert rf.questions(log, feed, HITS, first_product=CREAM, end_t=5.0) == []
    assert [q.product for q in rf.questions(log, feed, HITS, first_product=TEE, end_t=5.0)] == [TEE]


# ---- large gifts -------------------------------------------------------------------------------


def gift_feed() -> rf.Feed:
    room = Room()
    return feed_of(
        room.gift(301, ANNA, gift_id=3389, name="火箭", diamonds=10001, increment=1, repeat=1, group_id=0),
        room.gift(302, BEN, gift_id=3246, name="棒棒糖", diamonds=9, increment=5, repeat=5, group_id=77),
        room.gift(303, BEN, gift_id=3246, name="棒棒糖", diamonds=9, increment=7, repeat=12, group_id=77),
        room.gift(304, ANNA, gift_id=3246, name="棒棒糖", diamonds=9, increment=5, repeat=5, group_id=78),
        room.gift(305, ANNA, gift_id=3246, name="棒棒糖", diamonds=9, increment=6, repeat=11, group_id=78),
        room.gift(306, BEN, gift_id=3529, name="嘉年华", diamonds=30000, increment=1, repeat=1, group_id=0),
        room.gift(307, BEN, gift_id=5655, name="小心心", diamonds=1, increment=1, repeat=1, group_id=0),
    )


def test_gift_combos_follow_the_feeds_group_id_and_single_gifts_stand_alone():
    combos = rf.gift_combos(gift_feed().gifts)
    assert [[g.msg_id for g in c] for c in combos] == [["301"], ["302", "303"], ["304", "305"], ["306"], ["307"]]


def test_large_gift_thanks_is_timed_from_the_combos_last_message():
    log = [
        live(10.0, "301", "gift"), req(10.1, "t301", "gift", source="301"), start(11.5, "t301", "gift"),
        live(20.0, "302", "gift"), live(22.0, "303", "gift"),  # 12 × 9 = 108 diamonds: large
        req(20.5, "t302", "gift", source="302"), start(23.0, "t302", "gift"),  # thanked from its first message
        live(30.0, "304", "gift"), live(31.0, "305", "gift"),  # 11 × 9 = 99: below the line
        live(40.0, "306", "gift"), (40.0, events.Dropped(stage="reply", ref="306", reason="template_error")),
        live(41.0, "307", "gift"), req(41.0, "t307", "gift", source="307"), start(42.0, "t307", "gift"),
    ]
    gifts = rf.large_gifts(log, gift_feed(), threshold=100)
    assert [(g.msg_ids, g.value) for g in gifts] == [(("301",), 10001), (("302", "303"), 108), (("306",), 30000)]
    assert [g.latency_s for g in gifts] == [pytest.approx(1.5), pytest.approx(1.0), None]
    assert gifts[2].reason == "not thanked: template_error"
    figs = rf.figures(rf.RoomRun(airtime=rf.airtime(log, 50.0), large_gifts=gifts), "storm")
    assert (figs["storm_large_gifts"], figs["storm_large_gifts_unthanked"]) == (3, 1)
    assert figs["storm_large_gift_latency_max_s"] == pytest.approx(1.5)
    assert [g.msg_ids for g in rf.large_gifts(log, gift_feed(), threshold=30000)] == [("306",)]


def test_no_large_gift_is_not_measured_rather_than_zero():
    figs = rf.figures(rf.RoomRun(airtime=dict.fromkeys(rf.CLASSES, 0.0)), "quiet")
    assert figs["quiet_large_gifts_unthanked"] is None and figs["quiet_large_gift_latency_max_s"] is None
    assert figs["quiet_script_share_pct"] is None  # nothing spoken: no share


# ---- resumes -----------------------------------------------------------------------------------


def test_script_cuts_resumed_excused_pending_or_not_resumed_with_the_reason():
    log = [
        req(0, "s1", "script", CREAM), req(0, "s2", "script", CREAM), req(0, "s3", "script", CREAM),
        req(0, "s4", "script", TEE), req(0, "s5", "script", TEE), req(0, "r1", "reply"),
        start(0.0, "s1", "script"), cut(2.0, "s1"), start(2.0, "r1", "reply"), cut(3.0, "r1"),  # a reply cut: not judged
        resumed(6.0, "s1"), start(6.0, "s1", "script", resumed=True), finish(9.0, "s1"),
        start(9.0, "s2", "script"), cut(10.0, "s2"),
        (80.0, events.UtteranceDropped(id="s2", reason="stale: interrupted more than 60s ago")),
        start(81.0, "s3", "script"), cut(82.0, "s3"),  # the product changes after this cut
        start(90.0, "s4", "script"), finish(95.0, "s4"),
        start(95.0, "s5", "script"), cut(96.0, "s5"),  # cut 4 s before the end: may still resume
    ]
    found = {c.id: c for c in rf.cuts(log, end_t=100.0)}
    assert sorted(found) == ["s1", "s2", "s3", "s5"]
    assert found["s1"].status == "resumed"
    assert (found["s2"].status, found["s2"].reason) == ("not resumed", "stale: interrupted more than 60s ago")
    assert (found["s3"].status, found["s3"].reason) == ("excused", f"product changed to {TEE}")
    assert found["s5"].status == "pending"
    figs = rf.figures(rf.RoomRun(airtime=rf.airtime(log, 100.0), cuts=list(found.values())), "sale")
    assert (figs["sale_script_cuts"], figs["sale_script_cuts_resumed"], figs["sale_script_cuts_not_resumed"],
            figs["sale_script_cuts_excused"], figs["sale_script_cuts_pending"]) == (4, 1, 1, 1, 1)


def test_an_operator_skip_excuses_a_cut_and_a_later_cut_without_reason_is_not_resumed():
    log = [req(0, "s1", "script"), req(0, "s2", "script"),
           start(0.0, "s1", "script"), cut(1.0, "s1"), (2.0, events.UtteranceDropped(id="s1", reason="skipped by operator")),
           start(3.0, "s2", "script"), cut(4.0, "s2")]
    found = {c.id: c for c in rf.cuts(log, end_t=60.0)}
    assert found["s1"].status == "excused"
    assert (found["s2"].status, found["s2"].reason) == ("not resumed", "still waiting to resume at the end of the run (no drop seen)")


# ---- the recording -----------------------------------------------------------------------------


def test_parse_feed_reads_comments_and_gifts_from_the_frames_and_skips_bad_lines():
    room = Room()
    feed = feed_of(room.comment(1, ANNA, "  包邮吗 "), "not json", room.enter(2, BEN, 10), '{"Type":1}',
                   room.gift(3, BEN, gift_id=463, name="玫瑰", diamonds=1, increment=2, repeat=2))
    assert feed.comments == (rf.FeedComment("1", "11", "包邮吗"),)
    assert feed.gifts == (rf.FeedGift("3", "22", "463", "0", 2, 1),)


def test_every_known_cause_of_a_room_miss_explains_a_judged_room_figure():
    from tests.bench.targets import FIGURES, KNOWN_CAUSES

    judged = {f.key for f in FIGURES if f.bench == "room" and f.op is not None}
    room_causes = {key for bench, key in KNOWN_CAUSES if bench == "room"}
    assert room_causes and room_causes <= judged
