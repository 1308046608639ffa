"""Numerals in another dress and sound-alikes (谐音) are caught; ordinary words that contain the
same characters are not. Purpose-written lists, so each test states its own terms; the shipped
lists are checked at the end of the file."""

from __future__ import annotations

import pytest

from app.compliance import ComplianceFilter, WordListError, default_lists_dir


def write_lists(folder, **files):
    for name, body in files.items():
        (folder / name.replace("__", ".")).write_text(body, encoding="utf-8")
    return folder


@pytest.fixture
def lists(tmp_path):
    return write_lists(
        tmp_path,
        absolute__txt="最 => 很\n最好 => 很好\n最好用 => 很好用\n最美 => 很美\n顶级 => 高品质\n"
                      "一流 => 优秀\n百分百 => 真的\n绝对 => 真的\n",
        absolute__allow__txt="最近\n",
        first_only__txt="第一 => 前列\n第一名 => 前列\n唯一 => 少有\nno1 => 前列\n",
        first_only__allow__txt="第一次\n",
        platform__txt="qq\nvx\n",
        soundalike__map__txt="# comment\n醉 => 最\nzui => 最\n鼎 => 顶\n决 => 绝\n"
                             "喝醉\n陶醉\n解决\n",
    )


@pytest.fixture
def flt(lists):
    return ComplianceFilter.from_dir(lists, {"platform": "block"})


# ---- numerals -----------------------------------------------------------------------------------

@pytest.mark.parametrize("numeral", ["一", "壹", "弌", "㊀", "①", "❶", "⑴", "⒈", "Ⅰ", "１", "1", "𝟏"])
def test_first_place_in_any_numeral_is_the_listed_first_place(flt, numeral):
    r = flt.apply(f"销量第{numeral}名。")
    assert r.text == "销量前列。"
    assert [(h.term, h.matched) for h in r.hits] == [("第一名", f"第{numeral}名")]


@pytest.mark.parametrize("text,term", [("壹流的品质", "一流"), ("佰分佰满意", "百分百"),
                                       ("唯壹的选择", "唯一"), ("No.①", "no1"), ("NO.Ⅰ", "no1")])
def test_other_numeral_words_are_caught_in_any_numeral(flt, text, term):
    assert [h.term for h in flt.check_text(text)] == [term]


@pytest.mark.parametrize("ordinary", ["拍第12号链接", "排在第十一名", "第壹次来的朋友",
                                      "一二三四五，上链接"])
def test_numbers_in_ordinary_talk_are_not_hits(flt, ordinary):
    # 第12 is not 第1 (a digit follows), 第十一 is 11th, 第壹次 is the allowed 第一次
    assert flt.check_text(ordinary) == []


def test_a_chinese_numeral_after_a_latin_term_is_still_a_word_edge(flt):
    # "qq" followed by a QQ number written in Chinese numerals: the numerals fold to digits for
    # matching, but they are not Latin letters, so "qq" still ends there
    assert [h.term for h in flt.check_text("加我qq一二三四五")] == ["qq"]
    assert flt.check_text("qq12345") == []  # glued to ASCII digits it is another word (as before)


def test_mathematical_letters_are_folded(flt):
    assert [h.term for h in flt.check_text("加𝐯𝐱")] == ["vx"]


# ---- sound-alikes ---------------------------------------------------------------------------------

def test_a_sound_alike_inside_a_listed_term_is_that_term(flt):
    r = flt.apply("这款醉好用了。")
    assert r.text == "这款很好用了。"
    [hit] = r.hits
    assert (hit.term, hit.matched, hit.category, hit.action) == ("最好用", "醉好用", "absolute", "replace")


@pytest.mark.parametrize("text,term,matched", [
    ("醉美的风景", "最美", "醉美"), ("ZUI好", "最好", "ZUI好"), ("鼎级面料", "顶级", "鼎级"),
    ("决对正品", "绝对", "决对"), ("醉 好 用", "最好用", "醉 好 用"),
])
def test_each_listed_sound_alike_is_caught(flt, text, term, matched):
    assert [(h.term, h.matched) for h in flt.check_text(text)] == [(term, matched)]


@pytest.mark.parametrize("ordinary", ["令人陶醉", "喝醉了", "醉了醉了", "他喝醉好几次了",
                                      "陶醉好久", "帮你解决对方的问题", "醉人的香味"])
def test_a_sound_alike_in_an_ordinary_word_is_itself(flt, ordinary):
    """The rule: a sound-alike never stands for a one-character term (醉 is not 最), and never
    inside an everyday word of the map file (喝醉好几次 has 醉好, but its 醉 is 喝醉's)."""
    assert flt.check_text(ordinary) == []
    assert flt.apply(ordinary).text == ordinary


def test_without_the_everyday_word_the_same_text_would_be_a_hit(lists):
    # proves the everyday word is what keeps 喝醉好几次 clean
    body = (lists / "soundalike.map.txt").read_text(encoding="utf-8").replace("喝醉\n", "")
    (lists / "soundalike.map.txt").write_text(body, encoding="utf-8")
    f = ComplianceFilter.from_dir(lists)
    assert [h.term for h in f.check_text("他喝醉好几次了")] == ["最好"]


def test_the_real_character_still_hits_alone(flt):
    assert [h.term for h in flt.check_text("最帅")] == ["最"]
    assert flt.check_text("醉帅") == []  # 最帅 is not listed: only the lone 最 is, which 醉 never is


def test_map_files_are_not_categories_and_bad_lines_are_reported(tmp_path):
    write_lists(tmp_path, absolute__txt="最好\n",
                soundalike__map__txt="醉 => 最\n醉 => 最好\n壹 => 一\n *** => 最\n陶瓷\n")
    with pytest.raises(WordListError) as info:
        ComplianceFilter.from_dir(tmp_path)
    text = "\n".join(info.value.problems)
    assert "soundalike.map.txt:2:1: after '=>' write the one character it stands for (got '最好')" in text
    assert "soundalike.map.txt:3:1: '壹' and '一' are already the same after folding" in text
    assert "soundalike.map.txt:4:2: '***' has no letters or digits" in text
    assert "soundalike.map.txt:5:1: everyday word '陶瓷' contains none of the sound-alikes" in text
    assert "category" not in text  # the map file is not taken for a category


def test_editing_the_map_file_is_picked_up_by_reload(lists, flt):
    assert flt.check_text("蕞好") == []
    with open(lists / "soundalike.map.txt", "a", encoding="utf-8") as f:
        f.write("蕞 => 最\n")
    assert flt.reload_if_changed()
    assert [h.term for h in flt.check_text("蕞好")] == ["最好"]


# ---- the shipped lists ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped():
    return ComplianceFilter.from_dir(default_lists_dir())


@pytest.mark.parametrize("spoken", ["第壹名", "醉好用"])
def test_the_evasions_that_were_spoken_are_caught_by_the_shipped_lists(shipped, spoken):
    r = shipped.apply(f"这款面霜{spoken}。")
    assert r.hits and r.text is not None and spoken not in r.text
    assert shipped.check_text(r.text) == []


@pytest.mark.parametrize("text", ["第①", "第Ⅰ名", "全网醉低价", "鼎级面料", "顶极享受", "决对正品",
                                  "惟一指定", "蕞好", "zui好用", "独壹无贰", "佰分佰", "TOP①", "醉美"])
def test_shipped_lists_catch_numeral_and_sound_alike_spellings(shipped, text):
    assert shipped.check_text(text), text


@pytest.mark.parametrize("ordinary", [
    "令人陶醉的香气。", "喝醉了也不上头。", "这酒不醉人。", "帮大家解决对比的烦恼。", "这是第12号链接。",
    "排队第十一名的朋友。", "第壹次来的朋友欢迎你。", "大名鼎鼎的老字号。",
])
def test_shipped_lists_leave_ordinary_talk_with_those_characters_alone(shipped, ordinary):
    assert shipped.check_text(ordinary) == []


def test_a_contact_number_written_in_chinese_numerals_masks_the_nickname(flt):
    assert flt.mask_nickname("加我一三八一二三四五六七八") == "这位朋友"
    assert flt.mask_nickname("壹贰叁肆伍陆") == "这位朋友"
    assert flt.mask_nickname("十一月的风") == "十一月的风"
    assert flt.mask_nickname("醉美小花") == "这位朋友"  # a listed claim in sound-alike spelling
    assert flt.mask_nickname("陶醉的猫") == "陶醉的猫"
