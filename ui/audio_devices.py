"""The settings page's output-device fields ([audio] device, monitor_device): a drop-down of the
playback devices the sound system has (the name can still be typed, e.g. a device that is not
plugged in now), 刷新 to list them again, 测试 to hear a short line on the chosen one.

``attach(settings_view)`` swaps the generated line edit for an editable combo box; the form's
field then reads and writes the combo's own line edit, so saving, reloading and the "modified"
marks work as for any text option. Listing and the test run off the GUI thread.
"""

from __future__ import annotations

import threading

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

FIELDS = ("device", "monitor_device")
DEFAULT_TEXT = "系统默认设备"


class _Signals(QObject):
    listed = pyqtSignal(object, str)  # names, error
    tested = pyqtSignal(bool, str)


class DevicePicker(QWidget):
    def __init__(self, line: QLineEdit, parent=None):
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumWidth(240)
        self.combo.setProperty("system_names", True)  # items are the devices' own names, not our words
        self.combo.setObjectName(line.objectName())
        self.combo.setToolTip(line.toolTip())
        self.combo.lineEdit().setPlaceholderText(f"（空 = {DEFAULT_TEXT}）")
        self.combo.lineEdit().setText(line.text())
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.setToolTip("重新列出电脑上的播放设备（插上耳机、装好虚拟声卡后点一下）")
        self.test_button = QPushButton("测试")
        self.test_button.setToolTip("在选中的设备上播放一句测试语音，确认声音出现在对的地方")
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.combo, 1)
        lay.addWidget(self.refresh_button)
        lay.addWidget(self.test_button)
        lay.addWidget(self.status, 1)
        self._signals = _Signals(self)
        self._signals.listed.connect(self._fill)
        self._signals.tested.connect(self._test_done)
        self.combo.activated.connect(self._picked)
        self.refresh_button.clicked.connect(self.refresh)
        self.test_button.clicked.connect(self.test)
        self.refresh()

    @property
    def line(self) -> QLineEdit:
        return self.combo.lineEdit()

    def value(self) -> str:
        return self.line.text().strip()

    # ---- listing -------------------------------------------------------------------------

    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        threading.Thread(target=self._list, name="audio-device-list", daemon=True).start()

    def _list(self) -> None:
        from app.audio import devices, sdl

        try:
            found, _driver = devices.list_outputs()
            self._signals.listed.emit([d.name for d in found], "")
        except sdl.SdlError as exc:
            self._signals.listed.emit([], str(exc))

    def _fill(self, names: list, error: str) -> None:
        text = self.line.text()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(DEFAULT_TEXT, "")
        for name in names:
            self.combo.addItem(name, name)
        self.combo.setCurrentIndex(-1)
        self.line.setText(text)  # the configured value stays as it is
        self.combo.blockSignals(False)
        self.refresh_button.setEnabled(True)
        if error:
            self._say(f"无法列出播放设备：{error}", error=True)
        elif text and text not in names:
            self._say(f"「{text}」现在不在设备列表中（没插上或名字不对）", error=True)
        else:
            self._say(f"找到 {len(names)} 个播放设备")

    def _picked(self, index: int) -> None:
        # the default device is shown by name but stored as an empty value
        self.line.setText(self.combo.itemData(index) or "")

    # ---- test ----------------------------------------------------------------------------

    def test(self) -> None:
        target = self.value()
        self.test_button.setEnabled(False)
        self._say(f"正在{('「' + target + '」') if target else DEFAULT_TEXT}上播放测试语音…")
        threading.Thread(target=self._play, args=(target,), name="audio-device-test", daemon=True).start()

    def _play(self, target: str) -> None:
        from app.audio import devices, sdl
        from app.tts import espeak

        try:
            samples, rate = espeak.synthesize(devices.TEST_LINE)
            devices.play_clip(target, samples, rate)
        except (sdl.SdlError, espeak.EspeakError) as exc:
            self._signals.tested.emit(False, f"测试失败：{exc}")
            return
        self._signals.tested.emit(True, f"已在{devices.describe(target)}播放测试语音；没听到请检查音量或换一个设备")

    def _test_done(self, ok: bool, text: str) -> None:
        self.test_button.setEnabled(True)
        self._say(text, error=not ok)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color:#dc2626" if error else "")


def attach(view) -> None:
    """Replace the two device fields of a built ``SettingsView`` by pickers."""
    for key in FIELDS:
        field = view.fields.get(("audio", key))
        if field is None or not isinstance(field.widget, QLineEdit):
            continue
        old = field.widget
        form = old.parentWidget().layout()
        picker = DevicePicker(old)
        form.replaceWidget(old, picker)
        old.deleteLater()
        field.widget = picker.line
        picker.line.textChanged.connect(view._edited)
