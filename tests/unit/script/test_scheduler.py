import json

import pytest

from app import events
from app.bus.memory import MemoryBus
from app.content import ProductLibrary
from app.content.timed import TimedTask
from app.script import ScriptScheduler
from tests.word_lists import CheckedTexts

C = events.Channel


class RecordingBus(MemoryBus):
    """The in-process bus, also keeping what was published in order (synchronously)."""

    def __init__(self):
        super().__init__("test")
        self.log: list[tuple[str, object]] = []

    def publish(self, channel, event):
        self.log.append((channel, event))
        super().publish(channel, event)

    def requests(self):
        return [e for ch, e in self.log if ch == C.SPEECH_REQUESTS]

    def cancels(self):
        return [e for ch, e in self.log if isinstance(e, events.CancelSpeech)]


class Clock:
    def __init__(self, t=1_700_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


def make_library(root, products=("cream", "snack"), segments=("opening", "urging")):
    for slug in products:
        (root / slug).mkdir()
        (root / slug / "product.json").write_text(
            json.dumps({"name": slug.upper(), "price": "9元", "segments": list(segments)}), "utf-8")
    lib = ProductLibrary(root, check_interval=0)
    for slug in products:
        for seg in segments:
            # three 4-character sentences per segment
            lib.save_segment(slug, seg, template=f"{{甲|乙}}{seg[:2]}。{{丙|丁}}{slug[:2]}。{{戊|己}}句子。")
    return lib


@pytest.fixture
def bus():
    b = RecordingBus()
    yield b
    b.close()


def sched(bus, lib, clock=None, **kw):
    kw.setdefault("chars_per_s", 1.0)
    kw.setdefault("seed", 1)
    return ScriptScheduler(bus, lib, clock=clock or Clock(), **kw)


def where(req):
    return (req.product, req.segment, req.sentence_index)


def test_loops_products_and_segments_in_order_with_sentences(bus, tmp_path):
    lib = make_library(tmp_path)
    s = sched(bus, lib, lookahead_s=1e9, max_outstanding=27)
    s.tick()
    reqs = bus.requests()
    assert len(reqs) == 27
    segs = [(r.product, r.segment) for r in reqs if r.sentence_index == 0]
    assert segs == [("cream", "opening"), ("cream", "urging"), ("snack", "opening"), ("snack", "urging")] * 2 \
        + [("cream", "opening")]
    assert all(r.kind == "script" and r.priority == events.Priority.SCRIPT for r in reqs)
    assert [r.sentence_index for r in reqs[:3]] == [0, 1, 2]
    assert len({r.group for r in reqs[:3]}) == 1 and reqs[0].group != reqs[3].group
    assert reqs[0].text.endswith("op。") and reqs[1].text.endswith("cr。")
    assert len({r.id for r in reqs}) == 27


def test_shuffle_says_every_product_once_per_round(bus, tmp_path):
    lib = make_library(tmp_path, products=("a1", "b2", "c3", "d4"), segments=("opening",))
    s = sched(bus, lib, lookahead_s=1e9, max_outstanding=3 * 12, order="shuffle")
    s.tick()
    firsts = [r.product for r in bus.requests() if r.sentence_index == 0]
    rounds = [firsts[i:i + 4] for i in range(0, 12, 4)]
    assert all(sorted(r) == ["a1", "b2", "c3", "d4"] for r in rounds)
    assert len({tuple(r) for r in rounds}) > 1


def test_lookahead_counts_estimates_then_durations_minus_played(bus, tmp_path):
    lib = make_library(tmp_path)
    clock = Clock()
    s = sched(bus, lib, clock, lookahead_s=10.0)
    s.tick()
    reqs = bus.requests()
    assert len(reqs) == 3  # 4 chars at 1 char/s each: 12 s ≥ 10 s
    assert s.ahead_s() == pytest.approx(12.0)
    s.tick()
    assert len(bus.requests()) == 3  # enough ahead: nothing more
    for r in reqs:  # audio came out shorter than the estimate
        s.handle(events.SpeechReady(request=r, audio_path="x.wav", sample_rate=32000, duration_s=2.0))
    assert s.ahead_s() >= 10.0
    # 2 s real + 4 s estimated each: one more sentence was needed to get back to 10 s
    assert len(bus.requests()) == 4
    assert s.ahead_s() == pytest.approx(10.0)
    first = reqs[0]
    s.handle(events.PlaybackStarted(id=first.id, kind="script", text=first.text, priority=10, duration_s=2.0))
    clock.t += 1.5
    assert s.ahead_s() == pytest.approx(8.5)  # played time is subtracted
    s.tick()
    assert len(bus.requests()) == 5 and s.ahead_s() == pytest.approx(12.5)
    s.handle(events.PlaybackFinished(id=first.id))
    assert s.ahead_s() == pytest.approx(12.0)


def test_never_starves_when_playback_keeps_finishing(bus, tmp_path):
    lib = make_library(tmp_path)
    clock = Clock()
    s = sched(bus, lib, clock, lookahead_s=10.0)
    s.tick()
    played = 0
    while played < 30:
        req = next(r for r in bus.requests() if r.id not in {e.id for ch, e in bus.log
                                                              if isinstance(e, events.PlaybackFinished)})
        s.handle(events.PlaybackStarted(id=req.id, kind="script", text=req.text, priority=10, duration_s=4.0))
        bus.log.append((C.PLAYER_STATE, events.PlaybackFinished(id=req.id)))
        clock.t += 4.0
        s.handle(events.PlaybackFinished(id=req.id))
        played += 1
        assert s.ahead_s() >= 10.0 - 1e-9


def test_pause_stops_producing_and_resume_continues(bus, tmp_path):
    lib = make_library(tmp_path)
    s = sched(bus, lib, lookahead_s=10.0)
    s.tick()
    s.handle(events.Pause())
    for r in bus.requests():
        s.handle(events.PlaybackFinished(id=r.id))
    s.tick()
    assert len(bus.requests()) == 3 and s.paused
    s.handle(events.Resume())
    assert len(bus.requests()) == 6


def test_a_skipped_script_line_cancels_the_rest_of_its_segment(bus, tmp_path):
    lib = make_library(tmp_path)
    s = sched(bus, lib, lookahead_s=20.0)  # 5 sentences: all of opening + 2 of urging
    s.tick()
    reqs = bus.requests()
    playing = reqs[0]
    s.handle(events.PlaybackStarted(id=playing.id, kind="script", text=playing.text, priority=10, duration_s=4))
    s.handle(events.Skip())  # the player decides what a skip covers and says so
    assert bus.cancels() == []
    s.handle(events.UtteranceDropped(id=playing.id, reason="skipped by operator"))
    assert [(c.ids, c.reason) for c in bus.cancels()] == [((reqs[1].id, reqs[2].id), "skipped by operator")]
    assert all(r.group != playing.group for r in bus.requests()[len(reqs):])
    # skipping while urging is playing drops its unsent sentence too
    urging = [r for r in bus.requests() if r.segment == "urging"]
    s.handle(events.PlaybackStarted(id=urging[0].id, kind="script", text="", priority=10, duration_s=4))
    n = len(bus.requests())
    s.handle(events.UtteranceDropped(id=urging[0].id, reason="skipped by operator"))
    assert all(r.segment != "urging" or r.product != "cream" for r in bus.requests()[n:])


def test_skipping_an_answer_leaves_the_script_alone(bus, tmp_path):
    lib = make_library(tmp_path)
    s = sched(bus, lib, lookahead_s=20.0)
    s.tick()
    reqs = bus.requests()
    s.handle(events.PlaybackStarted(id=reqs[0].id, kind="script", text=reqs[0].text, priority=10, duration_s=4))
    s.handle(events.PlaybackFinished(id=reqs[0].id))
    s.handle(events.PlaybackStarted(id="reply-1", kind="reply", text="包邮", priority=0, duration_s=2))
    s.handle(events.Skip())
    s.handle(events.UtteranceDropped(id="reply-1", reason="skipped by operator"))
    assert bus.cancels() == []  # the segment half read goes on after the skipped answer


def test_switch_product_cancels_queued_script_and_starts_the_new_product(bus, tmp_path):
    lib = make_library(tmp_path, products=("cream", "snack", "tee"))
    s = sched(bus, lib, lookahead_s=10.0)
    s.tick()
    reqs = bus.requests()
    s.handle(events.PlaybackStarted(id=reqs[0].id, kind="script", text="", priority=10, duration_s=4))
    s.handle(events.SwitchProduct(slug="tee"))
    assert bus.cancels()[-1].ids == (reqs[1].id, reqs[2].id)
    new = bus.requests()[3:]
    assert where(new[0]) == ("tee", "opening", 0)
    assert s.current_product == "tee"
    s.handle(events.SwitchProduct(slug="nope"))
    assert any(isinstance(e, events.ErrorReport) and "nope" in e.message for _, e in bus.log)


def test_interrupted_sentence_is_neither_resent_nor_lost(bus, tmp_path):
    lib = make_library(tmp_path)
    clock = Clock()
    s = sched(bus, lib, clock, lookahead_s=10.0)
    s.tick()
    cut = bus.requests()[1]
    s.handle(events.PlaybackStarted(id=cut.id, kind="script", text=cut.text, priority=10, duration_s=4))
    clock.t += 1
    s.handle(events.PlaybackInterrupted(id=cut.id, position_s=1.0, sentence_index=0, by_id="gift-1"))
    clock.t += 30  # a long interruption: the cut item still counts 3 s ahead, no time passes for it
    assert s.ahead_s() == pytest.approx(4 + 3 + 4)
    s.handle(events.PlaybackResumed(id=cut.id, sentence_index=0, position_s=0.0))
    s.handle(events.PlaybackFinished(id=cut.id))
    ids = [r.id for r in bus.requests()]
    assert len(ids) == len(set(ids))
    # every segment rendering is sent with contiguous sentence indexes 0..n-1
    by_group = {}
    for r in bus.requests():
        by_group.setdefault(r.group, []).append(r.sentence_index)
    assert all(v == list(range(len(v))) for v in by_group.values())


def test_invalid_template_is_not_scheduled(bus, tmp_path):
    lib = make_library(tmp_path)
    lib.save_segment("cream", "urging", template="{坏了|没闭合")
    s = sched(bus, lib, lookahead_s=1e9, max_outstanding=12)
    s.tick()
    assert {(r.product, r.segment) for r in bus.requests()} == {
        ("cream", "opening"), ("snack", "opening"), ("snack", "urging")}


def test_edits_on_disk_reach_the_next_rendering(bus, tmp_path):
    lib = make_library(tmp_path, products=("cream",), segments=("opening",))
    s = sched(bus, lib, lookahead_s=10.0)
    s.tick()
    lib.save_segment("cream", "opening", template="新的开场白。")
    for r in bus.requests():
        s.handle(events.PlaybackFinished(id=r.id))
    assert bus.requests()[-1].text == "新的开场白。"


def test_timed_tasks_fire_on_interval_and_clock_time_and_pause_with_the_script(bus, tmp_path):
    import time as _time
    lib = make_library(tmp_path)
    day = _time.mktime((2025, 3, 1, 19, 59, 0, 0, 0, -1))
    clock = Clock(day)
    tasks = [TimedTask(name="follow", text="{记得|别忘了}关注${product}", every_s=60, priority=5),
             TimedTask(name="clock", text="现在是${time}", at=((20, 0),), priority=3)]
    s = sched(bus, lib, clock, lookahead_s=1.0, timed_tasks=tasks)

    def timed():
        return [r for r in bus.requests() if r.kind == "timed"]

    s.tick()
    assert timed() == []
    clock.t += 61  # 20:00:01: the interval and the clock time are both due
    s.tick()
    got = {r.segment: r for r in timed()}
    assert got["follow"].text in ("记得关注CREAM", "别忘了关注CREAM") and got["follow"].priority == 5
    assert got["clock"].text == "现在是20点整" and got["clock"].priority == 3
    s.tick()
    assert len(timed()) == 2
    s.handle(events.Pause())
    clock.t += 200
    s.tick()
    assert len(timed()) == 2
    s.handle(events.Resume())
    s.tick()
    assert len(timed()) == 3


def test_a_clock_time_from_before_the_live_started_is_not_the_lives_first_line(bus, tmp_path):
    """A live begun at 22:04 opened with 现在时间是22点4分 — the 22:00 task, 4 minutes late."""
    import time as _time
    lib = make_library(tmp_path)
    clock = Clock(_time.mktime((2025, 3, 1, 22, 4, 0, 0, 0, -1)))
    tasks = [TimedTask(name="clock", text="现在是${time}", at=((22, 0), (22, 10)), priority=3)]
    s = sched(bus, lib, clock, lookahead_s=1.0, timed_tasks=tasks)

    def timed():
        return [r.text for r in bus.requests() if r.kind == "timed"]

    s.tick()
    assert timed() == []
    clock.t += 6 * 60 + 1  # 22:10:01, during the live
    s.tick()
    assert timed() == ["现在是22点10分"]


def test_thread_mode_publishes_on_its_own(bus, tmp_path):
    import threading
    lib = make_library(tmp_path)
    got = threading.Event()
    bus.subscribe(C.SPEECH_REQUESTS, lambda e: got.set())
    s = ScriptScheduler(bus, lib, lookahead_s=5.0, tick_interval_s=0.05)
    s.start()
    try:
        assert got.wait(2.0)
    finally:
        s.stop()


# ---- one product on air ----------------------------------------------------------------------


def on_air(bus):
    return [(e.slug, e.pinned) for ch, e in bus.log if isinstance(e, events.ProductOnAir)]


def hear(s, req):
    s.handle(events.PlaybackStarted(id=req.id, kind=req.kind, text=req.text, priority=req.priority, duration_s=2.0))


def test_the_product_on_air_is_the_one_whose_sentence_is_heard_not_the_one_rendered_ahead(bus, tmp_path):
    lib = make_library(tmp_path)
    s = sched(bus, lib, lookahead_s=1e9, max_outstanding=15)  # renders into the second product already
    s.tick()
    reqs = bus.requests()
    assert {r.product for r in reqs} == {"cream", "snack"}
    assert on_air(bus) == []
    hear(s, reqs[0])
    assert on_air(bus) == [("cream", False)]
    hear(s, reqs[1])
    assert on_air(bus) == [("cream", False)], "announced once per change"
    hear(s, next(r for r in reqs if r.product == "snack"))
    assert on_air(bus)[-1] == ("snack", False) and s.on_air == "snack"


def test_the_product_the_room_starts_with_is_announced_when_the_scheduler_starts(bus, tmp_path):
    """Replies and the dashboard follow the product on air from the first moment: the scheduler
    says which it is when it starts (the runtime no longer tells the reply policy)."""
    lib = make_library(tmp_path)
    s = sched(bus, lib, start_product="snack", lookahead_s=0.0)
    s.start()
    s.stop()
    assert on_air(bus) == [("snack", False)] and s.on_air == "snack"
    other = RecordingBus()
    t = sched(other, lib, lookahead_s=0.0)  # no start product: the first of the library's order
    t.start()
    t.stop()
    assert on_air(other) == [("cream", False)]
    other.close()


def test_timed_tasks_and_the_disclosure_are_about_the_product_on_air_not_the_one_rendered_ahead(bus, tmp_path):
    lib = make_library(tmp_path)
    clock = Clock()
    s = sched(bus, lib, clock, lookahead_s=1e9, max_outstanding=20, disclosure_text="本直播间部分内容由AI生成",
              disclosure_every_s=600, timed_tasks=[TimedTask(name="follow", text="记得关注${product}", every_s=60)])
    s.tick()
    hear(s, next(r for r in bus.requests() if r.kind == "script"))
    assert (s.on_air, s.current_product) == ("cream", "snack")  # the look-ahead is already on the next one
    clock.t += 601
    s.tick()
    (follow,) = [r for r in bus.requests() if r.kind == "timed"]
    disclosures = [r for r in bus.requests() if r.kind == "disclosure"]
    assert (follow.product, follow.text) == ("cream", "记得关注CREAM")
    assert disclosures[-1].product == "cream"


def test_a_product_dwells_for_the_configured_passes(bus, tmp_path):
    lib = make_library(tmp_path)
    s = sched(bus, lib, lookahead_s=1e9, max_outstanding=36, product_dwell_passes=2)
    s.tick()
    firsts = [r.product for r in bus.requests() if r.sentence_index == 0]
    assert firsts == ["cream"] * 4 + ["snack"] * 4 + ["cream"] * 4  # two readings of both segments each


def test_a_product_dwells_for_the_configured_minutes(bus, tmp_path):
    lib = make_library(tmp_path)
    clock = Clock()
    s = sched(bus, lib, clock, lookahead_s=1e9, max_outstanding=6, product_dwell_minutes=1.0)
    s.tick()
    reqs = bus.requests()
    for _ in range(6):  # keep playing what was rendered, 12 s a segment
        for r in reqs:
            s.handle(events.PlaybackFinished(id=r.id))
        clock.t += 12
        s.tick()
        reqs = bus.requests()[len(reqs):] or reqs
    firsts = [(r.product) for r in bus.requests() if r.sentence_index == 0]
    assert firsts[:4] == ["cream"] * 4  # a minute is more than one reading
    assert "snack" in firsts


def test_pinning_switches_and_stays_until_unpinned(bus, tmp_path):
    lib = make_library(tmp_path)
    s = sched(bus, lib, lookahead_s=1e9, max_outstanding=6)
    s.tick()
    s.handle(events.PinProduct(slug="snack"))
    assert bus.cancels(), "what was queued for the other product is cancelled"
    after = bus.requests()[6:]
    assert {r.product for r in after} == {"snack"}
    hear(s, after[0])
    assert on_air(bus)[-1] == ("snack", True)
    for r in after:  # play through: still snack, reading after reading
        s.handle(events.PlaybackFinished(id=r.id))
    assert {r.product for r in bus.requests()[6:]} == {"snack"}
    s.handle(events.PinProduct(slug=None))
    assert on_air(bus)[-1] == ("snack", False) and s.pinned is None


def test_the_ai_disclosure_is_said_at_the_start_and_then_every_interval(bus, tmp_path):
    lib = make_library(tmp_path)
    clock = Clock()
    s = sched(bus, lib, clock, lookahead_s=5, disclosure_text="本直播间部分内容由AI生成", disclosure_every_s=600)
    s.tick()
    said = [r for r in bus.requests() if r.kind == "disclosure"]
    assert [r.text for r in said] == ["本直播间部分内容由AI生成"]
    assert said[0].priority == events.Priority.NORMAL  # a line of its own: it never cuts a sentence
    clock.t += 599
    s.tick()
    assert len([r for r in bus.requests() if r.kind == "disclosure"]) == 1
    clock.t += 2
    s.tick()
    assert len([r for r in bus.requests() if r.kind == "disclosure"]) == 2


def test_live_end_cancels_what_waits_and_renders_nothing_more(bus, tmp_path):
    lib = make_library(tmp_path)
    s = sched(bus, lib, lookahead_s=1e9, max_outstanding=6)
    s.tick()
    s.end_live()
    (cancel,) = bus.cancels()
    assert len(cancel.ids) == 6 and cancel.reason == "live ended"
    before = len(bus.requests())
    s.tick()
    s.handle(events.PlaybackFinished(id=bus.requests()[0].id))
    assert len(bus.requests()) == before


def test_each_script_sentence_is_prepared_once_and_the_filter_acts_on_that_sentence(bus, tmp_path):
    """A replaced word is said replaced (the record keeps what it replaced and the hit), a
    sentence with a drop_sentence or block term is left out, the rest of the segment goes on;
    a long sentence is queued in script-sized clauses, each with its spoken form."""
    checked = CheckedTexts(tmp_path / "lists")
    (tmp_path / "products").mkdir()
    lib = make_library(tmp_path / "products", products=("cream",), segments=("opening",))
    lib.save_segment("cream", "opening", template="这是最好的面霜。它能治疗湿疹。加微信领福利！"
                                                  "今天直播间福利特别多，原价1,299元的面霜现在只要199元。")
    s = sched(bus, lib, lookahead_s=1e9, max_outstanding=4, prepare=checked.preparer())
    s.tick()
    reqs = bus.requests()[:4]
    assert [r.text for r in reqs] == ["这是很好的面霜。", "今天直播间福利特别多，", "原价1,299元的面霜现在只要199元。",
                                      "这是很好的面霜。"]
    assert [r.sentences for r in reqs[:3]] == [("这是很好的面霜。",), ("今天直播间福利特别多",),
                                               ("原价一千二百九十九元的面霜现在只要一百九十九元。",)]
    assert reqs[0].original == "这是最好的面霜。" and [(h.term, h.action) for h in reqs[0].hits] == [("最好", "replace")]
    assert [r.sentence_index for r in reqs[:3]] == [0, 1, 2], "the sentences left out leave no gap"
    assert checked.texts[:5] == ["这是最好的面霜。", "它能治疗湿疹。", "加微信领福利！", "今天直播间福利特别多，",
                                 "原价1,299元的面霜现在只要199元。"], "each sentence checked once, by itself"
