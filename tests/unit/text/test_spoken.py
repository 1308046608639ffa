import pytest

from app.text.spoken import normalize, speakable, speakable_length


@pytest.mark.parametrize("text, said", [
    ("价格99.9元，3件50%", "价格九十九点九元，三件百分之五十"),
    ("原价199，现价99", "原价一百九十九，现价九十九"),
    ("¥59.00包邮", "五十九元包邮"),
    ("2.50元", "二点五元"),
    ("1,299元", "一千二百九十九元"),
    ("买2送1", "买二送一"),
    ("客服电话13812345678", "客服电话幺三八幺二三四五六七八"),
    ("电话 138-1234-5678", "电话 幺三八幺二三四五六七八"),
    ("编号007", "编号零零七"),
    ("2024年5月1日", "二零二四年五月一日"),
    ("12:30开播", "十二点半开播"),
    ("8:05准时", "八点零五分准时"),
    ("3-5天发货", "三到五天发货"),
    ("10~20件", "十到二十件"),
    ("20%-30%", "百分之二十到百分之三十"),
    ("1.5kg", "一点五公斤"),
    ("500ml", "五百毫升"),
    ("30cm×20cm", "三十厘米乘二十厘米"),
    ("零下-5度", "零下负五度"),
])
def test_numbers_prices_and_units_read_the_chinese_way(text, said):
    assert normalize(text) == said


def test_full_width_becomes_half_width_but_chinese_punctuation_stays():
    assert normalize("ＶＩＰ专享１２３％，快来！") == "VIP专享百分之一百二十三，快来！"


def test_emoji_and_decorative_symbols_are_dropped():
    out = normalize("🔥🔥爆款★限时秒杀→ 好物推荐❤️～")
    assert out == "爆款限时秒杀 好物推荐"  # the space stays: it is a pause


def test_no_arabic_digit_survives():
    out = normalize("第3号链接 9.9元 2件 88折 v2.0 #12")
    assert not any(ch.isdigit() and ch.isascii() for ch in out), out


def test_speakable_length_counts_syllables_not_punctuation():
    assert speakable_length("你好，世界！") == 4
    assert speakable_length("iPhone很好") == 3 + 2


@pytest.mark.parametrize("text", ["这款很好", "OK", "第3号", "买2送1！"])
def test_text_with_chinese_latin_or_numbers_is_speakable(text):
    assert speakable(normalize(text))


@pytest.mark.parametrize("text", ["", "！！……", "😊😊", "★☆", "こんにちは。", "안녕하세요", "，，。"])
def test_punctuation_emoji_kana_or_hangul_alone_is_not_speakable(text):
    """What TTS would reject as "nothing speakable" must already be nothing to say for the producer."""
    assert not speakable(normalize(text))
