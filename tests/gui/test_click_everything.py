"""Nothing the operator clicks takes the app down (issue 19.1).

The window is built around a real Runtime (memory bus, the operator's products and templates
copied to a temporary folder, null audio). Every view is walked: every tab, every visible and
enabled button clicked with the mouse, the first rows of every list, every toolbar action
triggered — stopped and live — with every modal dialog answered. The app's own exception hook
is installed, as in ``run_gui``; the test fails on anything it caught.
"""

from __future__ import annotations

import logging

import pytest
from PyQt6.QtCore import Qt

from tests.gui.chinese import not_chinese
from tests.gui.dialogs import DialogAnswerer, close_answering, discard_all
from tests.gui.walker import Walker
from ui.crash_guard import ExceptionGuard
from ui.products.view import ProductsView


class Caught(logging.Handler):
    """The tracebacks the guard logs (on "app.ui", as app.log and the Logs view get them)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.lines: list[str] = []

    def emit(self, record):
        if record.exc_info:
            self.lines.append(self.format(record))


@pytest.fixture
def guard():
    caught = Caught()
    logger = logging.getLogger("app")
    logger.addHandler(caught)
    g = ExceptionGuard().install()
    g.caught_lines = caught.lines
    yield g
    g.uninstall()
    logger.removeHandler(caught)


def _failures(guard) -> str:
    return "\n\n".join(guard.caught_lines) or "(nothing logged)"


def test_clicking_every_control_of_every_view_raises_nothing(qtbot, guard, operator_window):
    win = operator_window
    walker = Walker(qtbot, skip=lambda w: w is win.toolbar.demo_switch)  # the demo switch comes last
    with DialogAnswerer(qtbot) as dialogs:
        walker.tabs(win.tabs.tabBar(), lambda: walker.walk(win.tabs.currentWidget()))
        walker.trigger(win.toolbar.act_check)  # 开播前检查 on demand (closed when done)
        walker.trigger(win.toolbar.act_start)  # the pre-flight finds no feed here: 仍然开播
        qtbot.waitUntil(lambda: win.runtime.running and win.toolbar.act_stop.isEnabled(), timeout=5000)
        assert not win.toolbar.act_check.isEnabled()  # a pre-flight, not a check of the room on air
        for action in (win.toolbar.act_pause, win.toolbar.act_pause, win.toolbar.act_skip):
            walker.trigger(action)
        win.tabs.setCurrentIndex(0)
        walker.walk(win.dashboard)  # the dashboard's controls while live
        walker.trigger(win.toolbar.act_stop)
        qtbot.waitUntil(lambda: not win.runtime.running and win.toolbar.act_start.isEnabled(), timeout=5000)
        products = win.products
        dialogs.fallback = discard_all  # the walk left unsaved edits: the demo switch drops them
        walker.click(win.toolbar.demo_switch)
        qtbot.waitUntil(lambda: win.products is not products and win.toolbar.demo_switch.isEnabled(), timeout=5000)
        walker.click(win.toolbar.demo_switch)
        qtbot.waitUntil(lambda: not win.runtime.demo and win.toolbar.demo_switch.isEnabled(), timeout=5000)
        win.close()
    assert guard.count == 0, _failures(guard)
    # the walk reached what it is for: the product buttons, their dialogs, every view
    print(f"the walk clicked {len(walker.clicked)} controls and answered {len(dialogs.log)} dialogs")
    clicked = " ".join(walker.clicked)
    for label in ("新建", "改名", "复制", "删除", "回收站…", "新建定时提醒", "保存到 config.ini", "清屏",
                  "tab 直播看板", "tab 商品与话术", "tab 互动话术", "tab 设置", "tab 日志", "tab 关键词回复"):
        assert label in clicked, f"the walk never clicked {label}"
    said = " ".join(dialogs.texts)
    assert "新建商品" in said and "删除商品" in said and "回收站" in said
    assert said.count("开播前检查") == 2  # on demand, and before 开播
    assert not win.isVisible()
    # what the walk made the app say (notices, dialogs) is Chinese too
    shown = [("notice", m) for _, _, m in win.notice_bar.history] + [("dialog", t) for t in dialogs.texts]
    bad = not_chinese(shown)
    assert not bad, "English on screen:\n" + "\n".join(bad)


def test_the_walk_finds_a_button_whose_clicked_bool_lands_in_a_parameter(qtbot, guard, library, compliance):
    """The bug of issue 19.1, put back on purpose: 新建 connected straight to add_product, so
    clicked(False) arrives as the product name. The walk must report it."""
    view = ProductsView(library, compliance)
    qtbot.addWidget(view, before_close_func=lambda w: close_answering(qtbot, w))
    view.show()
    view.list_panel.add_b.clicked.disconnect()
    view.list_panel.add_b.clicked.connect(view.add_product)
    with DialogAnswerer(qtbot):
        Walker(qtbot).walk(view)
    assert guard.count >= 1
    assert "AttributeError" in _failures(guard) and "strip" in _failures(guard)


def test_an_exception_in_a_click_is_logged_noticed_and_the_room_keeps_running(
        qtbot, guard, operator_window, monkeypatch):
    win = operator_window
    guard.caught.connect(lambda message: win.notify("error", message))  # as run_gui wires it
    with DialogAnswerer(qtbot, ["仍然开播"]):  # the pre-flight: no feed here
        win.toolbar.act_start.trigger()
    qtbot.waitUntil(lambda: win.runtime.running, timeout=5000)

    def broken():
        raise RuntimeError("a bug in a slot")

    monkeypatch.setattr(win.products, "duplicate_product", broken)
    win.tabs.setCurrentWidget(win.products)
    qtbot.mouseClick(win.products.list_panel.dup_b, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.notice_bar.showing, timeout=2000)
    assert guard.count == 1
    assert "RuntimeError: a bug in a slot" in _failures(guard)
    assert "已记录到日志" in win.notice_bar.message and "继续运行" in win.notice_bar.message
    win.tabs.setCurrentWidget(win.logs_view)
    qtbot.waitUntil(lambda: "a bug in a slot" in win.logs_view.text.toPlainText(), timeout=2000)
    assert win.isVisible() and win.runtime.running  # the app and the room go on
    win.tabs.setCurrentWidget(win.products)
    with DialogAnswerer(qtbot, ["夏季防晒霜"]):  # and the next click works
        qtbot.mouseClick(win.products.list_panel.add_b, Qt.MouseButton.LeftButton)
    assert win.products.title.text() == "夏季防晒霜"
    with DialogAnswerer(qtbot, ["停止直播并退出"]):
        win.close()
    assert not win.isVisible()
