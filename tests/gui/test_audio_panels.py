"""The output-device drop-down with its 测试 button on the settings page, and the dashboard's
background-music strip whose 下一首 button skips the track a real mixing sink is playing."""

from __future__ import annotations

import time

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QComboBox

from app.audio import devices
from app.audio.mixer import MixingSink
from app.audio.output_settings import MusicSettings, OutputSettings
from app.bus.memory import MemoryBus
from app.config import ConfigStore
from tests.audio_measure import tone_file
from ui.audio_devices import DevicePicker
from ui.bridge import Bridge
from ui.controls import Controls
from ui.dashboard import DashboardView
from ui.settings import SettingsView

DUMMY_DEVICE = "System audio output device"  # the one device of SDL's dummy driver (tests)


def picker_of(view: SettingsView, key: str) -> DevicePicker:
    combo = view.findChild(QComboBox, f"opt:audio.{key}")
    assert combo is not None, f"no drop-down for [audio] {key}"
    return combo.parentWidget()


def test_pick_a_device_from_the_drop_down_save_and_test_it(qtbot, config_file, monkeypatch):
    monkeypatch.setattr(devices, "TEST_LINE", "测试")  # a short line: the dummy device plays in real time
    view = SettingsView(ConfigStore(config_file))
    qtbot.addWidget(view)
    view.show_section("audio")
    picker = picker_of(view, "device")
    qtbot.waitUntil(lambda: picker.combo.count() >= 2, timeout=10_000)
    assert [picker.combo.itemText(i) for i in range(picker.combo.count())] == ["系统默认设备", DUMMY_DEVICE]
    picker.combo.setFocus()
    qtbot.keyClick(picker.combo, Qt.Key.Key_Down)  # 系统默认设备
    assert picker.combo.currentText() == "" and not view.dirty  # the default is stored as empty
    qtbot.keyClick(picker.combo, Qt.Key.Key_Down)
    assert picker.combo.currentText() == DUMMY_DEVICE and "1 项未保存" in view.status.text()
    qtbot.mouseClick(view.save_b, Qt.MouseButton.LeftButton)
    assert f"device = {DUMMY_DEVICE}" in config_file.read_text(encoding="utf-8")
    assert view.store.current.get("audio", "device") == DUMMY_DEVICE

    qtbot.mouseClick(picker.test_button, Qt.MouseButton.LeftButton)
    assert not picker.test_button.isEnabled()  # one test at a time
    qtbot.waitUntil(lambda: picker.test_button.isEnabled(), timeout=15_000)
    assert picker.status.text().startswith(f"已在「{DUMMY_DEVICE}」播放测试语音"), picker.status.text()


def test_a_typed_name_that_is_not_there_is_saved_and_explained(qtbot, config_file):
    view = SettingsView(ConfigStore(config_file))
    qtbot.addWidget(view)
    picker = picker_of(view, "monitor_device")
    qtbot.waitUntil(lambda: picker.combo.count() >= 2, timeout=10_000)
    picker.line.clear()
    qtbot.keyClicks(picker.line, "Headphones (USB Audio)")
    qtbot.mouseClick(view.save_b, Qt.MouseButton.LeftButton)
    assert "monitor_device = Headphones (USB Audio)" in config_file.read_text(encoding="utf-8")
    qtbot.mouseClick(picker.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "不在设备列表中" in picker.status.text(), timeout=10_000)
    assert picker.line.text() == "Headphones (USB Audio)"  # listing again keeps what the operator typed
    qtbot.mouseClick(picker.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: picker.test_button.isEnabled() and "测试失败" in picker.status.text(), timeout=15_000)


def test_the_music_strip_shows_the_track_and_skips_it_through_the_bus(qtbot, tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    tone_file(music / "01 开场.ogg", 6000, 30, -20)
    tone_file(music / "02 热卖.ogg", 5000, 30, -20)
    bus = MemoryBus("gui")
    sink = MixingSink(16000, OutputSettings(music=MusicSettings(enabled=True, folder=music)), bus=bus)
    bridge = Bridge(bus, hz=20)
    view = DashboardView(Controls(bus))
    qtbot.addWidget(view)
    bridge.batch.connect(view.on_batch)
    panel = view.music
    assert "未开启" in panel.text.text() and not panel.skip_button.isEnabled()
    sink.open()
    try:
        qtbot.waitUntil(lambda: "01 开场" in panel.text.text(), timeout=15_000)
        assert "第 1/2 首" in panel.text.text() and panel.skip_button.isEnabled()
        qtbot.mouseClick(panel.skip_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "02 热卖" in panel.text.text(), timeout=15_000)
        assert sink.report()["music"]["skips"] == 1
    finally:
        sink.close()
        bridge.close()
        time.sleep(0.05)
