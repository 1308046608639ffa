"""Issue 19.7: every text the operator sees is Chinese (product names, numbers, units, addresses,
file names, config keys and a few technical names excepted: tests/gui/chinese.py)."""

from __future__ import annotations

from tests.gui.chinese import english_in, not_chinese, shown_texts
from tests.gui.ui_driving import click_row, click_tab


def test_every_view_and_page_shows_chinese(qtbot, operator_window):
    win = operator_window
    seen = []
    for i in range(win.tabs.count()):
        click_tab(qtbot, win.tabs, win.tabs.tabText(i))
        seen += shown_texts(win)
    for row in range(win.settings_view.sections.count()):  # every settings page
        if win.settings_view.sections.item(row).data(256) is not None:
            click_row(qtbot, win.settings_view.sections, row)
            seen += shown_texts(win.settings_view)
    click_tab(qtbot, win.tabs, "商品与话术")
    for tab in ("话术", "商品资料", "关键词回复"):
        click_tab(qtbot, win.products.tabs, tab)
        seen += shown_texts(win.products)
    click_tab(qtbot, win.tabs, "互动话术")
    for row in range(win.reactions.items.count()):
        if win.reactions.items.item(row).data(256):
            click_row(qtbot, win.reactions.items, row)
            seen += shown_texts(win.reactions)
    bad = not_chinese(seen)
    assert not bad, "English on screen:\n" + "\n".join(bad)
    assert len(seen) > 300  # it did look at the views


def test_the_checker_tells_english_from_allowed_latin_text():
    assert english_in("config.ini 有错误，继续使用上次正确的设置") == []
    assert english_in("弹幕抓取程序的 WebSocket 地址 ws://127.0.0.1:8888") == []
    assert english_in("话术“开场” · 变体模板 第 2 行第 3 列：“{”没有闭合") == []
    assert english_in("音色：default") == []  # a config section name
    assert english_in("'name' must be a non-empty string") == ["name", "must", "be", "non", "empty", "string"]
    assert english_in("开播失败：connection refused") == ["connection", "refused"]
    assert english_in("Stop") == ["Stop"]


def test_every_variant_error_reads_in_chinese():
    from app.text.variants import check
    from ui.texts import variant_message_zh

    samples = ["a|b", "ab}", "x{}y", "好${abc", "${1a}", "${nick}", "{a\n\nb}", "a\x00b", "{a|b"]
    messages = {e.message for text in samples for e in check(text)}
    assert len(messages) == len(samples)  # one of each kind the engine reports
    for message in messages:
        zh = variant_message_zh(message)
        assert zh != message and not english_in(zh, {"a", "b"}), (message, zh)


def test_every_kind_of_utterance_has_a_chinese_name():
    """The spoken record and the queue show an utterance's kind by these names."""
    import typing

    from app.events import SpeechKind
    from ui.texts import KIND_ZH

    missing = [k for k in typing.get_args(SpeechKind) if k not in KIND_ZH]
    assert not missing, f"kinds shown in English: {missing}"
