from hypothesis import given
from hypothesis import strategies as st

from app.text.sentences import SentenceStream, split_sentences


def test_split_on_chinese_and_ascii_terminators_keeps_closing_quotes():
    text = "这款面霜很好用。你们觉得呢？他说“真香！”好的!明白;"
    assert split_sentences(text) == ["这款面霜很好用。", "你们觉得呢？", "他说“真香！”", "好的!", "明白;"]


def test_long_sentence_is_cut_at_a_comma_before_the_limit():
    text = "第一部分很长很长，第二部分也很长很长，第三部分。"
    parts = split_sentences(text, max_len=12)
    assert all(len(p) <= 12 for p in parts)
    assert "".join(parts) == text


def test_text_without_any_break_is_cut_hard_at_the_limit():
    parts = split_sentences("啊" * 25, max_len=10)
    assert [len(p) for p in parts] == [10, 10, 5]


def test_stream_releases_each_sentence_when_the_next_one_starts():
    s = SentenceStream()
    got = []
    for delta in ["价格是", "九十九元。", "包邮", "哦！", "还有"]:
        got.append(s.feed(delta))
    assert got == [[], [], ["价格是九十九元。"], [], ["包邮哦！"]]
    assert s.flush() == ["还有"]


def test_stream_releases_a_long_clause_at_a_comma():
    s = SentenceStream(long_clause=6)
    assert s.feed("短句，") == []  # a short clause waits for the rest of its sentence
    assert s.feed("这是一个很长的分句，然后") == ["短句，这是一个很长的分句，"]
    assert s.flush() == ["然后"]


def test_eager_stream_releases_at_the_terminator_and_drops_trailing_marks():
    s = SentenceStream(eager=True)
    assert s.feed("价格是九十九元。") == ["价格是九十九元。"]  # no wait for the next delta
    assert s.feed("”") == []  # a closing mark of the released sentence: nothing to say
    assert s.feed("！包邮") == []
    assert s.feed("哦！") == ["包邮哦！"]
    assert s.flush() == []


def test_lazy_stream_waits_for_a_possible_closing_quote():
    s = SentenceStream()
    assert s.feed("他说“好。") == []
    assert s.feed("”然后") == ["他说“好。”"]


def test_long_sentences_become_clauses_at_commas_not_inside_a_name_list():
    text = "热烈欢迎进入直播间的朋友们，今天给大家带来一款面霜，推得很开，不黏腻哦。欢迎小明、小红、小刚来到直播间，点个关注。"
    assert split_sentences(text, 60, 16) == [
        "热烈欢迎进入直播间的朋友们，", "今天给大家带来一款面霜，", "推得很开，不黏腻哦。", "欢迎小明、小红、小刚来到直播间，",
        "点个关注。"]
    assert split_sentences("短句，很短。", 60, 16) == ["短句，很短。"]  # not longer than a clause: left whole


def test_a_clause_too_long_without_a_comma_breaks_at_its_list_commas():
    """26 characters with no comma would keep a buyer's answer waiting 6 s: the list's 、 is a
    pause the host makes anyway. A short list stays one clause (names are not split for nothing)."""
    text = "咱们这款面霜里面加入了甘油、透明质酸钠和神经酰胺，帮助皮肤保持水润感。"
    assert split_sentences(text, 60, 16) == ["咱们这款面霜里面加入了甘油、", "透明质酸钠和神经酰胺，", "帮助皮肤保持水润感。"]
    assert split_sentences("欢迎小明、小红、小刚来到直播间，点个关注。", 60, 16) == [
        "欢迎小明、小红、小刚来到直播间，", "点个关注。"]
    # a list piece too short to be a pause stays with its neighbour
    assert split_sentences("干皮、中性皮肤还有混合性肌肤都可以用，早晚都能用。", 60, 16) == [
        "干皮、中性皮肤还有混合性肌肤都可以用，", "早晚都能用。"]
    assert split_sentences("这款面霜适合干性皮肤、中性皮肤、混合性、油皮，", 60, 16) == [
        "这款面霜适合干性皮肤、", "中性皮肤、混合性、油皮，"]


def test_a_trailing_scrap_joins_the_clause_before_it():
    assert split_sentences("感谢小王送的一个小心心，比心，爱你！", 60, 12) == ["感谢小王送的一个小心心，", "比心，爱你！"]
    assert split_sentences("感谢小王送的一个小心心呀，哦。", 60, 8) == ["感谢小王送的一个小心心呀，哦。"]


@given(st.text(alphabet="好的，。！、:,a1 ", max_size=80), st.integers(4, 30))
def test_clauses_keep_every_character_in_order(text, clause_len):
    parts = split_sentences(text, 60, clause_len)
    assert "".join("".join(parts).split()) == "".join(text.split())  # nothing lost or reordered but spaces


def test_a_comma_or_colon_inside_a_number_is_not_a_place_to_cut():
    """1,299元 and 12:30 are read as one number; cut at their comma they would be read as 一，二百九十九."""
    text = "今天直播间福利特别多，原价1,299元的面霜，晚上12:30准时开抢，大家别走开。"
    assert split_sentences(text, 60, 8) == ["今天直播间福利特别多，", "原价1,299元的面霜，", "晚上12:30准时开抢，",
                                            "大家别走开。"]
    assert split_sentences("原价1,299元的面霜超级好用", 10) == ["原价1,299元的面", "霜超级好用"]  # hard cut, not at the comma


def test_the_llm_stream_waits_to_see_whether_a_comma_after_a_digit_is_inside_a_number():
    s = SentenceStream(long_clause=4, eager=True)
    assert s.feed("原价是1,") == []
    assert s.feed("299元，真的") == ["原价是1,299元，"]
    assert s.feed("很便宜。") == ["真的很便宜。"]
