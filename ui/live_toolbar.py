"""The main window's control toolbar: 开播 / 停止 / 暂停 / 跳过, 开播前检查, the demo switch, and
the label saying where the room is (未开播, 直播中, 正在开播…, 已停止).

Its own widget so the window keeps what the buttons do (``MainWindow`` connects them) and this
keeps which of them can be pressed when: before a runtime is ready, while live, while a start
or stop is under way.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QCheckBox, QLabel, QSizePolicy, QToolBar, QWidget

from ui.texts import SKIP_TIP


class LiveToolBar(QToolBar):
    def __init__(self, demo: bool, parent=None, *, middle: QWidget | None = None):
        """``middle`` fills the room between the controls and the state label (the window's
        notice bar: a notice then takes no row of its own and moves nothing)."""
        super().__init__("控制", parent)
        self.setObjectName("controls")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.act_start = QAction("▶ 开播", self)
        self.act_stop = QAction("■ 停止", self)
        self.act_pause = QAction("❚❚ 暂停", self)
        self.act_pause.setCheckable(True)
        self.act_skip = QAction("⏭ 跳过", self)
        self.act_check = QAction("✓ 开播前检查", self)
        self.act_start.setToolTip("先做开播前检查（弹幕、声音、大模型、商品、声卡），再开始直播")
        self.act_skip.setToolTip(SKIP_TIP)
        self.act_check.setToolTip("检查弹幕、声音、大模型、商品和声卡是否就绪（不开播；直播中请看底部状态栏）")
        for a in (self.act_start, self.act_stop, self.act_pause, self.act_skip):
            self.addAction(a)
        self.addSeparator()
        self.addAction(self.act_check)
        self.addSeparator()
        self.demo_switch = QCheckBox("演示模式")
        self.demo_switch.setChecked(demo)
        self.demo_switch.setToolTip("演示模式：播放内置的直播间录制和演示商品，用离线语音，不连接抖音")
        self.addWidget(self.demo_switch)
        spacer = middle if middle is not None else QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addSeparator()
        self.addWidget(spacer)
        self.state_label = QLabel("正在准备…")
        self.state_label.setObjectName("muted")
        self.state_label.setContentsMargins(0, 0, 10, 0)  # off the window's right edge
        self.addWidget(self.state_label)
        #: what the label says when not live: 未开播 until the first live, 已停止 after one
        self.idle_text = "未开播"

    def set_running(self, ready: bool, running: bool) -> None:
        """Which buttons work: nothing before a runtime is ready; 开播 and 检查 when stopped;
        停止, 暂停 and 跳过 when live. Stopping undoes a pause."""
        self.act_start.setEnabled(ready and not running)
        self.act_stop.setEnabled(ready and running)
        self.act_pause.setEnabled(ready and running)
        self.act_skip.setEnabled(ready and running)
        self.act_check.setEnabled(ready and not running)
        self.demo_switch.setEnabled(not running)
        if not running and self.act_pause.isChecked():
            self.act_pause.blockSignals(True)
            self.act_pause.setChecked(False)
            self.act_pause.setText("❚❚ 暂停")
            self.act_pause.blockSignals(False)
        if running:
            self.idle_text = "已停止"  # from now on, not live means the live was stopped
        if ready:
            self.state_label.setText("直播中" if running else self.idle_text)

    def set_busy(self) -> None:
        """A start or stop is under way: 开播, 停止 and 检查 wait for it."""
        for a in (self.act_start, self.act_stop, self.act_check):
            a.setEnabled(False)

    def show_paused(self, paused: bool) -> None:
        self.act_pause.setText("▶ 继续" if paused else "❚❚ 暂停")

    def keep_demo(self, demo: bool) -> None:
        """Put the demo switch back to ``demo`` without announcing a toggle (the switch was refused)."""
        self.demo_switch.blockSignals(True)
        self.demo_switch.setChecked(demo)
        self.demo_switch.blockSignals(False)
