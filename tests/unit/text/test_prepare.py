"""The one preparation of an utterance: tidy → filter (whole text, hits kept) → split → spoken
forms kept if speakable → one cap. A real compliance filter on small lists does the filtering."""

from __future__ import annotations

import pytest

from app.text.prepare import SpeechLimits, TextPreparer, make_request, prepare_text, tidy
from tests.word_lists import CheckedTexts

LIMITS = SpeechLimits()


@pytest.fixture
def checked(tmp_path):
    return CheckedTexts(tmp_path / "lists")


def test_the_shown_text_keeps_its_digits_and_the_spoken_sentences_spell_them_out():
    p = prepare_text("这款面霜今天只要99.9元！买2件再减10元。", None, LIMITS)
    assert p.ok and p.text == "这款面霜今天只要99.9元！买2件再减10元。" and p.original == ""
    assert p.sentences == ("这款面霜今天只要九十九点九元！", "买二件再减十元。")


def test_the_filter_sees_the_whole_text_once_and_its_hits_travel_with_the_result(checked):
    p = prepare_text("这是最好的面霜。真的最好！", checked, LIMITS)
    assert checked.texts == ["这是最好的面霜。真的最好！"]
    assert p.text == "这是很好的面霜。真的很好！" and p.original == "这是最好的面霜。真的最好！"
    assert p.sentences == ("这是很好的面霜。", "真的很好！")
    assert [(h.category, h.term, h.matched, h.action, h.replacement) for h in p.hits] == [
        ("absolute", "最好", "最好", "replace", "很好")] * 2


def test_a_block_says_nothing_of_the_text_and_keeps_why(checked):
    p = prepare_text("欢迎大家。加微信领福利！", checked, LIMITS)
    assert not p.ok and p.blocked and p.reason == "filtered" and p.text == ""
    assert [h.action for h in p.hits] == ["block"]


def test_a_dropped_sentence_goes_and_a_text_of_only_dropped_sentences_is_filtered(checked):
    p = prepare_text("这款很好用。可以治疗失眠！", checked, LIMITS)
    assert p.text == "这款很好用。" and p.sentences == ("这款很好用。",)
    p = prepare_text("可以治疗失眠。", checked, LIMITS)
    assert not p.ok and not p.blocked and p.reason == "filtered" and p.hits


def test_a_broken_filter_fails_closed():
    def broken(text):
        raise RuntimeError("word list missing")

    p = prepare_text("欢迎大家。", broken, LIMITS)
    assert not p.ok and p.reason == "filter_error"


@pytest.mark.parametrize("text, reason", [("", "empty_text"), (" \t\n ", "empty_text"), ("こんにちは！", "unspeakable"),
                                          ("안녕하세요", "unspeakable"), ("😊😊……", "unspeakable")])
def test_nothing_speakable_is_nothing_to_say(text, reason):
    p = prepare_text(text, None, LIMITS)
    assert not p.ok and p.reason == reason


def test_an_unspeakable_sentence_is_left_out_of_the_spoken_forms():
    p = prepare_text("欢迎来到直播间！😊😊。下单吧。", None, LIMITS)
    assert p.sentences == ("欢迎来到直播间！", "下单吧。")


def test_tidy_turns_control_characters_and_space_runs_into_one_space_and_keeps_line_ends():
    assert tidy("  欢迎\x00来到\t\t直播间 \r\n 点个关注\x1b ") == "欢迎 来到 直播间\n点个关注"


def test_long_sentences_are_spoken_in_clauses_and_never_cut_inside_a_number():
    text = "今天直播间福利特别多，原价1,299元的面霜现在只要199元，晚上12:30准时开抢，大家千万别走开。"
    p = prepare_text(text, None, LIMITS)
    assert len(p.sentences) > 1 and all(len(s) <= LIMITS.clause_chars + 6 for s in p.sentences)
    assert "一千二百九十九元" in "".join(p.sentences) and "十二点半" in "".join(p.sentences)
    assert p.text == text


def test_an_overlong_text_is_cut_at_a_sentence_end_and_the_shown_text_with_it():
    nick = "超" * 2000
    p = prepare_text(f"感谢{nick}送的嘉年华！主播爱你。", None, LIMITS)
    assert p.cut_from > 2000
    assert 0 < sum(len(s) for s in p.sentences) <= LIMITS.max_utterance_chars
    assert all(len(s) <= LIMITS.max_sentence_chars for s in p.sentences)
    assert p.text == "".join(p.sentences), "what is shown is what is said, not 2,000 characters"
    assert p.original.startswith("感谢超超") and len(p.original) > 2000
    short = prepare_text("欢迎来到直播间。今天福利多。", None, LIMITS)
    assert short.cut_from == 0 and short.sentences == ("欢迎来到直播间。", "今天福利多。")
    # a single sentence longer than the maximum is cut inside itself
    one = prepare_text("啊" * 50, None, SpeechLimits(max_sentence_chars=100, max_utterance_chars=30))
    assert [len(s) for s in one.sentences] == [30] and one.cut_from == 50


def test_the_preparer_applies_new_limits_to_the_next_text_and_counts_cuts():
    preparer = TextPreparer()
    text = "第一句话在这里。" * 10
    assert preparer(text).cut_from == 0
    preparer.set_limits(SpeechLimits(max_utterance_chars=20))
    assert len(preparer(text).sentences) == 2 and preparer.cut_long == 1


def test_the_script_splits_its_renderings_into_shorter_clauses_than_synthesis():
    preparer = TextPreparer()
    text = "热烈欢迎进入直播间的朋友们，今天给大家带来一款面霜，推得很开，不黏腻哦。"
    assert preparer.split(text, LIMITS.script_clause_chars) == [
        "热烈欢迎进入直播间的朋友们，", "今天给大家带来一款面霜，", "推得很开，不黏腻哦。"]
    assert preparer.split(text) == ["热烈欢迎进入直播间的朋友们，", "今天给大家带来一款面霜，推得很开，不黏腻哦。"]


def test_a_request_carries_the_prepared_text_its_spoken_sentences_and_hits(checked):
    p = prepare_text("这款最好，只要9.9元。", checked, LIMITS)
    req = make_request(p, id="r1", kind="reply", priority=0, viewer="小王")
    assert (req.text, req.sentences, req.original) == ("这款很好，只要9.9元。", ("这款很好，只要九点九元。",),
                                                       "这款最好，只要9.9元。")
    assert [h.term for h in req.hits] == ["最好"] and req.viewer == "小王"
    with pytest.raises(ValueError, match="nothing to say"):
        make_request(prepare_text("加微信", checked, LIMITS), id="r2", kind="reply", priority=0)
