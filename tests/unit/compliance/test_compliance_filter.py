"""Behaviour of the filter on small, purpose-written lists (so each test states its own terms)."""

from __future__ import annotations

import pytest

from app.compliance import ComplianceFilter, WordListError


def write_lists(folder, **files):
    for name, body in files.items():
        (folder / name.replace("__", ".")).write_text(body, encoding="utf-8")
    return folder


@pytest.fixture
def lists(tmp_path):
    return write_lists(
        tmp_path,
        absolute__txt="# 绝对化\n最 => 很\n最好 => 很好\n顶级\n绝对\n100%\n",
        absolute__allow__txt="最近\n最后\n",
        first_only__txt="第一\n唯一\n",
        first_only__allow__txt="第一次\n",
        efficacy__txt="治疗\n",
        platform__txt="vx\n加微信\n",
        profanity__txt="sb\n",
    )


@pytest.fixture
def flt(lists):
    return ComplianceFilter.from_dir(lists, {"absolute": "replace", "first_only": "replace",
                                             "efficacy": "drop_sentence", "platform": "block",
                                             "profanity": "block"})


def test_replace_uses_the_safe_replacement(flt):
    r = flt.apply("这是最好的面霜。")
    assert r.text == "这是很好的面霜。"
    [hit] = r.hits
    assert (hit.category, hit.term, hit.action, hit.start, hit.col) == ("absolute", "最好", "replace", 2, 3)


def test_replace_without_replacement_removes_the_term_and_tidies_the_comma(flt):
    assert flt.apply("顶级，面料很软。").text == "面料很软。"
    assert flt.apply("面料顶级柔软。").text == "面料柔软。"


def test_drop_sentence_leaves_the_other_sentences(flt):
    r = flt.apply("这款面霜很滋润。它能治疗湿疹！价格九十九。")
    assert r.text == "这款面霜很滋润。价格九十九。"
    assert [h.action for h in r.hits] == ["drop_sentence"]


def test_a_text_whose_every_sentence_is_dropped_says_nothing_but_is_not_blocked(flt):
    r = flt.apply("可以治疗失眠。")
    assert r.text == "" and not r.blocked  # "nothing to say" is app.text.prepare's decision


@pytest.mark.parametrize("text", ["加微信领福利", "我的vx是abc", "你是sb吧"])
def test_block_rejects_the_whole_utterance(flt, text):
    r = flt.apply(text)
    assert r.text is None and r.blocked
    assert r.hits[0].action == "block"


def test_block_wins_over_replace_in_the_same_text(flt):
    r = flt.apply("最好的价格，加微信。")
    assert r.blocked and {h.category for h in r.hits} == {"absolute", "platform"}


def test_policies_come_from_the_mapping(lists):
    strict = ComplianceFilter.from_dir(lists, {"absolute": "block"})
    assert strict.apply("最好的").blocked
    with pytest.raises(ValueError, match="absolute.*'remove'"):
        ComplianceFilter.from_dir(lists, {"absolute": "remove"})


@pytest.mark.parametrize("evasion", ["最 好", "最*好", "最-好", "最　好", "最\u200b好", "最😀好",
                                     "ＺＵＩ好".replace("ＺＵＩ", "最"), "最、好"])
def test_symbols_and_spaces_between_characters_are_seen_through(flt, evasion):
    r = flt.apply(f"这是{evasion}的。")
    assert r.text == "这是很好的。"
    assert r.hits[0].matched == evasion  # the hit spans the whole evasion in the original


def test_full_width_upper_case_and_traditional_are_folded(flt):
    assert flt.check_text("加ＶＸ：abc")[0].term == "vx"
    assert flt.check_text("VX")[0].term == "vx"
    assert flt.check_text("100％純棉")[0].term == "100%"
    assert flt.check_text("這個絕對好")[0].term == "绝对"


def test_first_with_a_dash_is_caught(flt):
    assert [h.term for h in flt.check_text("销量第-一")] == ["第一"]


@pytest.mark.parametrize("ordinary", ["最近很忙", "最后一件", "第一次见面", "这是第一次"])
def test_everyday_words_in_the_allow_list_are_not_hits(flt, ordinary):
    assert flt.check_text(ordinary) == []
    assert flt.apply(ordinary).text == ordinary


def test_allow_word_does_not_hide_a_real_hit_next_to_it(flt):
    assert [h.term for h in flt.check_text("最近最好")] == ["最好"]


def test_latin_terms_need_a_word_boundary(flt):
    assert flt.check_text("this is bad") == []  # "isbad" contains "sb" only across words
    assert flt.check_text("dvxa") == []
    assert [h.term for h in flt.check_text("你是 s b 吧")] == ["sb"]


def test_sentence_ends_are_not_seen_through(flt):
    # 最 alone is listed; 最好 must not be formed across the full stop
    assert [h.term for h in flt.check_text("不是最。好的")] == ["最"]


def test_longest_match_wins(tmp_path):
    write_lists(tmp_path, absolute__txt="最低\n全网最低价 => 优惠价\n")
    f = ComplianceFilter.from_dir(tmp_path)
    assert f.apply("全网最低价了").text == "优惠价了"


def test_a_removal_that_joins_a_new_term_is_caught_again(tmp_path):
    write_lists(tmp_path, absolute__txt="顶级\n绝对\n")
    f = ComplianceFilter.from_dir(tmp_path, {"absolute": "replace"})
    r = f.apply("这是顶绝对级的")
    assert r.text == "这是的"
    assert [h.term for h in r.hits] == ["绝对", "顶级"]


def test_check_text_reports_line_and_column(flt):
    hits = flt.check_text("开头没问题\n第二行有个最好\n  sb")
    assert [(h.line, h.col, h.category, h.term) for h in hits] == [
        (2, 6, "absolute", "最好"), (3, 3, "profanity", "sb")]


def test_nickname_with_banned_term_or_contact_details_is_masked(flt):
    assert flt.mask_nickname("小花") == "小花"
    assert flt.mask_nickname("最近在减肥") == "最近在减肥"
    for bad in ["sb一个", "加微信送礼", "vx123456", "138 1234 5678", "ｑｑ８８８８８", "shop.abc.com"]:
        assert flt.mask_nickname(bad) == "这位朋友", bad


def test_nickname_mask_is_configurable(lists):
    f = ComplianceFilter.from_dir(lists, nickname_mask="***")
    assert f.mask_nickname("sb") == "***"


def test_reload_picks_up_edits_and_keeps_old_lists_on_error(lists, flt):
    assert flt.check_text("爆款") == []
    (lists / "urgency.txt").write_text("爆款\n", encoding="utf-8")
    assert flt.reload_if_changed()
    assert [h.category for h in flt.check_text("爆款")] == ["urgency"]
    assert not flt.reload_if_changed()
    (lists / "urgency.txt").write_text("爆款\n => 没有词\n", encoding="utf-8")
    with pytest.raises(WordListError, match=r"urgency\.txt:2:2: '=>' without a term"):
        flt.reload()
    assert [h.category for h in flt.check_text("爆款")] == ["urgency"]


def test_bad_list_lines_are_reported_with_file_line_and_column(tmp_path):
    write_lists(tmp_path, absolute__txt="ok\n  ***\n", profanity__allow__txt="x\n")
    with pytest.raises(WordListError) as info:
        ComplianceFilter.from_dir(tmp_path)
    text = "\n".join(info.value.problems)
    assert "absolute.txt:2:3: term '***' has no letters or digits" in text
    assert "profanity.allow.txt: exceptions for a category that has no list" in text


def test_a_replacement_that_is_itself_a_listed_term_is_an_error(tmp_path):
    write_lists(tmp_path, absolute__txt="最好 => 顶级\n顶级\n")
    with pytest.raises(WordListError, match="replacement '顶级' contains the listed term"):
        ComplianceFilter.from_dir(tmp_path)
